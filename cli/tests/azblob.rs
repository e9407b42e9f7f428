//! The azblob driver against a real Azurite on loopback, started by
//! scripts/servers/azurite.sh (scripts/test.sh starts it and exports its
//! variables). Everything goes through the CLI as a user types it, with the
//! secret handed to the host (`--credentials-env VAR`, `--credentials-file
//! PATH`) or put in the DSN itself, in each form the driver takes: the
//! account key (SharedKey signing), a connection string, and a SAS token.

use std::process::{Command, Output};

mod common;
use common::unique;

const SCRIPT: &str = "scripts/servers/azurite.sh";

struct Azurite {
    /// `http://127.0.0.1:PORT/devstoreaccount1`
    endpoint: String,
    account: String,
    key: String,
    dsn: String,
    connection_string: String,
}

/// A variable written by the server's script; missing means it is not up.
fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start Azurite with `{SCRIPT} start` and source \
             $TROVE_SERVERS_DIR/azurite.env (scripts/test.sh does both)"
        )
    })
}

/// Azurite is one single-threaded Node process: the tests take turns (a
/// suite has a 64 MiB object and 20-way concurrency) rather than make each
/// other's calls wait past the host's 30 s call deadline.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The server's variables, and this test's turn on it.
fn azurite() -> (Azurite, std::sync::MutexGuard<'static, ()>) {
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let a = Azurite {
        endpoint: var("TROVE_TEST_AZURITE_ENDPOINT"),
        account: var("TROVE_TEST_AZURITE_ACCOUNT"),
        key: var("TROVE_TEST_AZURITE_KEY"),
        dsn: var("TROVE_TEST_AZURITE_DSN"),
        connection_string: var("TROVE_TEST_AZURITE_CONNECTION_STRING"),
    };
    (a, turn)
}

/// `trove-host` with `secret` in a variable the CLI is told about with
/// `--credentials-env` (it becomes the DSN's password).
fn cmd(secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
    c.arg("--cache-dir")
        .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"))
        .args(["--credentials-env", "TROVE_T_AZ_SECRET"])
        .env("TROVE_T_AZ_SECRET", secret);
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(o: Output, what: &str) -> String {
    assert!(o.status.success(), "{what} failed: {}", text(&o.stderr));
    text(&o.stdout)
}

/// Percent-encoding of everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Cases Azurite cannot pass, each with the reason: the suite reports them
/// as skipped with that reason (`--skip CASE=REASON`); everything else must pass.
/// Cases Azurite cannot pass, with its reason (none at present).
const AZURITE_LIMITS: &[(&str, &str)] = &[];

fn conformance(mut c: Command, dsn: &str, skips: &[(&str, &str)], what: &str) {
    c.args(["conformance", "azblob", "--dsn", dsn]);
    for (case, why) in skips {
        c.arg("--skip").arg(format!("{case}={why}"));
    }
    let o = c.output().expect("trove-host runs");
    let out = text(&o.stdout);
    print!("{out}");
    let last = out.lines().last().unwrap_or_default();
    assert!(
        o.status.success() && last.contains(" passed, 0 failed"),
        "{what} (Azurite from {SCRIPT}): {last}\n{out}\n{}",
        text(&o.stderr)
    );
}

#[test]
fn conformance_against_azurite_with_the_account_key() {
    let (a, _turn) = azurite();
    conformance(cmd(&a.key), &a.dsn, AZURITE_LIMITS, "SharedKey");
}

/// The connection string in a file, and a DSN that names only the container:
/// the host takes the endpoint and the account from the connection string.
#[test]
fn conformance_against_azurite_with_a_connection_string_file() {
    let (a, _turn) = azurite();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure.conn");
    std::fs::write(&file, format!("{}\n", a.connection_string)).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
    c.arg("--cache-dir")
        .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"))
        .arg("--credentials-file")
        .arg(&file);
    conformance(c, "azblob://", AZURITE_LIMITS, "connection string");
}

// ---- a SAS token made here with the account key (HMAC-SHA256 by openssl) ----

fn base64_decode(s: &str) -> Vec<u8> {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in s.trim_end_matches('=').bytes() {
        acc = acc << 6 | B64.iter().position(|&x| x == c).expect("base64") as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// `base64(HMAC-SHA256(key, msg))`, computed by `openssl` (independent of
/// the driver's own signing code).
fn hmac_base64(key: &[u8], msg: &str) -> String {
    use std::io::Write;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-mac", "HMAC", "-macopt"])
        .arg(format!("hexkey:{hex}"))
        .arg("-binary")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(msg.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "openssl failed");
    let mut b64 = Command::new("base64")
        .args(["-w", "0"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("base64 runs");
    b64.stdin.take().unwrap().write_all(&o.stdout).unwrap();
    text(&b64.wait_with_output().unwrap().stdout)
        .trim()
        .to_string()
}

fn iso8601(t: std::time::SystemTime) -> String {
    let o = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ", "-d"])
        .arg(format!(
            "@{}",
            t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        ))
        .output()
        .unwrap();
    text(&o.stdout).trim().to_string()
}

/// An account SAS (blob service; service, container and object level; all
/// permissions; one hour), version 2021-12-02.
fn account_sas(a: &Azurite) -> String {
    let now = std::time::SystemTime::now();
    let st = iso8601(now - std::time::Duration::from_secs(300));
    let se = iso8601(now + std::time::Duration::from_secs(3600));
    let (sv, sp, ss, srt, spr) = ("2021-12-02", "rwdlacup", "b", "sco", "https,http");
    let to_sign = format!(
        "{}\n{sp}\n{ss}\n{srt}\n{st}\n{se}\n\n{spr}\n{sv}\n\n",
        a.account
    );
    let sig = hmac_base64(&base64_decode(&a.key), &to_sign);
    format!(
        "sv={sv}&ss={ss}&srt={srt}&sp={sp}&st={}&se={}&spr={}&sig={}",
        encode(&st),
        encode(&se),
        encode(spr),
        encode(&sig)
    )
}

#[test]
fn conformance_against_azurite_with_a_sas_token() {
    let (a, _turn) = azurite();
    let sas = account_sas(&a);
    // presign/get and presign/put are reported skipped by the suite: with a
    // SAS token the driver has no key to sign a narrower one and answers
    // `unsupported` (it never hands out the token itself).
    conformance(cmd(&sas), &a.dsn, AZURITE_LIMITS, "SAS token");
    let o = cmd(&sas)
        .args(["--dsn", &a.dsn, "presign", "get", "any", "key"])
        .output()
        .unwrap();
    assert!(
        text(&o.stderr).starts_with("error: unsupported: presigning needs the account key"),
        "{}",
        text(&o.stderr)
    );
    // A SAS signed with another key is refused.
    let forged = sas.replace("sig=", "sig=AAAA");
    let o = cmd(&forged)
        .args(["--dsn", &a.dsn, "buckets"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: permission-denied: "),
        "a bad SAS gave: {err}"
    );
}

#[test]
fn a_wrong_key_is_permission_denied() {
    let (a, _turn) = azurite();
    // Valid base64, not the account's key.
    let wrong = "bm90LXRoZS1rZXktbm90LXRoZS1rZXktbm90LXRoZS1rZXk=";
    let o = cmd(wrong)
        .args(["--dsn", &a.dsn, "buckets"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: permission-denied: "),
        "a wrong key gave: {err}"
    );
    assert!(!err.contains(wrong), "the key was printed: {err}");
}

/// The key percent-encoded in the DSN's password, the account as its user
/// and the container as its host: a round trip of the everyday commands.
#[test]
fn the_key_in_the_dsn_works_and_is_never_printed() {
    let (a, _turn) = azurite();
    let b = unique("dsn-key");
    let dsn = format!(
        "azblob://{}:{}@{b}?endpoint={}",
        a.account,
        encode(&a.key),
        a.endpoint
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trove-host"))
            .arg("--cache-dir")
            .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"))
            .args(["--dsn", &dsn])
            .args(args)
            .output()
            .unwrap()
    };
    ok(run(&["mb", &b]), "mb");
    ok(run(&["ping"]), "ping");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.txt");
    std::fs::write(&src, b"hello azure").unwrap();
    ok(
        run(&[
            "put",
            &b,
            "a/b c.txt",
            src.to_str().unwrap(),
            "--content-type",
            "text/plain",
            "--meta",
            "Owner-Name=Ann",
        ]),
        "put",
    );
    let head = ok(run(&["--json", "head", &b, "a/b c.txt"]), "head");
    assert!(head.contains("\"Owner-Name\":\"Ann\""), "{head}");
    // MD5("hello azure"): the ETag is derived from the content.
    let md5 = text(
        &Command::new("sh")
            .arg("-c")
            .arg(format!("md5sum {}", src.display()))
            .output()
            .unwrap()
            .stdout,
    );
    let md5 = md5.split_whitespace().next().unwrap();
    assert!(head.contains(&format!("\"etag\":\"{md5}\"")), "{head}");
    let ls = ok(run(&["ls", &b, "--delimiter", "/"]), "ls");
    assert!(ls.contains("a/"), "{ls}");
    let got = ok(run(&["get", &b, "a/b c.txt", "-"]), "get");
    assert_eq!(got, "hello azure");
    let o = run(&["rb", &b]);
    assert!(
        text(&o.stderr).starts_with("error: bucket-not-empty: "),
        "rb of a non-empty container: {}",
        text(&o.stderr)
    );
    ok(run(&["rm", &b, "a/b c.txt"]), "rm");
    let o = run(&["--json", "head", &b, "a/b c.txt"]);
    assert!(text(&o.stderr).starts_with("error: object-not-found: "));
    ok(run(&["rb", &b]), "rb");
    // A failure message shows the DSN redacted, never the key.
    let o = run(&["ls", &b]);
    let err = text(&o.stderr);
    assert!(err.starts_with("error: bucket-not-found: "), "{err}");
    assert!(
        !err.contains(&a.key) && !err.contains(&encode(&a.key)),
        "{err}"
    );
}

fn presign(a: &Azurite, method: &str, b: &str, key: &str) -> String {
    let url = ok(
        cmd(&a.key)
            .args([
                "--dsn",
                &a.dsn,
                "presign",
                method,
                b,
                key,
                "--expires",
                "300",
            ])
            .output()
            .unwrap(),
        "presign",
    );
    let url = url.trim().to_string();
    assert!(
        url.starts_with(&a.endpoint) && url.contains("sig=") && url.contains("sr=b"),
        "{url}"
    );
    url
}

#[test]
fn a_presigned_get_url_downloads_with_curl() {
    let (a, _turn) = azurite();
    let b = unique("presign-get");
    let run = |args: &[&str]| {
        cmd(&a.key)
            .args(["--dsn", &a.dsn])
            .args(args)
            .output()
            .unwrap()
    };
    ok(run(&["mb", &b]), "mb");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hello.txt");
    std::fs::write(&src, b"hello from a presigned url").unwrap();
    ok(
        run(&["put", &b, "dir/hello world.txt", src.to_str().unwrap()]),
        "put",
    );
    let url = presign(&a, "get", &b, "dir/hello world.txt");
    let o = Command::new("curl")
        .args(["-sS", "-f", &url])
        .output()
        .expect("curl runs");
    assert!(o.status.success(), "curl: {}", text(&o.stderr));
    assert_eq!(o.stdout, b"hello from a presigned url");
    // The read-only URL does not allow writing.
    let o = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
        .args([
            "-H",
            "x-ms-blob-type: BlockBlob",
            "--data-binary",
            "x",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(text(&o.stdout), "403");
    ok(run(&["rm", &b, "dir/hello world.txt"]), "rm");
    ok(run(&["rb", &b]), "rb");
}

#[test]
fn a_presigned_put_url_uploads_with_curl() {
    let (a, _turn) = azurite();
    let b = unique("presign-put");
    let run = |args: &[&str]| {
        cmd(&a.key)
            .args(["--dsn", &a.dsn])
            .args(args)
            .output()
            .unwrap()
    };
    ok(run(&["mb", &b]), "mb");
    let url = presign(&a, "put", &b, "up/loaded.txt");
    let o = Command::new("curl")
        .args(["-sS", "-f", "-X", "PUT", "-H", "x-ms-blob-type: BlockBlob"])
        .args(["--data-binary", "sent with curl", &url])
        .output()
        .expect("curl runs");
    assert!(o.status.success(), "curl: {}", text(&o.stderr));
    let got = ok(run(&["get", &b, "up/loaded.txt", "-"]), "get");
    assert_eq!(got, "sent with curl");
    ok(run(&["rm", &b, "up/loaded.txt"]), "rm");
    ok(run(&["rb", &b]), "rb");
}
