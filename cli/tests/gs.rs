//! The gs driver against fake-gcs-server on loopback (scripts/servers/fake-gcs.sh;
//! scripts/test.sh starts it and exports its variables). Everything goes
//! through the CLI as a user types it.
//!
//! fake-gcs-server checks no credentials, so the service-account path is
//! exercised up to the token endpoint: each test that uses a key makes a
//! throwaway RSA key (openssl), hands the JSON key to the host with
//! `--credentials-file`, and runs a token endpoint on loopback that checks
//! the driver's RS256 JWT with the public key (openssl) before it issues a
//! token. The signatures themselves are unit-tested in the driver crate
//! (`cargo test -p trove-driver-gs --lib`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::unique;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SCRIPT: &str = "scripts/servers/fake-gcs.sh";

/// A variable written by the server's script; missing means it is not up.
fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start the server with `{SCRIPT} start` and source \
             $TROVE_SERVERS_DIR/fake-gcs.env (scripts/test.sh does both)"
        )
    })
}

fn dsn() -> String {
    var("TROVE_TEST_GCS_DSN")
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
    c.arg("--cache-dir")
        .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"));
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

/// `trove-host --dsn DSN ARGS` (no credentials: the emulator mode).
fn run(dsn: &str, args: &[&str]) -> Output {
    bin()
        .args(["--dsn", dsn])
        .args(args)
        .output()
        .expect("trove-host runs")
}

/// Cases fake-gcs-server cannot pass, with the reason: the suite reports
/// them as skipped with it (`--skip CASE=REASON`); everything else must
/// pass. None so far: the driver does not rely on what the emulator lacks
/// (it ignores `ifGenerationMatch` on `uploadType=media`, which the driver
/// does not use; multipart and resumable uploads and compose honour it).
const SERVER_LIMITS: &[(&str, &str)] = &[];

fn conformance(extra: &[&str], dsn: &str, skips: &[(&str, &str)]) -> String {
    let mut cmd = bin();
    cmd.args(extra).args(["conformance", "gs", "--dsn", dsn]);
    for (case, why) in SERVER_LIMITS.iter().chain(skips) {
        cmd.arg("--skip").arg(format!("{case}={why}"));
    }
    let o = cmd.output().expect("trove-host runs");
    let out = text(&o.stdout);
    print!("{out}");
    let last = out.lines().last().unwrap_or_default().to_string();
    assert!(
        o.status.success() && last.contains(" passed, 0 failed"),
        "fake-gcs-server (from {SCRIPT}): {last}\n{out}\n{}",
        text(&o.stderr)
    );
    out
}

#[test]
fn conformance_against_fake_gcs_server_without_credentials() {
    let why = "this run names the emulator and no service-account key, and V4 signed URLs \
               need one (the key run, conformance_with_a_service_account_key, covers presign)";
    let out = conformance(&[], &dsn(), &[("presign/get", why), ("presign/put", why)]);
    assert!(out.contains("skipped presign/get: "), "{out}");
}

/// Object Versioning is a bucket setting: with `versioning=true` the driver
/// turns it on for the buckets it creates. Its own pass (the rest of the
/// suite expects a deleted object to be gone and an emptied bucket to be
/// deletable, which a versioned bucket does not do).
#[test]
fn versioning_against_fake_gcs_server() {
    let mut cmd = bin();
    cmd.args(["conformance", "gs", "--filter", "versioning/"])
        .args(["--dsn", &format!("{}&versioning=true", dsn())])
        .arg("--skip")
        .arg(
            "versioning/delete-version=fake-gcs-server 1.54 ignores `generation` on an object \
             DELETE (fakestorage/object.go deleteObject): it archives the live version instead \
             of deleting the one named",
        );
    let o = cmd.output().expect("trove-host runs");
    let out = text(&o.stdout);
    print!("{out}");
    assert!(
        o.status.success() && out.ends_with("2 passed, 0 failed, 1 skipped\n"),
        "{out}\n{}",
        text(&o.stderr)
    );
}

// ---- a throwaway service account and a token endpoint that checks its JWTs ----

fn openssl(args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs (Debian package openssl)");
    assert!(o.status.success(), "openssl {args:?}: {}", text(&o.stderr));
}

struct Key {
    dir: tempfile::TempDir,
    email: String,
}

impl Key {
    fn new(name: &str) -> Key {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("key.pem");
        let public = dir.path().join("public.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            pem.to_str().unwrap(),
        ]);
        openssl(&[
            "pkey",
            "-in",
            pem.to_str().unwrap(),
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ]);
        Key {
            dir,
            email: format!("{name}@trove-test.iam.gserviceaccount.com"),
        }
    }

    fn public(&self) -> PathBuf {
        self.dir.path().join("public.pem")
    }

    /// The JSON key file naming `token_uri`.
    fn json_file(&self, token_uri: &str) -> PathBuf {
        let pem = std::fs::read_to_string(self.dir.path().join("key.pem")).unwrap();
        let key = serde_json::json!({
            "type": "service_account",
            "project_id": "trove-test",
            "private_key_id": "test-key-1",
            "private_key": pem,
            "client_email": self.email,
            "client_id": "1",
            "token_uri": token_uri,
        });
        let path = self.dir.path().join("service-account.json");
        std::fs::write(&path, key.to_string()).unwrap();
        path
    }
}

fn b64url_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c:?}"),
        } as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// An OAuth2 token endpoint (JWT bearer grant, RFC 7523) on loopback that
/// accepts only assertions signed by the key whose public half it holds,
/// issued by `email`, for itself as audience and the storage scope.
struct TokenEndpoint {
    uri: String,
    issued: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl TokenEndpoint {
    fn start(public: PathBuf, email: String) -> TokenEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}/token", listener.local_addr().unwrap());
        let issued = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (i, r, aud) = (issued.clone(), refused.clone(), uri.clone());
        std::thread::spawn(move || {
            let work = tempfile::tempdir().unwrap();
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut length = 0usize;
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap_or(0);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap_or(());
                let verdict = check_grant(
                    &request_line,
                    &text(&body),
                    &public,
                    &email,
                    &aud,
                    work.path(),
                );
                let (status, answer) = match verdict {
                    Ok(()) => {
                        let n = i.fetch_add(1, Ordering::SeqCst);
                        (
                            "200 OK",
                            format!(
                                r#"{{"access_token":"test-token-{n}","expires_in":3600,"token_type":"Bearer"}}"#
                            ),
                        )
                    }
                    Err(why) => {
                        r.fetch_add(1, Ordering::SeqCst);
                        (
                            "400 Bad Request",
                            format!(r#"{{"error":"invalid_grant","error_description":"{why}"}}"#),
                        )
                    }
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        TokenEndpoint {
            uri,
            issued,
            refused,
        }
    }
}

/// Checks one token request; `Err` carries OAuth2's error description.
fn check_grant(
    request_line: &str,
    body: &str,
    public: &Path,
    email: &str,
    aud: &str,
    work: &Path,
) -> Result<(), String> {
    if !request_line.starts_with("POST /token ") {
        return Err(format!("unexpected request {}", request_line.trim()));
    }
    let form: Vec<(&str, &str)> = body.split('&').filter_map(|p| p.split_once('=')).collect();
    let field = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    if field("grant_type") != Some("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") {
        return Err("unsupported grant_type".into());
    }
    let jwt = field("assertion").ok_or("no assertion")?;
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err("the assertion is not a JWT".into());
    }
    let header: serde_json::Value =
        serde_json::from_slice(&b64url_decode(parts[0])).map_err(|_| "bad JWT header")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&b64url_decode(parts[1])).map_err(|_| "bad JWT claims")?;
    if header["alg"] != "RS256" {
        return Err("alg is not RS256".into());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if claims["iss"] != email
        || claims["aud"] != aud
        || claims["scope"] != "https://www.googleapis.com/auth/devstorage.full_control"
        || (iat - now).abs() > 300
        || exp <= now
        || exp - iat > 3600
    {
        return Err(format!("claims refused: {claims}"));
    }
    let n = unique("jwt");
    let input = work.join(format!("{n}.input"));
    let sig = work.join(format!("{n}.sig"));
    std::fs::write(&input, format!("{}.{}", parts[0], parts[1])).unwrap();
    std::fs::write(&sig, b64url_decode(parts[2])).unwrap();
    let o = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(&sig)
        .arg(&input)
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err("Invalid JWT Signature.".into())
    }
}

#[test]
fn conformance_with_a_service_account_key_through_the_token_exchange() {
    let key = Key::new("conformance");
    let endpoint = TokenEndpoint::start(key.public(), key.email.clone());
    let file = key.json_file(&endpoint.uri);
    let out = conformance(&["--credentials-file", file.to_str().unwrap()], &dsn(), &[]);
    assert!(out.contains("ok      presign/get"), "{out}");
    assert!(
        endpoint.issued.load(Ordering::SeqCst) >= 1,
        "the driver never exchanged its JWT"
    );
    assert_eq!(endpoint.refused.load(Ordering::SeqCst), 0);
}

#[test]
fn a_key_the_token_endpoint_does_not_know_is_permission_denied() {
    let known = Key::new("known");
    let stranger = Key::new("known"); // same email, another key
    let endpoint = TokenEndpoint::start(known.public(), known.email.clone());
    let file = stranger.json_file(&endpoint.uri);
    let o = bin()
        .args(["--credentials-file", file.to_str().unwrap()])
        .args(["--dsn", &dsn(), "buckets"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: permission-denied: ")
            && err.contains("token exchange")
            && err.contains("invalid_grant: Invalid JWT Signature."),
        "{err}"
    );
    assert!(!err.contains("PRIVATE KEY"), "the key was printed: {err}");
    assert!(endpoint.refused.load(Ordering::SeqCst) >= 1);
}

#[test]
fn a_presigned_get_url_downloads_with_curl() {
    let key = Key::new("presign");
    let endpoint = TokenEndpoint::start(key.public(), key.email.clone());
    let file = key.json_file(&endpoint.uri);
    let with_key = |args: &[&str]| {
        bin()
            .args(["--credentials-file", file.to_str().unwrap()])
            .args(["--dsn", &dsn()])
            .args(args)
            .output()
            .unwrap()
    };
    let b = unique("presign");
    ok(with_key(&["mb", &b]), "mb");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hello.txt");
    std::fs::write(&src, b"hello from a signed url").unwrap();
    ok(
        with_key(&["put", &b, "dir/hello world.txt", src.to_str().unwrap()]),
        "put",
    );
    let url = ok(
        with_key(&[
            "presign",
            "get",
            &b,
            "dir/hello world.txt",
            "--expires",
            "300",
        ]),
        "presign",
    );
    let url = url.trim();
    assert!(
        url.contains("X-Goog-Algorithm=GOOG4-RSA-SHA256")
            && url.contains("X-Goog-Signature=")
            && url.contains("/dir/hello%20world.txt?"),
        "{url}"
    );
    let o = Command::new("curl")
        .args(["-sS", "-f", url])
        .output()
        .expect("curl runs");
    assert!(o.status.success(), "curl: {}", text(&o.stderr));
    assert_eq!(o.stdout, b"hello from a signed url");
    ok(with_key(&["rm", &b, "dir/hello world.txt"]), "rm");
    ok(with_key(&["rb", &b]), "rb");
    // Without a key there is nothing to sign with.
    let o = run(&dsn(), &["presign", "get", &b, "k"]);
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: unsupported: ") && err.contains("service-account key"),
        "{err}"
    );
}

#[test]
fn round_trip_through_the_cli() {
    let d = dsn();
    let b = unique("cli");
    ok(run(&d, &["mb", &b]), "mb");
    let e = text(&run(&d, &["mb", &b]).stderr);
    assert!(e.starts_with("error: bucket-exists: "), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("note.md");
    std::fs::write(&small, b"# hello\n").unwrap();
    ok(
        run(
            &d,
            &[
                "put",
                &b,
                "docs/note.md",
                small.to_str().unwrap(),
                "--content-type",
                "text/markdown",
                "--meta",
                "Zeta=last",
                "--meta",
                "Author=Ann",
            ],
        ),
        "put",
    );
    // 20 MiB: more than one 8 MiB chunk, so a resumable upload.
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..20u32 << 20).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&big, &data).unwrap();
    ok(
        run(&d, &["put", &b, "big.bin", big.to_str().unwrap()]),
        "put big",
    );
    let head = ok(run(&d, &["--json", "head", &b, "docs/note.md"]), "head");
    let head: serde_json::Value = serde_json::from_str(&head).unwrap();
    assert_eq!(head["size"], 8);
    assert_eq!(head["content_type"], "text/markdown");
    assert_eq!(
        head["metadata"],
        serde_json::json!({"Zeta": "last", "Author": "Ann"}),
        "{head}"
    );
    let ls = ok(run(&d, &["--json", "ls", &b, "--delimiter", "/"]), "ls");
    let ls: serde_json::Value = serde_json::from_str(&ls).unwrap();
    assert_eq!(ls["common_prefixes"], serde_json::json!(["docs/"]), "{ls}");
    assert_eq!(ls["objects"][0]["key"], "big.bin", "{ls}");
    assert_eq!(ls["objects"][0]["size"], 20 << 20);
    let got = dir.path().join("got.bin");
    ok(
        run(&d, &["get", &b, "big.bin", got.to_str().unwrap()]),
        "get big",
    );
    assert!(
        std::fs::read(&got).unwrap() == data,
        "the 20 MiB object came back different"
    );
    let part = run(&d, &["get", &b, "big.bin", "-", "--range", "1000-1009"]);
    assert!(part.status.success(), "get range: {}", text(&part.stderr));
    assert_eq!(part.stdout, &data[1000..1010]);
    ok(run(&d, &["cp", &b, "docs/note.md", &b, "copy.md"]), "cp");
    let copy = ok(run(&d, &["--json", "head", &b, "copy.md"]), "head copy");
    let copy: serde_json::Value = serde_json::from_str(&copy).unwrap();
    assert_eq!(copy["etag"], head["etag"]);
    assert_eq!(copy["metadata"], head["metadata"]);
    let e = text(&run(&d, &["rb", &b]).stderr);
    assert!(e.starts_with("error: bucket-not-empty: "), "{e}");
    for k in ["docs/note.md", "copy.md", "big.bin"] {
        ok(run(&d, &["rm", &b, k]), "rm");
    }
    let e = text(&run(&d, &["head", &b, "copy.md"]).stderr);
    assert!(e.starts_with("error: object-not-found: "), "{e}");
    ok(run(&d, &["rb", &b]), "rb");
    let e = text(&run(&d, &["ls", &b]).stderr);
    assert!(e.starts_with("error: bucket-not-found: "), "{e}");
}

#[test]
fn without_an_endpoint_or_credentials_the_driver_refuses_to_start() {
    let o = run("gs://photos", &["ls", "photos"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: permission-denied: gs needs credentials"),
        "{err}"
    );
}
