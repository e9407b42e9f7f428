//! Embeds what `trove-host new` writes into a Rust driver project, so that it
//! works outside this repository: the SDK (`drivers/sdk`), the helpers it
//! uses (`drivers/common`), the Python and JavaScript helper packages
//! (`drivers-py/trove_driver`, `drivers-js/trove-driver`) and the contract
//! (`wit/`), as `(path, bytes)`.

use std::path::{Path, PathBuf};

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if !p.ends_with("__pycache__") {
                walk(root, &p, out);
            }
        } else {
            out.push(p.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    let mut files = Vec::new();
    for dir in [
        "wit",
        "drivers/sdk/src",
        "drivers/common/src",
        "drivers-py/trove_driver/trove_driver",
        "drivers-js/trove-driver/src",
    ] {
        walk(&root, &root.join(dir), &mut files);
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    // The Python and JavaScript templates are this repository's own drivers.
    for f in ["drivers-py/mem/app.py", "drivers-js/mem/app.js"] {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }
    for f in [
        "drivers/sdk/Cargo.toml",
        "drivers/common/Cargo.toml",
        "drivers-js/trove-driver/index.js",
        "drivers-js/trove-driver/package.json",
    ] {
        files.push(PathBuf::from(f));
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }
    let mut code = String::from("/// (path in the project's `.trove/`, contents)\npub const VENDORED: &[(&str, &[u8])] = &[\n");
    for f in &files {
        code.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            f.display().to_string(),
            root.join(f).display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("vendored.rs");
    std::fs::write(out, code).unwrap();
}
