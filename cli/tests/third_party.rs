//! Third-party drivers, registered and allowed as a user does it (issue 14):
//! the example WebDAV driver (`examples/webdav`, built by its `build.sh`)
//! declares `http: {endpoint}`; it gets nothing until `--allow dav:http`,
//! and then passes the suite against a real WsgiDAV server
//! (`scripts/servers/wsgidav.sh`). A `.wasm` registered over a built-in
//! scheme gets none of the built-in's grants.

use std::path::PathBuf;
mod common;
use common::{built, fails_with, ok, passes_the_suite, run, text};

/// The example driver, built by `examples/webdav/build.sh` (scripts/test.sh
/// runs it first).
fn webdav() -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let wasm = target.join("examples-webdav/wasm32-wasip2/release/trove_example_webdav.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: build it with examples/webdav/build.sh (scripts/test.sh runs it)",
        wasm.display()
    );
    wasm.display().to_string()
}

fn wsgidav_dsn() -> String {
    std::env::var("TROVE_TEST_WSGIDAV_DSN").unwrap_or_else(|_| {
        panic!(
            "TROVE_TEST_WSGIDAV_DSN is not set: start the server with \
             scripts/servers/wsgidav.sh start and source its .env (scripts/test.sh does)"
        )
    })
}

/// A component that declares nothing: the built-in mem driver, written out.
fn declares_nothing(dir: &std::path::Path) -> String {
    let path = dir.join("other.wasm");
    std::fs::write(&path, trove_host::builtin_component("mem").unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn a_third_party_driver_gets_http_only_when_allowed_and_then_passes_the_suite() {
    let w = webdav();
    let dsn = wsgidav_dsn();
    let spec = format!("dav={w}");

    // Declared, not allowed: inspect says so and names the flag; ping is refused.
    let out = ok(&["inspect", &w, "--driver", &spec, "--dsn", &dsn]);
    assert!(
        out.contains("http: none (declared: {endpoint}; not allowed)"),
        "{out}"
    );
    assert!(out.contains("--allow dav:http"), "{out}");
    let err = fails_with(
        &["ping", "--driver", &spec, "--dsn", &dsn],
        "permission-denied",
    );
    assert!(err.contains("--allow dav:http"), "{err}");

    // Allowed: granted exactly the endpoint's origin.
    let out = ok(&[
        "inspect", &w, "--driver", &spec, "--allow", "dav:http", "--dsn", &dsn,
    ]);
    let endpoint = dsn.split("endpoint=").nth(1).unwrap();
    assert!(
        out.contains(&format!("http: {endpoint} (")),
        "granted origin {endpoint}: {out}"
    );
    assert_eq!(
        ok(&["ping", "--driver", &spec, "--allow", "dav:http", "--dsn", &dsn]).trim(),
        "ok"
    );

    // The whole suite, against the real server.
    passes_the_suite(
        "webdav",
        &[&w, "--driver", &spec, "--allow", "dav:http", "--dsn", &dsn],
    );
}

#[test]
fn the_config_file_allows_a_driver_as_the_flag_does() {
    let w = webdav();
    let dsn = wsgidav_dsn();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("trove.toml");
    std::fs::write(
        &cfg,
        format!("[drivers.dav]\npath = {w:?}\nallow = [\"http\"]\n"),
    )
    .unwrap();
    let cfg = cfg.display().to_string();
    assert_eq!(ok(&["ping", "--config", &cfg, "--dsn", &dsn]).trim(), "ok");
    let out = ok(&["drivers", "--config", &cfg]);
    let row = out.lines().find(|l| l.starts_with("dav ")).unwrap();
    assert!(row.contains("allowed: http"), "{row}");
    let s3 = out.lines().find(|l| l.starts_with("s3 ")).unwrap();
    assert!(s3.contains("as declared: http"), "{s3}");
    // The same entry without `allow`: refused, naming the flag.
    std::fs::write(&cfg, format!("[drivers]\ndav = {w:?}\n")).unwrap();
    let err = fails_with(
        &["ping", "--config", &cfg, "--dsn", &dsn],
        "permission-denied",
    );
    assert!(err.contains("--allow dav:http"), "{err}");
}

#[test]
fn a_wasm_registered_over_a_builtin_scheme_gets_none_of_its_grants() {
    let dir = tempfile::tempdir().unwrap();
    let other = declares_nothing(dir.path());
    let spec = format!("s3={other}");
    let dsn = "s3://b?endpoint=http://127.0.0.1:9";
    let o = run(&["inspect", "s3", "--driver", &spec, "--dsn", dsn]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    assert!(out.contains("http: none (not declared)"), "{out}");
    assert!(
        err.contains("replaces the built-in s3 driver"),
        "a warning: {err}"
    );
    // The built-ins, for comparison: what their declarations resolve to.
    let out = ok(&["inspect", "s3", "--dsn", dsn]);
    assert!(out.contains("http: http://127.0.0.1:9 ("), "{out}");
    let out = ok(&["inspect", "s3", "--dsn", "s3://b?region=eu-west-1"]);
    assert!(
        out.contains(
            "http: https://s3.eu-west-1.amazonaws.com:443, https://*.s3.eu-west-1.amazonaws.com:443 ("
        ),
        "{out}"
    );
    let out = ok(&["inspect", "azblob", "--dsn", "azblob://c?account=acct"]);
    assert!(
        out.contains("http: https://acct.blob.core.windows.net:443 ("),
        "{out}"
    );

    // A driver that does declare http, over s3, with nothing allowed: refused
    // at open, even with an s3 DSN that names an endpoint.
    let w = webdav();
    let err = fails_with(
        &["ping", "--driver", &format!("s3={w}"), "--dsn", dsn],
        "permission-denied",
    );
    assert!(err.contains("--allow s3:http"), "{err}");
}

#[test]
fn grants_set_writes_a_declaration_a_toolchain_could_not() {
    let dir = tempfile::tempdir().unwrap();
    let other = declares_nothing(dir.path());
    assert_eq!(ok(&["grants", "show", &other]).trim(), "{}");
    ok(&["grants", "set", &other, "--http", "{endpoint}"]);
    assert_eq!(
        ok(&["grants", "show", &other]).trim(),
        r#"{"http":[["{endpoint}"]]}"#
    );
    // Set again: replaced, not added.
    ok(&["grants", "set", &other, "--dir", "{path}"]);
    assert_eq!(
        ok(&["grants", "show", &other]).trim(),
        r#"{"dir":"{path}"}"#
    );
    let root = dir.path().join("root");
    let dsn = format!("mine://{}", root.display());
    let spec = format!("mine={other}");
    let err = fails_with(
        &["ping", "--driver", &spec, "--dsn", &dsn],
        "permission-denied",
    );
    assert!(err.contains("--allow mine:dir"), "{err}");
    ok(&[
        "ping", "--driver", &spec, "--allow", "mine:dir", "--dsn", &dsn,
    ]);
    assert!(root.is_dir(), "the granted folder is created");

    // Bad declarations: refused with one line.
    fails_with(
        &["grants", "set", &other, "--from-json", r#"{"net":true}"#],
        "invalid-argument",
    );
    fails_with(
        &["grants", "set", &other, "--http", "{nope}"],
        "invalid-argument",
    );
}

#[test]
fn a_malformed_declaration_is_an_invalid_driver_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.wasm");
    let mut bytes = trove_host::builtin_component("mem").unwrap().to_vec();
    // A `trove:grants` custom section holding `{"http":` (not JSON).
    let body = br#"{"http":"#;
    let name = b"trove:grants";
    bytes.push(0);
    bytes.push((1 + name.len() + body.len()) as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(body);
    std::fs::write(&path, bytes).unwrap();
    let p = path.display().to_string();
    let err = fails_with(&["run", &p, "--dsn", "mem://", "ping"], "invalid-driver");
    assert!(err.contains("trove:grants"), "{err}");
    assert!(err.contains("not valid JSON"), "{err}");
    // Read before compiling: with no cache and a compile budget no compile
    // fits in, the declaration is still what is refused.
    let err = fails_with(
        &[
            "--no-cache",
            "--compile-timeout",
            "0.001",
            "run",
            &p,
            "--dsn",
            "mem://",
            "ping",
        ],
        "invalid-driver",
    );
    assert!(err.contains("not valid JSON"), "{err}");
}

/// The same backend in JavaScript (`examples/webdav-js`, componentize-js and
/// the trove-driver package), built with its own `build.sh` as an author
/// builds it (the build declares `{endpoint}` with this `trove-host grants
/// set`), registered as `davjs` and allowed http: the whole suite against the
/// real WsgiDAV server.
#[test]
fn the_javascript_webdav_example_builds_and_passes_the_suite() {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/webdav-js/build.sh");
    let mut build = std::process::Command::new(&script);
    build
        .env("TROVE_HOST", env!("CARGO_BIN_EXE_trove-host"))
        .env("TROVE_BUILD_DIR", target.join("examples-webdav-js"));
    let w = built(build);
    assert!(w.ends_with("webdav_js.wasm"), "last line: {w:?}");
    assert!(
        ok(&["grants", "show", &w]).contains("{endpoint}"),
        "build.sh declared the grant"
    );
    let dsn = wsgidav_dsn().replacen("dav://", "davjs://", 1);
    let spec = format!("davjs={w}");
    passes_the_suite(
        "webdav-js",
        &[
            &w,
            "--driver",
            &spec,
            "--allow",
            "davjs:http",
            "--dsn",
            &dsn,
        ],
    );
}
