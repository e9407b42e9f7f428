//! The `sftp` import confines paths by what the server resolves, not by their
//! text: a symbolic link inside the granted folder (planted by someone else)
//! does not let a driver read, overwrite, rename, stat, list, create or remove
//! anything outside it. The driver is drivers/testing/hostile-sftp, which
//! calls the import directly with the paths chosen here.
//!
//! Needs the test sshd on loopback: `scripts/servers/sshd.sh start`, then
//! `source $TROVE_SERVERS_DIR/sshd.env` (scripts/test.sh does both). The
//! server is local, so the links are planted straight in its data folder.
//! Run with `--nocapture` to see each attack, the error and the time.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Instant;
use trove_host::{Driver, ErrorKind, GetOptions, Host, HostConfig, PutOptions, SftpConfig};

/// A variable written by scripts/servers/sshd.sh; missing means the server is not up.
fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start the test sshd with `scripts/servers/sshd.sh start` and \
             source $TROVE_SERVERS_DIR/sshd.env (scripts/test.sh does both)"
        )
    })
}

fn hostile_sftp() -> String {
    Path::new(env!("TROVE_GUEST_DIR"))
        .join("trove_driver_hostile_sftp.wasm")
        .display()
        .to_string()
}

fn host() -> Host {
    Host::new(HostConfig {
        cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-cache")),
        sftp: SftpConfig {
            identity: Some(var("TROVE_TEST_SFTP_IDENTITY").into()),
            known_hosts: Some(var("TROVE_TEST_SFTP_KNOWN_HOSTS").into()),
        },
        // The hostile-sftp driver declares one SSH session; allowed as a
        // user would with --allow sftp:sftp.
        registry: {
            let mut r = trove_host::Registry::with_builtins();
            r.allow("sftp", trove_host::GrantKind::Sftp).unwrap();
            r
        },
        ..Default::default()
    })
    .unwrap()
}

/// A fresh folder on the (local) server, laid out as
///
/// ```text
/// <case>/outside/secret          "secret": what the attacks go for
/// <case>/outside/empty/          an empty folder (rmdir target)
/// <case>/granted/                the DSN's folder
/// <case>/granted/ok.txt          "fine"
/// <case>/granted/sub/            a real folder
/// <case>/granted/l       -> ../outside/secret    a link to a file outside
/// <case>/granted/d       -> ../outside           a link to a folder outside
/// <case>/granted/new     -> ../outside/new       a dangling link (create through it)
/// <case>/granted/inner   -> ok.txt               a link that stays inside
/// <case>/granted/sub/up  -> ../../outside        a folder link one level down
/// ```
struct Case {
    /// The server's path of `granted/` (= the local path: the server is local).
    granted: String,
    outside: PathBuf,
    dsn: String,
}

fn case(name: &str) -> Case {
    let base = var("TROVE_TEST_SFTP_DSN");
    let (head, query) = base.split_once('?').unwrap_or((&base, ""));
    // sftp://user@host:port/path: the path is the server's (and ours).
    let after_scheme = head.strip_prefix("sftp://").unwrap();
    let data = &after_scheme[after_scheme.find('/').unwrap()..];
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = PathBuf::from(data.trim_end_matches('/')).join(format!("{name}-{n}"));
    let (granted, outside) = (dir.join("granted"), dir.join("outside"));
    std::fs::create_dir_all(granted.join("sub")).unwrap();
    std::fs::create_dir_all(outside.join("empty")).unwrap();
    std::fs::write(outside.join("secret"), "secret").unwrap();
    std::fs::write(granted.join("ok.txt"), "fine").unwrap();
    symlink("../outside/secret", granted.join("l")).unwrap();
    symlink("../outside", granted.join("d")).unwrap();
    symlink("../outside/new", granted.join("new")).unwrap();
    symlink("ok.txt", granted.join("inner")).unwrap();
    symlink("../../outside", granted.join("sub/up")).unwrap();
    let granted = granted.display().to_string();
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let dsn = format!("{}/{name}-{n}/granted{q}", head.trim_end_matches('/'));
    Case {
        granted,
        outside,
        dsn,
    }
}

/// Runs `op` on `path` through the hostile driver's `head(op, path)`.
async fn attempt(d: &Driver, op: &str, path: &str) -> trove_host::Result<String> {
    d.head(op, path).await.map(|i| i.key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinks_below_the_granted_folder_are_refused_for_every_sftp_operation() {
    let host = host();
    let c = case("confine");
    let d = host.open_with(&hostile_sftp(), &c.dsn).await.unwrap();
    let g = |rel: &str| format!("{}/{rel}", c.granted);
    // (attack, op, path (a rename's: `src<TAB>dst`), the path the refusal
    // names (a rename's refused side), the link it names); relative to the
    // granted folder.
    let attacks = [
        ("read through a final file link", "read", "l", "l", "l"),
        (
            "read through a folder link",
            "read",
            "d/secret",
            "d/secret",
            "d",
        ),
        ("overwrite through a final link", "write", "l", "l", "l"),
        (
            "overwrite through a folder link",
            "write",
            "d/secret",
            "d/secret",
            "d",
        ),
        (
            "overwrite via a deeper folder link",
            "write",
            "sub/up/secret",
            "sub/up/secret",
            "sub/up",
        ),
        (
            "write without truncate via final link",
            "append",
            "l",
            "l",
            "l",
        ),
        (
            "create through a dangling final link",
            "create",
            "new",
            "new",
            "new",
        ),
        (
            "create a file in a linked folder",
            "create",
            "d/new",
            "d/new",
            "d",
        ),
        ("stat through a final file link", "stat", "l", "l", "l"),
        (
            "stat through a folder link",
            "stat",
            "d/secret",
            "d/secret",
            "d",
        ),
        ("stat a final folder link", "stat", "d", "d", "d"),
        ("list a linked folder", "readdir", "d", "d", "d"),
        (
            "list a linked folder, trailing /",
            "readdir",
            "d/",
            "d/",
            "d",
        ),
        (
            "list a folder under a linked one",
            "readdir",
            "d/empty",
            "d/empty",
            "d",
        ),
        (
            "rename a final link into place",
            "rename",
            "l\tstolen",
            "l",
            "l",
        ),
        (
            "rename out of a linked folder",
            "rename",
            "d/secret\tstolen",
            "d/secret",
            "d",
        ),
        (
            "rename over a file in a linked folder",
            "rename",
            "ok.txt\td/secret",
            "d/secret",
            "d",
        ),
        ("rename over a final link", "rename", "ok.txt\tl", "l", "l"),
        (
            "remove in a linked folder",
            "remove",
            "d/secret",
            "d/secret",
            "d",
        ),
        ("remove a final link", "remove", "l", "l", "l"),
        ("mkdir in a linked folder", "mkdir", "d/made", "d/made", "d"),
        (
            "rmdir in a linked folder",
            "rmdir",
            "d/empty",
            "d/empty",
            "d",
        ),
        (
            "read through a link that stays inside",
            "read",
            "inner",
            "inner",
            "inner",
        ),
    ];
    for (attack, op, rel, named, link) in attacks {
        let path = rel.split('\t').map(g).collect::<Vec<_>>().join("\t");
        let (named, link) = (g(named), g(link));
        let started = Instant::now();
        let outcome = attempt(&d, op, &path).await;
        let took = started.elapsed();
        let err = match outcome {
            Ok(answer) => panic!("ATTACK {attack}: {op} {path:?} was allowed: {answer:?}"),
            Err(e) => e,
        };
        println!(
            "ATTACK {attack:<40} | {:<17} | {took:>9.2?} | {err}",
            err.kind().to_string()
        );
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{attack}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{named:?}: ")),
            "{attack}: names {named:?}: {msg}"
        );
        // The link itself, or `it` when it is the path named.
        let link_named = if link == named {
            "it is a symbolic link".to_string()
        } else {
            format!("{link:?} is a symbolic link")
        };
        assert!(msg.contains(&link_named), "{attack}: {link_named}: {msg}");
        assert_eq!(msg.lines().count(), 1, "{attack}: {msg}");
    }

    // Nothing outside changed, nothing was made there, and nothing moved in.
    assert_eq!(
        std::fs::read_to_string(c.outside.join("secret")).unwrap(),
        "secret"
    );
    assert!(
        !c.outside.join("new").exists(),
        "created through the dangling link"
    );
    assert!(
        !c.outside.join("made").exists(),
        "mkdir through the folder link"
    );
    assert!(
        c.outside.join("empty").is_dir(),
        "rmdir through the folder link"
    );
    let mut outside: Vec<String> = std::fs::read_dir(&c.outside)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    outside.sort();
    assert_eq!(outside, ["empty", "secret"]);
    assert!(!Path::new(&g("stolen")).exists());
    assert_eq!(std::fs::read_to_string(g("ok.txt")).unwrap(), "fine");
    for link in ["l", "d", "new", "inner", "sub/up"] {
        let meta = std::fs::symlink_metadata(g(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} was replaced");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_operations_without_symlinks_still_work_next_to_planted_ones() {
    let host = host();
    let c = case("legit");
    let d = host.open_with(&hostile_sftp(), &c.dsn).await.unwrap();
    let g = |rel: &str| format!("{}/{rel}", c.granted);
    let rename = |src: &str, dst: &str| format!("{}\t{}", g(src), g(dst));
    for (op, path, answer) in [
        ("read", g("ok.txt"), "read: fine"),
        ("stat", c.granted.clone(), "dir true"),
        ("stat", g("ok.txt"), "size 4 dir false"),
        ("write", g("sub/new.txt"), "wrote"),
        ("read", g("sub/new.txt"), "read: pwned"),
        ("create", g("sub/x"), "wrote"),
        ("mkdir", g("sub/deeper"), "done"),
        ("write", g("sub/deeper/y"), "wrote"),
        ("rename", rename("sub/deeper/y", "sub/y"), "done"),
        ("readdir", g("sub"), "deeper,new.txt,up,x,y"),
        // The links are listed (as entries), not followed.
        ("readdir", c.granted.clone(), "d,inner,l,new,ok.txt,sub"),
        ("remove", g("sub/y"), "done"),
        ("rmdir", g("sub/deeper"), "done"),
    ] {
        let started = Instant::now();
        let got = attempt(&d, op, &path)
            .await
            .unwrap_or_else(|e| panic!("{op} {path:?}: {e}"));
        println!(
            "ALLOWED {op:<8} {:<40} | {:>9.2?} | {got}",
            path.replace(&c.granted, "").replace('\t', " -> "),
            started.elapsed()
        );
        assert!(got.contains(answer), "{op} {path:?}: {got}");
    }

    // The text check still holds on its own.
    for path in [
        format!("{}/../outside/secret", c.granted),
        c.outside.join("secret").display().to_string(),
    ] {
        let err = attempt(&d, "read", &path).await.unwrap_err();
        println!(
            "ATTACK {:<40} | {} | {err}",
            "a path outside by its text",
            err.kind()
        );
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(
            err.to_string().contains("outside the granted folder"),
            "{err}"
        );
    }
}

/// The built-in sftp driver over a folder where someone made an object's
/// file a link: the host refuses to follow it, the driver serves the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sftp_driver_cannot_be_led_out_through_a_planted_link() {
    let host = host();
    let c = case("driver");
    let d = host.open(&c.dsn).await.unwrap();
    d.create_bucket("b").await.unwrap();
    d.put_bytes("b", "k", b"mine".to_vec(), PutOptions::default())
        .await
        .unwrap();
    // Someone with write access to the folder replaces the bucket's folder
    // `b/sub` by a link out, and the key `b/evil` by a link to the secret.
    symlink("../../outside", format!("{}/b/sub", c.granted)).unwrap();
    symlink("../../outside/secret", format!("{}/b/evil", c.granted)).unwrap();
    for (attack, key) in [
        ("get a key that is a link out", "evil"),
        ("get a key under a linked folder", "sub/secret"),
    ] {
        let started = Instant::now();
        let err = d
            .get_bytes("b", key, GetOptions::default())
            .await
            .unwrap_err();
        println!(
            "ATTACK {attack:<40} | {:<17} | {:>9.2?} | {err}",
            err.kind().to_string(),
            started.elapsed()
        );
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{attack}: {err}");
    }
    let started = Instant::now();
    let err = d
        .put_bytes("b", "sub/secret", b"pwned".to_vec(), PutOptions::default())
        .await
        .unwrap_err();
    println!(
        "ATTACK {:<40} | {:<17} | {:>9.2?} | {err}",
        "put a key under a linked folder",
        err.kind().to_string(),
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    // A listing meets the links as entries and describes each: refused too,
    // rather than showing what they point to.
    let started = Instant::now();
    let err = d.list("b", Default::default()).await.unwrap_err();
    println!(
        "ATTACK {:<40} | {:<17} | {:>9.2?} | {err}",
        "list a bucket holding links",
        err.kind().to_string(),
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert_eq!(
        std::fs::read_to_string(c.outside.join("secret")).unwrap(),
        "secret"
    );
    let (_, got) = d.get_bytes("b", "k", GetOptions::default()).await.unwrap();
    assert_eq!(got, b"mine");
}
