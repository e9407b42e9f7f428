//! `trove-host new NAME --lang rust [--kind mem]`: a driver project that
//! passes `trove-host conformance` as soon as it is built. The Rust project
//! depends on the SDK (`trove-driver`), written out with the contract into
//! the project's `.trove/` folder, so it builds anywhere, with no checkout of
//! this repository.

use anyhow::Result;
use std::path::{Path, PathBuf};
use trove_host::{Error, ErrorKind};

include!(concat!(env!("OUT_DIR"), "/vendored.rs"));

const RUST_LIB: &str = include_str!("../templates/rust/lib.rs");
const RUST_CARGO: &str = include_str!("../templates/rust/Cargo.toml.in");
const RUST_BUILD: &str = include_str!("../templates/rust/build.sh");
const RUST_README: &str = include_str!("../templates/rust/README.md");

fn invalid(m: String) -> anyhow::Error {
    Error::new(ErrorKind::InvalidArgument, m).into()
}

/// A name that is a DSN scheme and a crate name: `[a-z][a-z0-9-]*`.
fn check_name(name: &str) -> Result<()> {
    let ok = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "driver name {name:?}: use lowercase letters, digits and '-', starting with a letter \
             (it becomes the DSN scheme, e.g. {name}://)"
        )))
    }
}

fn write(path: &Path, text: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| invalid(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, text).map_err(|e| invalid(format!("cannot write {}: {e}", path.display())))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| invalid(format!("chmod {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}

/// The vendored Cargo.toml of `drivers/common`: standalone (no dev-dependencies).
fn vendored_manifest(path: &str, bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if path != "drivers/common/Cargo.toml" {
        return bytes.to_vec();
    }
    match text.find("[dev-dependencies]") {
        Some(i) => text[..i]
            .trim_end()
            .as_bytes()
            .iter()
            .chain(b"\n")
            .copied()
            .collect(),
        None => bytes.to_vec(),
    }
}

pub fn run(name: &str, lang: &str, kind: &str, dir: Option<PathBuf>) -> Result<()> {
    check_name(name)?;
    if lang != "rust" {
        return Err(invalid(format!(
            "--lang {lang}: this version writes Rust projects only (--lang rust); for Python and \
             JavaScript start from drivers-py/mem and drivers-js/mem (docs/writing-a-driver.md)"
        )));
    }
    if kind != "mem" {
        return Err(invalid(format!(
            "--kind {kind}: this version writes the in-memory starting point only (--kind mem); \
             its lib.rs says how to turn it into an HTTP driver"
        )));
    }
    let root = dir.unwrap_or_else(|| PathBuf::from(name));
    if root.exists()
        && std::fs::read_dir(&root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(invalid(format!(
            "{} already exists and is not empty",
            root.display()
        )));
    }
    let crate_name = name.replace('-', "_");
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
    };
    write(&root.join("Cargo.toml"), fill(RUST_CARGO).as_bytes())?;
    write(&root.join("src/lib.rs"), fill(RUST_LIB).as_bytes())?;
    write(&root.join("README.md"), fill(RUST_README).as_bytes())?;
    write(&root.join(".gitignore"), b"/target\n")?;
    let build = root.join("build.sh");
    write(&build, fill(RUST_BUILD).as_bytes())?;
    make_executable(&build)?;
    for (path, bytes) in VENDORED {
        write(
            &root.join(".trove").join(path),
            &vendored_manifest(path, bytes),
        )?;
    }
    let shown = root.display();
    println!(
        "created {shown}: a Rust driver on the trove-driver SDK (an in-memory store to start from)"
    );
    println!("next:");
    println!("  cd {shown}");
    println!("  trove-host conformance \"$(./build.sh)\" --dsn {name}://");
    Ok(())
}
