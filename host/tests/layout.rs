//! The shape of `host/src` (issue 14): no provider names in the host's own
//! code (each provider fact lives in its driver), and no import cycle
//! between its modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module's source without its `#[cfg(test)]` tail and comments.
fn modules() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = match text.find("#[cfg(test)]") {
            Some(i) => &text[..i],
            None => &text[..],
        };
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.insert(name, code);
    }
    out
}

#[test]
fn the_host_names_no_provider() {
    for (name, code) in modules() {
        for word in ["amazonaws", "googleapis", "windows.net", "us-east-1"] {
            assert!(
                !code.contains(word),
                "host/src/{name}.rs names {word:?}: provider facts belong in the driver's declaration"
            );
        }
        for scheme in ["\"s3\"", "\"gs\"", "\"azblob\"", "\"sftp\"", "\"file\""] {
            let matched = code
                .lines()
                .any(|l| l.contains(scheme) && l.contains("scheme"));
            assert!(
                !matched || name == "builtin",
                "host/src/{name}.rs decides something by the scheme name {scheme}"
            );
        }
    }
}

#[test]
fn host_modules_import_no_cycle() {
    let mods = modules();
    let names: BTreeSet<&str> = mods.keys().map(String::as_str).collect();
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, code) in &mods {
        let set = deps.entry(name.as_str()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + 7..];
            let m: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(m) = names.get(m.as_str()) {
                if *m != name {
                    set.insert(m);
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        deps: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(i) = path.iter().position(|p| *p == n) {
            panic!(
                "import cycle in host/src: {} -> {n}",
                path[i..].join(" -> ")
            );
        }
        path.push(n);
        for d in &deps[n] {
            visit(d, deps, path, done);
        }
        path.pop();
        done.insert(n);
    }
    let mut done = BTreeSet::new();
    for n in deps.keys() {
        visit(n, &deps, &mut Vec::new(), &mut done);
    }
    assert!(done.len() > 20, "{} modules seen", done.len());
}
