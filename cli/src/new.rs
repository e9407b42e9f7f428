//! `trove-host new NAME --lang rust|python|js [--kind mem|http]`: a driver project
//! that passes `trove-host conformance` as soon as it is built with its
//! `build.sh`. The contract's WIT files go into the project's `.trove/`; a
//! Rust project also gets the SDK (`trove-driver`) and its helpers there, so
//! it builds anywhere, with no checkout of this repository. The Python and
//! JavaScript projects start from this repository's own drivers
//! (`drivers-py/mem`, `drivers-js/mem`).

use anyhow::Result;
use std::path::{Path, PathBuf};
use trove_host::{Error, ErrorKind};

include!(concat!(env!("OUT_DIR"), "/vendored.rs"));

const RUST_LIB: &str = include_str!("../templates/rust/lib.rs");
const RUST_CARGO: &str = include_str!("../templates/rust/Cargo.toml.in");
const RUST_BUILD: &str = include_str!("../templates/rust/build.sh");
const RUST_README: &str = include_str!("../templates/rust/README.md");
// `--kind http`: the example WebDAV driver, renamed.
const HTTP_CARGO: &str = include_str!("../templates/rust-http/Cargo.toml.in");
const HTTP_README: &str = include_str!("../templates/rust-http/README.md");
const HTTP_SOURCES: &[(&str, &str)] = &[
    (
        "src/lib.rs",
        include_str!("../../examples/webdav/src/lib.rs"),
    ),
    (
        "src/dav.rs",
        include_str!("../../examples/webdav/src/dav.rs"),
    ),
    (
        "src/layout.rs",
        include_str!("../../examples/webdav/src/layout.rs"),
    ),
];
const PY_APP: &str = include_str!("../../drivers-py/mem/app.py");
const PY_BUILD: &str = include_str!("../templates/python/build.sh");
const PY_README: &str = include_str!("../templates/python/README.md");
const JS_APP: &str = include_str!("../../drivers-js/mem/app.js");
const JS_BUILD: &str = include_str!("../templates/js/build.sh");
const JS_README: &str = include_str!("../templates/js/README.md");

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

/// This repository's own driver in another language, renamed: its name
/// (`mem-py`) becomes `name`, its comments point at `./build.sh`, and the JS
/// helper package is imported from where `new` writes it.
fn own_driver(source: &str, own: &str, name: &str) -> String {
    source
        .replace(own, name)
        .replace("scripts/build-other-drivers.sh", "./build.sh")
        .replace("'../trove-driver/", "'./.trove/drivers-js/trove-driver/")
}

/// The vendored Cargo.toml of `drivers/common`: standalone (no dev-dependencies).
fn vendored_manifest(path: &str, bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if path != "drivers/common/Cargo.toml" {
        return bytes.to_vec();
    }
    match text.find("[dev-dependencies]") {
        Some(i) => format!("{}\n", text[..i].trim_end()).into_bytes(),
        None => bytes.to_vec(),
    }
}

pub fn run(name: &str, lang: &str, kind: &str, dir: Option<PathBuf>) -> Result<()> {
    check_name(name)?;
    if !matches!(lang, "rust" | "python" | "js") {
        return Err(invalid(format!("--lang {lang}: choose rust, python or js")));
    }
    match (kind, lang) {
        ("mem", _) | ("http", "rust") => {}
        ("http", _) => {
            return Err(invalid(format!(
                "--kind http is written for --lang rust in this version; for {lang}, start \
                 from --kind mem and trove-host's examples/webdav-js"
            )))
        }
        _ => return Err(invalid(format!("--kind {kind}: choose mem or http"))),
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
    let (build, readme) = match lang {
        "rust" if kind == "http" => {
            write(&root.join("Cargo.toml"), fill(HTTP_CARGO).as_bytes())?;
            for (path, source) in HTTP_SOURCES {
                let source = source.replace(
                    r#"NAME: &'static str = "webdav""#,
                    &format!(r#"NAME: &'static str = "{name}""#),
                );
                write(&root.join(path), source.as_bytes())?;
            }
            write(&root.join(".gitignore"), b"/target\n")?;
            (RUST_BUILD, HTTP_README)
        }
        "rust" => {
            write(&root.join("Cargo.toml"), fill(RUST_CARGO).as_bytes())?;
            write(&root.join("src/lib.rs"), fill(RUST_LIB).as_bytes())?;
            write(&root.join(".gitignore"), b"/target\n")?;
            (RUST_BUILD, RUST_README)
        }
        "python" => {
            let app = own_driver(PY_APP, "mem-py", name);
            write(&root.join("app.py"), app.as_bytes())?;
            write(&root.join(".gitignore"), b"/build\n__pycache__/\n")?;
            (PY_BUILD, PY_README)
        }
        _ => {
            let app = own_driver(JS_APP, "mem-js", name);
            write(&root.join("app.js"), app.as_bytes())?;
            write(&root.join(".gitignore"), b"/build\n")?;
            (JS_BUILD, JS_README)
        }
    };
    write(&root.join("README.md"), fill(readme).as_bytes())?;
    let script = root.join("build.sh");
    write(&script, fill(build).as_bytes())?;
    make_executable(&script)?;
    // Every project needs the WIT files, and its language's helpers: the SDK
    // for Rust, the `trove_driver` package for Python, `trove-driver` for JS.
    let helpers = match lang {
        "rust" => "drivers/",
        "python" => "drivers-py/",
        _ => "drivers-js/",
    };
    for (path, bytes) in VENDORED {
        if path.starts_with(helpers) || path.starts_with("wit/") {
            write(
                &root.join(".trove").join(path),
                &vendored_manifest(path, bytes),
            )?;
        }
    }
    let shown = root.display();
    let on = match lang {
        "rust" => "a Rust driver on the trove-driver SDK",
        "python" => "a Python driver on the trove_driver helper package",
        _ => "a JavaScript driver on the trove-driver helper package",
    };
    if kind == "http" {
        println!(
            "created {shown}: {on} (a WebDAV driver to start from; README.md says what to change)"
        );
        println!("next:");
        println!("  cd {shown}");
        println!(
            "  trove-host --allow {name}:http conformance \"$(./build.sh)\" \\\n      --dsn '{name}://?endpoint=http://HOST:PORT'"
        );
    } else {
        println!("created {shown}: {on} (an in-memory store to start from)");
        println!("next:");
        println!("  cd {shown}");
        println!("  trove-host conformance \"$(./build.sh)\" --dsn {name}://");
    }
    Ok(())
}
