//! `trove-host grants show|set`: read or write the `trove:grants` section of
//! a driver component (for toolchains that cannot emit a custom section).

use crate::args::GrantsCmd;
use anyhow::Result;
use trove_host::{Declaration, Error, ErrorKind};

fn invalid(m: String) -> anyhow::Error {
    Error::new(ErrorKind::InvalidArgument, m).into()
}

fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))
}

pub fn run(cmd: GrantsCmd) -> Result<()> {
    match cmd {
        GrantsCmd::Show { driver } => {
            let d = Declaration::read(&read(&driver)?)?;
            println!("{}", d.to_json());
        }
        GrantsCmd::Set {
            driver,
            http,
            dir,
            sftp,
            from_json,
            output,
        } => {
            let decl = match from_json {
                Some(j) => {
                    Declaration::parse(&j).map_err(|e| invalid(format!("--from-json: {e}")))?
                }
                None => {
                    let alternatives: Vec<Vec<String>> = http
                        .iter()
                        .map(|a| a.split_whitespace().map(str::to_string).collect())
                        .collect();
                    // Through the same parser as a section, so the same checks apply.
                    let text = serde_json::json!({
                        "http": alternatives,
                        "dir": dir,
                        "sftp": sftp,
                    });
                    let mut map = text.as_object().cloned().unwrap_or_default();
                    map.retain(|_, v| !v.is_null() && v != &serde_json::json!([]));
                    Declaration::parse(&serde_json::Value::Object(map).to_string())
                        .map_err(|e| invalid(format!("grants set: {e}")))?
                }
            };
            let bytes = read(&driver)?;
            let out = trove_host::write_declaration(&bytes, &decl)?;
            let target = output.unwrap_or(driver);
            std::fs::write(&target, out)
                .map_err(|e| invalid(format!("cannot write {}: {e}", target.display())))?;
            println!("{}: {}", target.display(), decl.to_json());
        }
    }
    Ok(())
}
