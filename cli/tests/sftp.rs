//! The sftp driver against a real OpenSSH sshd on loopback, started by
//! scripts/servers/sshd.sh (scripts/test.sh starts it and exports its variables):
//! the conformance suite through the CLI, host-key and credential refusals, and a
//! driver that survives sshd being killed and started again between two calls.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{fails_with, keys_as_paths, run, text};
use std::sync::Mutex;

use trove_host::{ErrorKind, GetOptions, Host, HostConfig, PutOptions, SftpConfig};

/// The tests share one sshd, and one of them restarts it: they run one at a time.
static SERVER: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|e| e.into_inner())
}

/// A variable written by scripts/servers/sshd.sh; missing means the server is not up.
fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start the test sshd with `scripts/servers/sshd.sh start` and \
             source $TROVE_SERVERS_DIR/sshd.env (scripts/test.sh does both)"
        )
    })
}

struct Server {
    dsn: String,
    identity: String,
    known_hosts: String,
}

fn server() -> Server {
    Server {
        dsn: var("TROVE_TEST_SFTP_DSN"),
        identity: var("TROVE_TEST_SFTP_IDENTITY"),
        known_hosts: var("TROVE_TEST_SFTP_KNOWN_HOSTS"),
    }
}

/// The DSN of a fresh folder under the server's data folder, so tests do not meet.
fn fresh_dsn(base: &str, name: &str) -> String {
    let (head, query) = base.split_once('?').map_or((base, ""), |(h, q)| (h, q));
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}-{n}{q}", head.trim_end_matches('/'))
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen runs (openssh-client, installed by scripts/servers/sshd.sh)");
    assert!(st.success());
    path
}

/// `[127.0.0.1]:PORT` of the DSN, as known_hosts names it.
fn known_hosts_name(dsn: &str) -> String {
    let rest = dsn.split_once('@').unwrap().1;
    let hostport = rest.split('/').next().unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    format!("[{host}]:{port}")
}

#[test]
fn conformance_suite_passes() {
    let _g = serial();
    let s = server();
    let dsn = fresh_dsn(&s.dsn, "conformance");
    let o = run(&[
        "conformance",
        "sftp",
        "--identity",
        &s.identity,
        "--known-hosts",
        &s.known_hosts,
        "--dsn",
        &dsn,
    ]);
    let out = text(&o.stdout);
    let summary = out.lines().last().unwrap_or_default().to_string();
    assert!(
        o.status.success() && summary.contains(" 0 failed"),
        "conformance: {summary}\n{}\n{}",
        out.lines()
            .filter(|l| l.starts_with("FAIL"))
            .collect::<Vec<_>>()
            .join("\n"),
        text(&o.stderr)
    );
    let passed: u32 = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 100, "{summary}");
    keys_as_paths(&out);
}

#[test]
fn round_trip_and_grants() {
    let _g = serial();
    let s = server();
    let dsn = fresh_dsn(&s.dsn, "cli");
    let flags = [
        "--identity",
        &s.identity,
        "--known-hosts",
        &s.known_hosts,
        "--dsn",
        &dsn,
    ];
    let ok = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&flags);
        let o = run(&all);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        text(&o.stdout)
    };
    ok(&["mb", "photos"]);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("cat.txt");
    std::fs::write(&src, b"meow").unwrap();
    ok(&[
        "put",
        "photos",
        "2024/cat.txt",
        src.to_str().unwrap(),
        "--content-type",
        "text/plain",
    ]);
    assert_eq!(ok(&["get", "photos", "2024/cat.txt", "-"]), "meow");
    let head = ok(&["--json", "head", "photos", "2024/cat.txt"]);
    assert!(head.contains("\"content_type\":\"text/plain\""), "{head}");
    // The state folder is hidden: only the bucket is listed.
    assert_eq!(ok(&["--json", "buckets"]).matches("\"name\"").count(), 1);
    let grants = ok(&["inspect", "sftp"]);
    assert!(
        grants.contains("sftp: one SSH session to root@127.0.0.1"),
        "{grants}"
    );
    assert!(!grants.contains("sftp: none"), "{grants}");
}

#[test]
fn wrong_host_key_is_refused() {
    let _g = serial();
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    // A known_hosts that records another ed25519 key for this server.
    let other = keygen(dir.path(), "other");
    let pubkey = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let kh = dir.path().join("known_hosts");
    let key: Vec<&str> = pubkey.split_whitespace().take(2).collect();
    std::fs::write(
        &kh,
        format!("{} {}\n", known_hosts_name(&s.dsn), key.join(" ")),
    )
    .unwrap();
    let err = fails_with(
        &[
            "ping",
            "--identity",
            &s.identity,
            "--known-hosts",
            kh.to_str().unwrap(),
            "--dsn",
            &s.dsn,
        ],
        "permission-denied",
    );
    assert!(err.contains("HOST KEY MISMATCH"), "{err}");

    // An empty known_hosts: the server is unknown.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let err = fails_with(
        &[
            "ping",
            "--identity",
            &s.identity,
            "--known-hosts",
            empty.to_str().unwrap(),
            "--dsn",
            &s.dsn,
        ],
        "permission-denied",
    );
    assert!(err.contains("is not in"), "{err}");

    // Skipping the check needs the explicit DSN flag, and warns.
    let insecure = format!("{}?insecure_skip_host_key_check=true", s.dsn);
    let o = run(&[
        "ping",
        "--identity",
        &s.identity,
        "--known-hosts",
        empty.to_str().unwrap(),
        "--dsn",
        &insecure,
    ]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("NOT checking the host key"), "{err}");
}

#[test]
fn wrong_credentials_are_permission_denied() {
    let _g = serial();
    let s = server();
    let pw_dsn = var("TROVE_TEST_SFTP_PASSWORD_DSN");
    // The right password works...
    let o = run(&["ping", "--known-hosts", &s.known_hosts, "--dsn", &pw_dsn]);
    assert!(o.status.success(), "password login: {}", text(&o.stderr));
    // ...a wrong one is refused.
    let (user_part, rest) = pw_dsn.split_once('@').unwrap();
    let user = user_part.rsplit_once(':').unwrap().0;
    let wrong = format!("{user}:not-the-password@{rest}");
    let err = fails_with(
        &["ping", "--known-hosts", &s.known_hosts, "--dsn", &wrong],
        "permission-denied",
    );
    assert!(err.contains("authentication"), "{err}");
    assert!(
        !err.contains("not-the-password"),
        "the password leaked: {err}"
    );

    // A key the server does not know.
    let dir = tempfile::tempdir().unwrap();
    let stranger = keygen(dir.path(), "stranger");
    let err = fails_with(
        &[
            "ping",
            "--identity",
            stranger.to_str().unwrap(),
            "--known-hosts",
            &s.known_hosts,
            "--dsn",
            &s.dsn,
        ],
        "permission-denied",
    );
    assert!(err.contains("authentication"), "{err}");

    // No credentials at all.
    fails_with(
        &["ping", "--known-hosts", &s.known_hosts, "--dsn", &s.dsn],
        "permission-denied",
    );
}

#[test]
fn no_grant_means_permission_denied() {
    // The sftp driver's component run as a third-party file: it declares an
    // SSH session, which nobody allowed for `sftp:` DSNs.
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("my-sftp.wasm");
    std::fs::write(&wasm, trove_host::builtin_component("sftp").unwrap()).unwrap();
    let wasm = wasm.display().to_string();
    let dsn = "sftp://user@127.0.0.1:1/x";
    let err = fails_with(&["run", &wasm, "--dsn", dsn, "ping"], "permission-denied");
    assert!(err.contains("--allow sftp:sftp"), "{err}");
    // The built-in, with a DSN that names no host: no session to grant.
    let dsn = format!("file://{}", dir.path().display());
    let err = fails_with(&["run", "sftp", "--dsn", &dsn, "ping"], "invalid-dsn");
    assert!(err.contains("needs a host"), "{err}");
}

#[tokio::test]
async fn survives_an_sshd_restart() {
    let _g = serial();
    let s = server();
    let script = var("TROVE_TEST_SFTP_SCRIPT");
    let host = Host::new(HostConfig {
        cache_dir: Some(PathBuf::from(concat!(
            env!("CARGO_TARGET_TMPDIR"),
            "/compile-cache"
        ))),
        sftp: SftpConfig {
            identity: Some(s.identity.clone().into()),
            known_hosts: Some(s.known_hosts.clone().into()),
        },
        ..Default::default()
    })
    .unwrap();
    let d = host.open(&fresh_dsn(&s.dsn, "restart")).await.unwrap();
    d.create_bucket("b").await.unwrap();
    d.put_bytes("b", "k", b"before".to_vec(), PutOptions::default())
        .await
        .unwrap();

    let st = Command::new(&script).arg("restart").status().unwrap();
    assert!(st.success(), "{script} restart failed");

    // The session died with sshd; the next call reconnects.
    let (_, got) = d.get_bytes("b", "k", GetOptions::default()).await.unwrap();
    assert_eq!(got, b"before");
    d.put_bytes("b", "k2", b"after".to_vec(), PutOptions::default())
        .await
        .unwrap();
    let err = d.head("b", "missing").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ObjectNotFound);
}
