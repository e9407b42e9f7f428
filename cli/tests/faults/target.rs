//! The servers the fault suite runs against, each reached two ways: through
//! a fault relay (the faulty path, a fresh host per case) and directly (the
//! clean path every check uses).

use crate::common::unique;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use trove_fault_relay::Relay;
use trove_host::{Credentials, Driver, Host, HostConfig, Limits, SftpConfig};

/// The host's limits on the faulty path: short enough that stalls and
/// storms end in seconds (a retry window of 3 s, half the call timeout).
pub fn limits() -> Limits {
    Limits {
        call_timeout: Duration::from_secs(6),
        http_idle_timeout: Duration::from_secs(2),
        ..Limits::default()
    }
}

pub struct Target {
    pub name: &'static str,
    /// The server's DSN with `{ADDR}` where its `host:port` goes.
    dsn: String,
    pub upstream: SocketAddr,
    credentials: Option<Credentials>,
    /// sftp: the identity, and the server's host key (a known_hosts line
    /// without its name), written for the relay's port.
    sftp: Option<(PathBuf, String)>,
    /// Whether the driver speaks HTTP (the relay's HTTP answers apply).
    pub http: bool,
    /// Holds the known_hosts files written for relays.
    dir: tempfile::TempDir,
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

/// `host:port` of an `http://host:port/...` endpoint.
fn addr_of(endpoint: &str) -> SocketAddr {
    let rest = endpoint.trim_start_matches("http://");
    rest.split('/').next().unwrap().parse().unwrap()
}

impl Target {
    /// An HTTP server from its script's variables `TROVE_TEST_{prefix}_*`.
    fn http(name: &'static str, prefix: &str, script: &str) -> Target {
        let v = |s: &str| var(&format!("TROVE_TEST_{prefix}_{s}"), script);
        let endpoint = v("ENDPOINT");
        let upstream = addr_of(&endpoint);
        let credentials = match prefix {
            "GCS" => None,
            "AZURITE" => Some(Credentials {
                user: None,
                secret: v("KEY"),
            }),
            _ => Some(Credentials {
                user: Some(v("ACCESS_KEY")),
                secret: v("SECRET_KEY"),
            }),
        };
        Target {
            name,
            dsn: v("DSN").replace(&upstream.to_string(), "{ADDR}"),
            upstream,
            credentials,
            sftp: None,
            http: true,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn s3s() -> Target {
        Target::http("s3 (s3s-fs)", "S3S", "scripts/servers/s3s.sh")
    }
    pub fn moto() -> Target {
        Target::http("s3 (moto)", "MOTO", "scripts/servers/moto.sh")
    }
    pub fn gcs() -> Target {
        Target::http("gs (fake-gcs)", "GCS", "scripts/servers/fake-gcs.sh")
    }
    pub fn azurite() -> Target {
        Target::http("azblob (Azurite)", "AZURITE", "scripts/servers/azurite.sh")
    }

    /// sshd: a fresh folder under its data folder is the DSN's root.
    pub fn sshd() -> Target {
        let script = "scripts/servers/sshd.sh";
        let dsn = var("TROVE_TEST_SFTP_DSN", script);
        let identity = PathBuf::from(var("TROVE_TEST_SFTP_IDENTITY", script));
        let known = std::fs::read_to_string(var("TROVE_TEST_SFTP_KNOWN_HOSTS", script)).unwrap();
        let rest = dsn.split_once('@').unwrap().1;
        let hostport = rest.split('/').next().unwrap();
        let upstream: SocketAddr = hostport.parse().unwrap();
        let key = known
            .lines()
            .find_map(|l| l.strip_prefix(&format!("[{}]:{} ", upstream.ip(), upstream.port())))
            .expect("known_hosts names the server")
            .to_string();
        let dsn = format!("{}/{}", dsn.trim_end_matches('/'), unique("faults"))
            .replace(hostport, "{ADDR}");
        Target {
            name: "sftp (sshd)",
            dsn,
            upstream,
            credentials: None,
            sftp: Some((identity, key)),
            http: false,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn host(&self, addr: SocketAddr, limits: Limits) -> Host {
        let sftp = match &self.sftp {
            None => SftpConfig::default(),
            Some((identity, key)) => {
                let path = self.dir.path().join(format!("known_hosts-{}", addr.port()));
                let line = format!("[{}]:{} {key}\n", addr.ip(), addr.port());
                std::fs::write(&path, line).unwrap();
                SftpConfig {
                    identity: Some(identity.clone()),
                    known_hosts: Some(path),
                }
            }
        };
        Host::new(HostConfig {
            limits,
            cache_dir: Some(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache").into()),
            sftp,
            credentials: self.credentials.clone(),
            ..HostConfig::default()
        })
        .unwrap()
    }

    async fn open(&self, addr: SocketAddr, limits: Limits) -> Driver {
        let dsn = self.dsn.replace("{ADDR}", &addr.to_string());
        self.host(addr, limits).open(&dsn).await.unwrap()
    }

    /// The driver on the clean path (default limits).
    pub async fn direct(&self) -> Driver {
        self.open(self.upstream, Limits::default()).await
    }

    /// The driver through `relay`, on a host of its own with [`limits`].
    pub async fn via(&self, relay: &Relay) -> Driver {
        self.open(relay.addr(), limits()).await
    }
}
