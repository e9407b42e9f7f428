//! What the object_store tests share: opening a `TroveStore` on each
//! backend, the server-backed ones from the variables their scripts write
//! (scripts/servers/<name>.sh start, then source $TROVE_SERVERS_DIR/<name>.env;
//! scripts/test.sh does both).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use trove_host::{Credentials, ErrorKind, Host, HostConfig, SftpConfig};
use trove_object_store::TroveStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Mem,
    File,
    /// s3 on s3s-fs.
    S3s,
    /// s3 on moto_server.
    Moto,
    /// gs on fake-gcs-server.
    Gcs,
    /// azblob on Azurite.
    Azurite,
    /// sftp on OpenSSH.
    Sftp,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Mem => "mem",
            Backend::File => "file",
            Backend::S3s => "s3/s3s-fs",
            Backend::Moto => "s3/moto",
            Backend::Gcs => "gs/fake-gcs-server",
            Backend::Azurite => "azblob/Azurite",
            Backend::Sftp => "sftp/OpenSSH",
        }
    }

    /// The script that starts the backend's server, and its .env name.
    fn script(self) -> Option<(&'static str, &'static str)> {
        match self {
            Backend::Mem | Backend::File => None,
            Backend::S3s => Some(("scripts/servers/s3s.sh", "s3s")),
            Backend::Moto => Some(("scripts/servers/moto.sh", "moto")),
            Backend::Gcs => Some(("scripts/servers/fake-gcs.sh", "fake-gcs")),
            Backend::Azurite => Some(("scripts/servers/azurite.sh", "azurite")),
            Backend::Sftp => Some(("scripts/servers/sshd.sh", "sshd")),
        }
    }
}

/// A store on a fresh bucket, and what must outlive it.
pub struct Opened {
    pub store: Arc<TroveStore>,
    _dir: Option<tempfile::TempDir>,
    /// This server's turn (tests take turns on one server).
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
}

/// One test at a time per server: Azurite is one single-threaded Node
/// process, and the machine has few cores; the servers' own tests do the same.
static TURNS: [tokio::sync::Mutex<()>; 5] = [
    tokio::sync::Mutex::const_new(()),
    tokio::sync::Mutex::const_new(()),
    tokio::sync::Mutex::const_new(()),
    tokio::sync::Mutex::const_new(()),
    tokio::sync::Mutex::const_new(()),
];

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache")
}

fn host(credentials: Option<Credentials>, sftp: SftpConfig) -> Host {
    Host::new(HostConfig {
        cache_dir: Some(cache()),
        credentials,
        sftp,
        ..Default::default()
    })
    .expect("host")
}

/// A server variable. A server test never skips quietly (as the cli tests,
/// see scripts/servers/README.md): without the variable it fails, naming the
/// script that starts the server.
fn var(b: Backend, name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) => Some(v),
        Err(_) => {
            let (script, env) = b.script().expect("a server backend");
            panic!(
                "{} test: {name} is not set: start the server with `{script} start` and \
                 source $TROVE_SERVERS_DIR/{env}.env (scripts/test.sh does both)",
                b.name()
            )
        }
    }
}

/// A bucket name for `test` that every backend accepts (3–63 characters,
/// lowercase, digits and `-`), distinct per process.
pub fn bucket_name(test: &str) -> String {
    let mut b = format!("os-{}-{}", std::process::id(), test.replace('_', "-"));
    b.truncate(63);
    b.trim_end_matches('-').to_string()
}

/// Open `b` on a new bucket for `test`; `None` when its server is not set up.
pub async fn open(b: Backend, test: &str) -> Option<Opened> {
    let mut dir = None;
    let (host, dsn) = match b {
        Backend::Mem => (host(None, SftpConfig::default()), "mem://".to_string()),
        Backend::File => {
            let d = tempfile::tempdir().unwrap();
            let dsn = format!("file://{}", d.path().display());
            dir = Some(d);
            (host(None, SftpConfig::default()), dsn)
        }
        Backend::S3s | Backend::Moto => {
            let p = if b == Backend::S3s { "S3S" } else { "MOTO" };
            let dsn = var(b, &format!("TROVE_TEST_{p}_DSN"))?;
            let creds = Credentials {
                user: Some(var(b, &format!("TROVE_TEST_{p}_ACCESS_KEY"))?),
                secret: var(b, &format!("TROVE_TEST_{p}_SECRET_KEY"))?,
            };
            (host(Some(creds), SftpConfig::default()), dsn)
        }
        Backend::Gcs => (
            host(None, SftpConfig::default()),
            var(b, "TROVE_TEST_GCS_DSN")?,
        ),
        Backend::Azurite => {
            let dsn = var(b, "TROVE_TEST_AZURITE_DSN")?;
            let creds = Credentials {
                user: None,
                secret: var(b, "TROVE_TEST_AZURITE_KEY")?,
            };
            (host(Some(creds), SftpConfig::default()), dsn)
        }
        Backend::Sftp => {
            let dsn = var(b, "TROVE_TEST_SFTP_DSN")?;
            let sftp = SftpConfig {
                identity: Some(var(b, "TROVE_TEST_SFTP_IDENTITY")?.into()),
                known_hosts: Some(var(b, "TROVE_TEST_SFTP_KNOWN_HOSTS")?.into()),
            };
            (host(None, sftp), dsn)
        }
    };
    let turn = match b {
        Backend::Mem | Backend::File => None,
        Backend::S3s => Some(TURNS[0].lock().await),
        Backend::Moto => Some(TURNS[1].lock().await),
        Backend::Gcs => Some(TURNS[2].lock().await),
        Backend::Azurite => Some(TURNS[3].lock().await),
        Backend::Sftp => Some(TURNS[4].lock().await),
    };
    let driver = host
        .open(&dsn)
        .await
        .unwrap_or_else(|e| panic!("{}: opening {}: {e}", b.name(), trove_host::redact(&dsn)));
    let bucket = bucket_name(test);
    match driver.create_bucket(&bucket).await {
        Err(e) if e.kind() != ErrorKind::BucketExists => {
            panic!("{}: creating bucket {bucket}: {e}", b.name())
        }
        _ => {}
    }
    Some(Opened {
        store: Arc::new(TroveStore::new(driver, bucket)),
        _dir: dir,
        _turn: turn,
    })
}

/// Remove what a test left on a server (best effort).
pub async fn cleanup(store: &TroveStore) {
    use futures::TryStreamExt;
    use object_store::ObjectStore;
    let d = store.driver();
    if let Ok(all) = store.list(None).try_collect::<Vec<_>>().await {
        for m in all {
            let _ = d.delete(store.bucket(), m.location.as_ref()).await;
        }
    }
    let _ = d.delete_bucket(store.bucket()).await;
}
