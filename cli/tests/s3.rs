//! The s3 driver against two real S3 servers on loopback, each started by its
//! script (scripts/test.sh starts them and exports their variables):
//! s3s-fs (scripts/servers/s3s.sh, SigV4 checked) and moto_server
//! (scripts/servers/moto.sh, SigV4 enforced). Everything goes through the CLI
//! as a user types it, with the credentials passed by `--credentials-env`.

use std::process::{Command, Output};

mod common;
use common::unique;

struct Server {
    /// `S3S` or `MOTO`.
    name: &'static str,
    script: &'static str,
    dsn: String,
    endpoint: String,
    access_key: String,
    secret_key: String,
}

/// A variable written by the server's script; missing means it is not up.
fn var(name: &str, script: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start the server with `{script} start` and source \
             $TROVE_SERVERS_DIR/<name>.env (scripts/test.sh does both)"
        )
    })
}

fn server(name: &'static str) -> Server {
    let script = match name {
        "S3S" => "scripts/servers/s3s.sh",
        _ => "scripts/servers/moto.sh",
    };
    let v = |suffix: &str| var(&format!("TROVE_TEST_{name}_{suffix}"), script);
    Server {
        name,
        script,
        dsn: v("DSN"),
        endpoint: v("ENDPOINT"),
        access_key: v("ACCESS_KEY"),
        secret_key: v("SECRET_KEY"),
    }
}

impl Server {
    /// `trove-host` with the server's credentials in two variables the CLI
    /// is told about with `--credentials-env`.
    fn cmd(&self, secret: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
        c.arg("--cache-dir")
            .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"))
            .args(["--credentials-env", "TROVE_T_AK,TROVE_T_SK"])
            .env("TROVE_T_AK", &self.access_key)
            .env("TROVE_T_SK", secret);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(&self.secret_key)
            .args(["--dsn", &self.dsn])
            .args(args)
            .output()
            .expect("trove-host runs")
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{} {args:?} failed: {}",
            self.name,
            text(&o.stderr)
        );
        text(&o.stdout)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Cases a server cannot pass, with the server's reason: the suite reports
/// them as skipped with that reason (`--skip CASE=REASON`), and everything
/// else must pass.
fn known_server_limits(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "S3S" => &[
            (
                "keys/max-length",
                "s3s-fs 0.14.1 keeps a key's metadata in a file named after the key: \
                 `File name too long` (InternalError) for a 1024-byte key",
            ),
            (
                "multipart/list-parts",
                "s3s-fs 0.14.1 ListParts returns no ETag for the parts",
            ),
            (
                "keys/object-and-prefix",
                "s3s-fs 0.14.1 stores objects as files named by their keys: a put of `a/b/c` \
                 while `a/b` is an object fails with InternalError (HTTP 500)",
            ),
            (
                "concurrency/same-key-puts",
                "s3s-fs 0.14.1 writes an object's data and its ETag record in separate steps \
                 (s3.rs put_object), so racing puts to one key can leave one put's data with \
                 another's ETag (fails now and then)",
            ),
        ],
        _ => &[
            (
                "presign/get",
                "moto 5.2 with INITIAL_NO_AUTH_ACTION_COUNT cannot authenticate a presigned \
                 URL (KeyError 'HTTP_AUTHORIZATION' in moto/iam/access_control.py: 500)",
            ),
            ("presign/put", "same moto limitation as presign/get"),
        ],
    }
}

fn conformance(name: &'static str) {
    let s = server(name);
    let mut cmd = s.cmd(&s.secret_key);
    cmd.args(["conformance", "s3", "--dsn", &s.dsn]);
    for (case, why) in known_server_limits(name) {
        cmd.arg("--skip").arg(format!("{case}={why}"));
    }
    let o = cmd.output().expect("trove-host runs");
    let out = text(&o.stdout);
    print!("{out}");
    let last = out.lines().last().unwrap_or_default();
    assert!(
        o.status.success() && last.contains(" passed, 0 failed"),
        "{name} (server from {}): {last}\n{out}\n{}",
        s.script,
        text(&o.stderr)
    );
}

#[test]
fn conformance_against_s3s_fs() {
    conformance("S3S");
}

/// Versioning is a bucket setting: with `versioning=true` the driver turns
/// it on for the buckets it creates. (The whole suite cannot run on
/// versioned buckets: a delete there leaves the old versions and a delete
/// marker behind, so "delete-bucket once empty" is refused, as S3 does.)
fn versioning(name: &'static str) -> String {
    let s = server(name);
    let o = s
        .cmd(&s.secret_key)
        .args(["conformance", "s3", "--filter", "versioning/"])
        .args(["--dsn", &format!("{}&versioning=true", s.dsn)])
        .output()
        .expect("trove-host runs");
    let out = text(&o.stdout);
    assert!(o.status.success(), "{name}: {out}\n{}", text(&o.stderr));
    out
}

#[test]
fn versioning_on_moto() {
    let out = versioning("MOTO");
    assert!(out.ends_with("3 passed, 0 failed\n"), "{out}");
}

#[test]
fn versioning_on_s3s_fs_is_skipped_with_the_servers_reason() {
    let out = versioning("S3S");
    assert!(out.ends_with("0 passed, 0 failed, 3 skipped\n"), "{out}");
    let skips: Vec<&str> = out.lines().filter(|l| l.starts_with("skipped")).collect();
    assert_eq!(skips.len(), 3, "{out}");
    for l in skips {
        assert!(l.contains("PutBucketVersioning is not implemented"), "{l}");
    }
}

#[test]
fn conformance_against_moto() {
    conformance("MOTO");
}

fn wrong_secret(name: &'static str) {
    let s = server(name);
    let o = s
        .cmd("not-the-secret")
        .args(["--dsn", &s.dsn, "buckets"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{name}: {err}");
    assert!(
        err.starts_with("error: permission-denied: "),
        "{name}: a wrong secret gave: {err}"
    );
    assert!(
        !err.contains("not-the-secret"),
        "the secret was printed: {err}"
    );
}

#[test]
fn a_wrong_secret_is_permission_denied_on_s3s_fs() {
    wrong_secret("S3S");
}

#[test]
fn a_wrong_secret_is_permission_denied_on_moto() {
    wrong_secret("MOTO");
}

/// Virtual-hosted addressing against a custom endpoint sends the request to
/// `BUCKET.host`, which the DSN does not grant: the host refuses it.
#[test]
fn traffic_to_a_host_the_dsn_does_not_grant_is_refused_by_the_host() {
    let s = server("S3S");
    let port = s.endpoint.rsplit(':').next().unwrap();
    let dsn = format!("s3://?region=us-east-1&endpoint=http://localhost:{port}&path_style=false");
    let o = s
        .cmd(&s.secret_key)
        .args(["--dsn", &dsn, "mb", "refused-bucket"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: permission-denied: refused by the host:")
            && err.contains(&format!("refused-bucket.localhost:{port}"))
            && err.contains("not granted"),
        "{err}"
    );
    // What inspect says the DSN grants.
    let o = s
        .cmd(&s.secret_key)
        .args(["inspect", "s3", "--dsn", &dsn])
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("http: http://localhost:{port}")),
        "{out}"
    );
    // Without an endpoint, only AWS's public endpoint of the region.
    let o = s
        .cmd(&s.secret_key)
        .args(["inspect", "s3", "--dsn", "s3://b?region=eu-west-1"])
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(
        out.contains("http: https://s3.eu-west-1.amazonaws.com:443, https://*.s3.eu-west-1.amazonaws.com:443"),
        "{out}"
    );
}

#[test]
fn a_presigned_get_url_downloads_with_curl() {
    let s = server("S3S");
    let b = unique("presign");
    s.ok(&["mb", &b]);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hello.txt");
    std::fs::write(&src, b"hello from a presigned url").unwrap();
    s.ok(&["put", &b, "dir/hello world.txt", src.to_str().unwrap()]);
    let url = s.ok(&[
        "presign",
        "get",
        &b,
        "dir/hello world.txt",
        "--expires",
        "300",
    ]);
    let url = url.trim();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let o = Command::new("curl")
        .args(["-sS", "-f", url])
        .output()
        .expect("curl runs");
    assert!(o.status.success(), "curl: {}", text(&o.stderr));
    assert_eq!(o.stdout, b"hello from a presigned url");
    s.ok(&["rm", &b, "dir/hello world.txt"]);
    s.ok(&["rb", &b]);
}

/// A name in the endpoint that resolves to a loopback or private address is
/// refused after DNS resolution: only an endpoint that names such an address
/// itself (an IP literal or `localhost`) may reach one. The machine's own
/// host name resolves to one on any usual setup (/etc/hosts).
#[test]
fn a_name_resolving_to_a_private_address_is_refused_after_resolution() {
    use std::net::ToSocketAddrs;
    let s = server("S3S");
    let port = s.endpoint.rsplit(':').next().unwrap();
    let name = text(&Command::new("hostname").output().unwrap().stdout)
        .trim()
        .to_string();
    let local = (name.as_str(), 80).to_socket_addrs().is_ok_and(|mut a| {
        a.all(|a| match a.ip() {
            std::net::IpAddr::V4(v) => v.is_loopback() || v.is_private(),
            std::net::IpAddr::V6(v) => v.is_loopback(),
        })
    });
    assert!(
        local && !name.is_empty() && name != "localhost",
        "this test needs the machine's host name ({name:?}) to resolve to a loopback or private address"
    );
    let dsn = format!("s3://?endpoint=http://{name}:{port}&path_style=true");
    let o = s
        .cmd(&s.secret_key)
        .args(["--dsn", &dsn, "buckets"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: permission-denied: refused by the host:")
            && err.contains("loopback/private"),
        "{err}"
    );
}
