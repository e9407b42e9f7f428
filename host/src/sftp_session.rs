//! The SSH session behind the `sftp` import (russh + russh-sftp): the grant
//! an `sftp` declaration resolves to, the one session the host holds for an
//! opened driver, and the checks every path operation passes. The WIT
//! functions themselves are in [`crate::sftp`].
//!
//! - **Scope.** An `sftp://user@host:port/root` DSN grants one session to exactly
//!   that host, port and user; every path the driver passes must be `root` or
//!   below it (no `.` or `..` segments), so a driver cannot reach the rest of the
//!   server even through this import.
//! - **No symbolic links below the root.** The text check alone is not enough: a
//!   symlink inside `root` (planted by anyone who can write there) would lead the
//!   server out of it. So before every path operation the host `lstat`s each
//!   component of each path below `root` (the root itself is the operator's
//!   choice and may be a link), all requests in flight at once: one round trip,
//!   relying only on `lstat` not following links (as SFTP v3 defines it), not on
//!   how the server's `realpath` treats them. Any component that is a symlink,
//!   whether in the middle or last, and wherever it points, makes the call
//!   `permission-denied`; components that do not exist are fine (nothing there
//!   to follow). `stat` is answered by the check's own `lstat` of the path (the
//!   same thing once the path is no link), so it costs no extra request. Nothing
//!   is cached between calls. What is left is the race between the check and
//!   the operation (SFTP v3 has no `openat`/`O_NOFOLLOW`): someone swapping a
//!   folder for a link in that window. The import cannot create links itself.
//!   With `root` `/` nothing is outside, and nothing is checked.
//! - **Credentials** stay in the host: the DSN's password, or the private key
//!   file the user named (`--identity`, [`SftpConfig`]). The driver never sees a key.
//! - **Host key** checked against `known_hosts` (the DSN's `known_hosts=PATH`,
//!   else `--known-hosts`, else `~/.ssh/known_hosts`). Skipping the check needs
//!   `insecure_skip_host_key_check=true` in the DSN, and logs a warning.
//! - **Recovery.** A path operation that fails because the session is gone
//!   reconnects once and is retried once. Open files belong to their session:
//!   after a reconnect, their calls answer `unavailable`.
//! - **Bodies** move in the guest's chunks; the host splits each into SFTP
//!   requests of the server's maximum size and keeps them all in flight at once.

use crate::bindings::trove::driver::sftp::Attrs;
use crate::bindings::wit;
use crate::dsn::Dsn;
use crate::error::{Error, ErrorKind, Result};
use futures::future::join_all;
use russh::client;
use russh::keys::{self, HashAlg, PrivateKeyWithHashAlg};
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::client::RawSftpSession;
use russh_sftp::protocol::{FileAttributes, Packet, StatusCode};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Host-side SFTP settings the user passes explicitly (CLI flags or config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SftpConfig {
    /// Private key file for public-key authentication (unencrypted OpenSSH or PEM).
    pub identity: Option<PathBuf>,
    /// known_hosts file to check server keys against (default `~/.ssh/known_hosts`).
    pub known_hosts: Option<PathBuf>,
}

/// Largest read the host answers in one call (the guest asks for less).
const MAX_READ: u32 = 16 << 20;
/// SFTP request size when the server does not say (the protocol's safe minimum).
const DEFAULT_CHUNK: u64 = 32 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const REQUEST_TIMEOUT_SECS: u64 = 30;

/// What an `sftp:` DSN grants: one session, lazily connected, shared by every
/// instance of the opened driver (clones share it).
#[derive(Clone)]
pub struct SftpGrant {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The folder the driver may use (the DSN's path); empty: the login's home.
    pub root: String,
    /// None: `~/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    pub insecure_skip_host_key_check: bool,
    pub identity: Option<PathBuf>,
    password: Option<String>,
    session: Arc<tokio::sync::Mutex<Option<Arc<Conn>>>>,
}

impl PartialEq for SftpGrant {
    fn eq(&self, o: &Self) -> bool {
        (
            &self.host,
            self.port,
            &self.user,
            &self.root,
            &self.known_hosts,
            self.insecure_skip_host_key_check,
            &self.identity,
        ) == (
            &o.host,
            o.port,
            &o.user,
            &o.root,
            &o.known_hosts,
            o.insecure_skip_host_key_check,
            &o.identity,
        ) && self.password == o.password
    }
}
impl Eq for SftpGrant {}

impl fmt::Debug for SftpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SftpGrant")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("root", &self.root)
            .field("known_hosts", &self.known_hosts)
            .field("insecure", &self.insecure_skip_host_key_check)
            .field("identity", &self.identity)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl fmt::Display for SftpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let root = if self.root.is_empty() {
            "the login's home"
        } else {
            &self.root
        };
        write!(
            f,
            "one SSH session to {}@{}:{}, paths under {root} (no symlink below it followed); \
             auth: {}; host key: {}",
            self.user,
            self.host,
            self.port,
            match (&self.password, &self.identity) {
                (Some(_), _) => "password from the DSN".to_string(),
                (None, Some(p)) => format!("key {}", p.display()),
                (None, None) => "none given (use --identity or a DSN password)".to_string(),
            },
            if self.insecure_skip_host_key_check {
                "NOT checked (insecure_skip_host_key_check=true)".to_string()
            } else {
                format!("checked against {}", self.known_hosts_label())
            }
        )
    }
}

impl SftpGrant {
    /// The grant for an `sftp://user[:password]@host[:port]/root` DSN.
    pub(crate) fn for_dsn(dsn: &Dsn) -> Result<SftpGrant> {
        let bad = |m: String| Error::new(ErrorKind::InvalidDsn, m);
        if dsn.host().is_empty() {
            return Err(bad("sftp DSN needs a host: sftp://user@host:22/path".into()));
        }
        let user = match dsn.user() {
            Some(u) if !u.is_empty() => u.to_string(),
            _ => return Err(bad("sftp DSN needs a user: sftp://user@host:22/path".into())),
        };
        let root = dsn.path().trim_end_matches('/').to_string();
        let root = if root.is_empty() && dsn.path() == "/" {
            "/".to_string()
        } else {
            root
        };
        if root.split('/').any(|s| s == "." || s == "..") {
            return Err(bad(format!(
                "sftp DSN path {root:?} has a '.' or '..' segment"
            )));
        }
        let insecure = dsn
            .param_bool("insecure_skip_host_key_check")
            .map_err(|e| bad(e.to_string()))?
            .unwrap_or(false);
        Ok(SftpGrant {
            host: dsn.host().to_string(),
            port: dsn.port().unwrap_or(22),
            user,
            root,
            known_hosts: dsn.param("known_hosts").map(PathBuf::from),
            insecure_skip_host_key_check: insecure,
            identity: None,
            password: dsn.password().map(str::to_string),
            session: Arc::default(),
        })
    }

    /// Applies the host-side settings: the key file, and the known_hosts file
    /// unless the DSN named one.
    pub(crate) fn configure(&mut self, config: &SftpConfig) {
        self.identity = config.identity.clone();
        if self.known_hosts.is_none() {
            self.known_hosts = config.known_hosts.clone();
        }
    }

    fn known_hosts_path(&self) -> Option<PathBuf> {
        self.known_hosts.clone().or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ssh").join("known_hosts"))
        })
    }

    fn known_hosts_label(&self) -> String {
        self.known_hosts_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.ssh/known_hosts".into())
    }

    fn target(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }

    /// Refuses paths outside the granted root.
    pub(crate) fn confine(&self, path: &str) -> std::result::Result<(), wit::Error> {
        let outside = || {
            wit::Error::PermissionDenied(format!(
                "sftp path {path:?} is outside the granted folder {:?}",
                self.root
            ))
        };
        if path.split('/').any(|s| s == "." || s == "..") || path.contains('\0') {
            return Err(outside());
        }
        let inside = match self.root.as_str() {
            "" => !path.starts_with('/'),
            "/" => path.starts_with('/'),
            root => path == root || path.strip_prefix(root).is_some_and(|r| r.starts_with('/')),
        };
        if inside {
            Ok(())
        } else {
            Err(outside())
        }
    }

    /// The live session, connecting if there is none (or it died).
    async fn conn(&self) -> std::result::Result<Arc<Conn>, wit::Error> {
        let mut slot = self.session.lock().await;
        if let Some(c) = slot.as_ref() {
            if !c.is_closed() {
                return Ok(c.clone());
            }
            tracing::info!(target: "trove::sftp", "session to {} is gone; reconnecting", self.target());
        }
        *slot = None;
        let c = Arc::new(Conn::connect(self).await?);
        *slot = Some(c.clone());
        Ok(c)
    }

    async fn forget(&self, dead: &Arc<Conn>) {
        let mut slot = self.session.lock().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, dead)) {
            *slot = None;
        }
    }

    /// The paths to `lstat` before an operation on `path` (already inside the
    /// root by [`confine`](Self::confine)): every prefix of `path` that ends
    /// below the root, `path` itself included. None for the root itself, and
    /// none when the root is `/` (nothing is outside it).
    fn below_root<'a>(&self, path: &'a str) -> Vec<&'a str> {
        let start = match self.root.as_str() {
            "/" => return Vec::new(),
            "" => 0,
            root if path.len() <= root.len() => return Vec::new(),
            root => root.len() + 1,
        };
        let mut out: Vec<&str> = path[start..]
            .match_indices('/')
            .map(|(i, _)| &path[..start + i])
            .collect();
        out.push(path);
        out
    }

    /// Refuses the operation when any component of `paths` below the root is
    /// a symbolic link, as the server sees it now: one `lstat` per component
    /// (shared prefixes once), all in flight at once (one round trip). A
    /// component that does not exist is fine: there is nothing to follow, and
    /// the operation may create it. Returns what `lstat` said of `paths[0]`
    /// itself: `None` when it was not asked (the root, or a root of `/`),
    /// `Some(None)` when it does not exist.
    async fn no_symlinks(
        &self,
        c: &Conn,
        what: &str,
        paths: &[&str],
    ) -> std::result::Result<Option<Option<FileAttributes>>, Fail> {
        let per_path: Vec<Vec<&str>> = paths.iter().map(|p| self.below_root(p)).collect();
        let mut checks: Vec<&str> = per_path.iter().flatten().copied().collect();
        checks.sort_unstable();
        checks.dedup();
        let answers = join_all(checks.iter().map(|p| c.sftp.lstat(*p))).await;
        let mut found = std::collections::HashMap::with_capacity(checks.len());
        for (p, answer) in checks.into_iter().zip(answers) {
            let attrs = match answer {
                Ok(a) => Some(a.attrs),
                Err(SftpError::Status(s)) if s.status_code == StatusCode::NoSuchFile => None,
                Err(e) => return Err(Fail::Sftp(e)),
            };
            found.insert(p, attrs);
        }
        // Each path's components in order: the shallowest link is named.
        for (path, components) in paths.iter().zip(&per_path) {
            for p in components {
                let refuse = |why: String| {
                    Fail::Refused(wit::Error::PermissionDenied(format!(
                        "sftp {what} {path:?}: {why}"
                    )))
                };
                let Some(attrs) = &found[p] else { continue };
                match attrs.permissions {
                    Some(mode) if mode & S_IFMT == S_IFLNK => {
                        let which = if p == path {
                            "it".to_string()
                        } else {
                            format!("{p:?}")
                        };
                        return Err(refuse(format!(
                            "{which} is a symbolic link, and the sftp import follows none \
                             below the granted folder {:?}",
                            self.root
                        )));
                    }
                    Some(_) => {}
                    None => {
                        return Err(refuse(format!(
                            "the server did not say whether {p:?} is a symbolic link"
                        )))
                    }
                }
            }
        }
        Ok(per_path[0]
            .last()
            .filter(|last| **last == paths[0])
            .map(|last| found[last].clone()))
    }

    /// Runs a path operation on `paths` (the first names it in errors) after
    /// [`no_symlinks`](Self::no_symlinks) on the same session; if the session
    /// turns out to be gone, reconnects once and runs both again. `op` gets
    /// what the check's `lstat` said of `paths[0]` (see `no_symlinks`).
    pub(crate) async fn run<T, F, Fut>(
        &self,
        what: &str,
        paths: &[&str],
        op: F,
    ) -> std::result::Result<T, wit::Error>
    where
        F: Fn(Arc<Conn>, Option<Option<FileAttributes>>) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, SftpError>>,
    {
        let path = paths[0];
        tracing::trace!(target: "trove::sftp", "{what} {paths:?}");
        let attempt = |c: Arc<Conn>| async {
            let seen = self.no_symlinks(&c, what, paths).await?;
            op(c, seen).await.map_err(Fail::Sftp)
        };
        let c = self.conn().await?;
        match attempt(c.clone()).await {
            Ok(v) => Ok(v),
            Err(Fail::Sftp(e)) if is_transport(&e) => {
                tracing::info!(target: "trove::sftp", "{what} {path:?}: {e}; reconnecting once");
                self.forget(&c).await;
                let c = self.conn().await?;
                attempt(c).await.map_err(|f| f.into_wit(what, path))
            }
            Err(f) => Err(f.into_wit(what, path)),
        }
    }
}

/// File type bits of a mode (`st_mode & S_IFMT`), and the symlink type.
const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;

/// Why a path operation failed: the server's answer, or the host's refusal.
enum Fail {
    Sftp(SftpError),
    Refused(wit::Error),
}

impl Fail {
    fn into_wit(self, what: &str, path: &str) -> wit::Error {
        match self {
            Fail::Sftp(e) => map_error(&e, what, path),
            Fail::Refused(e) => e,
        }
    }
}

/// One connected session: the SSH connection and its SFTP channel.
pub(crate) struct Conn {
    ssh: client::Handle<Client>,
    pub(crate) sftp: RawSftpSession,
    read_len: u64,
    write_len: u64,
    pub(crate) posix_rename: bool,
}

impl Conn {
    fn is_closed(&self) -> bool {
        self.ssh.is_closed()
    }

    async fn connect(g: &SftpGrant) -> std::result::Result<Conn, wit::Error> {
        let target = g.target();
        let config = Arc::new(client::Config {
            window_size: 16 << 20,
            maximum_packet_size: 65535,
            nodelay: true,
            keepalive_interval: Some(Duration::from_secs(30)),
            ..Default::default()
        });
        let refusal = Arc::new(Mutex::new(None));
        if g.insecure_skip_host_key_check {
            tracing::warn!(
                target: "trove::sftp",
                "NOT checking the host key of {}:{} (insecure_skip_host_key_check=true): \
                 anyone on the path can impersonate the server",
                g.host,
                g.port
            );
        }
        let handler = Client {
            host: g.host.clone(),
            port: g.port,
            known_hosts: g.known_hosts_path(),
            insecure: g.insecure_skip_host_key_check,
            refusal: refusal.clone(),
        };
        let connecting = client::connect(config, (g.host.as_str(), g.port), handler);
        let mut ssh = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Err(_) => {
                return Err(wit::Error::Unavailable(format!(
                    "sftp: connecting to {target} timed out"
                )))
            }
            Ok(Err(e)) => {
                if let Some(why) = refusal.lock().unwrap().take() {
                    return Err(wit::Error::PermissionDenied(why));
                }
                return Err(wit::Error::Unavailable(format!(
                    "sftp: cannot connect to {target}: {e}"
                )));
            }
            Ok(Ok(h)) => h,
        };
        let ssh_err = |e: russh::Error| {
            wit::Error::Unavailable(format!("sftp: session to {target} failed: {e}"))
        };
        let auth = if let Some(pw) = &g.password {
            ssh.authenticate_password(&g.user, pw)
                .await
                .map_err(ssh_err)?
        } else if let Some(path) = &g.identity {
            let key = keys::load_secret_key(path, None).map_err(|e| {
                wit::Error::PermissionDenied(format!(
                    "sftp: cannot use the identity {} ({e}); give an unencrypted private key",
                    path.display()
                ))
            })?;
            let hash = if key.algorithm().is_rsa() {
                ssh.best_supported_rsa_hash()
                    .await
                    .map_err(ssh_err)?
                    .flatten()
                    .or(Some(HashAlg::Sha256))
            } else {
                None
            };
            ssh.authenticate_publickey(&g.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(ssh_err)?
        } else {
            return Err(wit::Error::PermissionDenied(format!(
                "sftp: no credentials for {target}: put a password in the DSN or pass \
                 --identity PATH to the host"
            )));
        };
        if !auth.success() {
            return Err(wit::Error::PermissionDenied(format!(
                "sftp: authentication as {} at {}:{} failed ({} rejected)",
                g.user,
                g.host,
                g.port,
                if g.password.is_some() {
                    "password"
                } else {
                    "key"
                }
            )));
        }
        let channel = ssh.channel_open_session().await.map_err(ssh_err)?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(ssh_err)?;
        let cfg = russh_sftp::client::Config {
            request_timeout_secs: REQUEST_TIMEOUT_SECS,
            ..Default::default()
        };
        let mut sftp = RawSftpSession::new_with_config(channel.into_stream(), cfg);
        let sftp_err = |e: SftpError| {
            wit::Error::Unavailable(format!(
                "sftp: starting the SFTP subsystem on {target}: {e}"
            ))
        };
        let version = sftp.init().await.map_err(sftp_err)?;
        let has = |name: &str| version.extensions.contains_key(name);
        let posix_rename = has("posix-rename@openssh.com");
        let (mut read_len, mut write_len) = (DEFAULT_CHUNK, DEFAULT_CHUNK);
        if has(russh_sftp::extensions::LIMITS) {
            let limits = sftp.limits().await.map_err(sftp_err)?;
            let limits = russh_sftp::client::rawsession::Limits::from(limits);
            read_len = limits.read_len.unwrap_or(DEFAULT_CHUNK);
            write_len = limits.write_len.unwrap_or(DEFAULT_CHUNK);
            sftp.set_limits(limits);
        }
        tracing::debug!(target: "trove::sftp", "connected to {target}: read {read_len}, write {write_len}, posix-rename {posix_rename}");
        Ok(Conn {
            ssh,
            sftp,
            read_len: read_len.max(1024),
            write_len: write_len.max(1024),
            posix_rename,
        })
    }
}

/// The russh client handler: checks the server's key.
struct Client {
    host: String,
    port: u16,
    known_hosts: Option<PathBuf>,
    insecure: bool,
    /// Why the key was refused, for the caller's error.
    refusal: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &keys::PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        if self.insecure {
            return Ok(true);
        }
        let key = match key {
            keys::PublicKeyOrCertificate::PublicKey { key, .. } => key,
            keys::PublicKeyOrCertificate::Certificate(_) => {
                *self.refusal.lock().unwrap() = Some(format!(
                    "sftp: {}:{} offered a host certificate; only known_hosts keys are supported",
                    self.host, self.port
                ));
                return Ok(false);
            }
        };
        let fp = key.fingerprint(HashAlg::Sha256);
        let Some(file) = &self.known_hosts else {
            *self.refusal.lock().unwrap() =
                Some("sftp: no known_hosts file (no HOME); pass --known-hosts PATH".to_string());
            return Ok(false);
        };
        let why = match keys::check_known_hosts_path(&self.host, self.port, key, file) {
            Ok(true) => return Ok(true),
            Ok(false) => format!(
                "sftp: host key of {}:{} ({} {fp}) is not in {}; add it (ssh-keyscan) or name \
                 another file with --known-hosts",
                self.host,
                self.port,
                key.algorithm(),
                file.display()
            ),
            Err(keys::Error::KeyChanged { line }) => format!(
                "sftp: HOST KEY MISMATCH for {}:{}: the server offered {} {fp}, which differs \
                 from {} line {line}; refusing to connect (the server may be impersonated)",
                self.host,
                self.port,
                key.algorithm(),
                file.display()
            ),
            Err(e) => format!(
                "sftp: cannot check the host key of {}:{} against {}: {e}",
                self.host,
                self.port,
                file.display()
            ),
        };
        *self.refusal.lock().unwrap() = Some(why);
        Ok(false)
    }
}

/// An open remote file (the `file` resource).
pub struct SftpFile {
    pub(crate) conn: Arc<Conn>,
    pub(crate) handle: String,
    pub(crate) path: String,
    pub(crate) open: bool,
}

fn is_transport(e: &SftpError) -> bool {
    match e {
        SftpError::Status(s) => matches!(
            s.status_code,
            StatusCode::NoConnection | StatusCode::ConnectionLost
        ),
        SftpError::Limited(_) | SftpError::UnexpectedPacket => false,
        SftpError::IO(_) | SftpError::Timeout | SftpError::UnexpectedBehavior(_) => true,
    }
}

fn map_error(e: &SftpError, what: &str, path: &str) -> wit::Error {
    let msg = format!("sftp {what} {path:?}: {e}");
    match e {
        SftpError::Status(s) => match s.status_code {
            StatusCode::NoSuchFile => wit::Error::ObjectNotFound(msg),
            StatusCode::PermissionDenied => wit::Error::PermissionDenied(msg),
            StatusCode::OpUnsupported => wit::Error::Unsupported(msg),
            StatusCode::NoConnection | StatusCode::ConnectionLost => wit::Error::Unavailable(msg),
            _ => wit::Error::Internal(msg),
        },
        SftpError::Timeout => wit::Error::Timeout(msg),
        SftpError::Limited(_) => wit::Error::InvalidArgument(msg),
        _ => wit::Error::Unavailable(msg),
    }
}

pub(crate) fn attrs(a: &FileAttributes) -> Attrs {
    Attrs {
        size: a.size,
        is_dir: a.is_dir(),
        modified: a.mtime.map(|s| wit::Timestamp {
            seconds: s as i64,
            nanoseconds: 0,
        }),
    }
}

pub(crate) fn ssh_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn status_ok(p: Packet) -> std::result::Result<(), SftpError> {
    match p {
        Packet::Status(s) if s.status_code == StatusCode::Ok => Ok(()),
        Packet::Status(s) => Err(SftpError::Status(s)),
        _ => Err(SftpError::UnexpectedPacket),
    }
}

impl SftpFile {
    fn usable(&self) -> std::result::Result<(), wit::Error> {
        if !self.open {
            return Err(wit::Error::InvalidArgument(format!(
                "sftp file {:?} is closed",
                self.path
            )));
        }
        if self.conn.is_closed() {
            return Err(wit::Error::Unavailable(format!(
                "sftp file {:?}: its session is gone (reopen it)",
                self.path
            )));
        }
        Ok(())
    }

    /// Reads up to `max` bytes at `offset`, with every request of the range in
    /// flight at once. Stops at the end of the file or at a short answer.
    pub(crate) async fn read(
        &self,
        offset: u64,
        max: u32,
    ) -> std::result::Result<Vec<u8>, wit::Error> {
        self.usable()?;
        let max = max.min(MAX_READ) as u64;
        let step = self.conn.read_len;
        let requests = (0..max.div_ceil(step)).map(|i| {
            let at = offset + i * step;
            let len = step.min(max - i * step) as u32;
            async move {
                (
                    len,
                    self.conn.sftp.read(self.handle.as_str(), at, len).await,
                )
            }
        });
        let mut out = Vec::with_capacity(max as usize);
        for (len, r) in join_all(requests).await {
            match r {
                Ok(d) => {
                    let short = (d.data.len() as u32) < len;
                    out.extend_from_slice(&d.data);
                    if short {
                        break;
                    }
                }
                Err(SftpError::Status(s)) if s.status_code == StatusCode::Eof => break,
                Err(e) => return Err(map_error(&e, "read", &self.path)),
            }
        }
        Ok(out)
    }

    pub(crate) async fn write(
        &self,
        offset: u64,
        data: &[u8],
    ) -> std::result::Result<(), wit::Error> {
        self.usable()?;
        let step = self.conn.write_len as usize;
        let requests = data.chunks(step).enumerate().map(|(i, chunk)| {
            let at = offset + (i * step) as u64;
            self.conn
                .sftp
                .write(self.handle.as_str(), at, chunk.to_vec())
        });
        for r in join_all(requests).await {
            r.map_err(|e| map_error(&e, "write", &self.path))?;
        }
        Ok(())
    }

    pub(crate) async fn close(&mut self) -> std::result::Result<(), wit::Error> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        if self.conn.is_closed() {
            return Ok(()); // the server closed it with the session
        }
        self.conn
            .sftp
            .close(self.handle.as_str())
            .await
            .map(|_| ())
            .map_err(|e| map_error(&e, "close", &self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(dsn: &str) -> SftpGrant {
        SftpGrant::for_dsn(&Dsn::parse(dsn).unwrap()).unwrap()
    }

    #[test]
    fn from_dsn() {
        let g = grant("sftp://ann:pw@example.com:2222/srv/store/?known_hosts=/kh");
        assert_eq!(
            (g.host.as_str(), g.port, g.user.as_str()),
            ("example.com", 2222, "ann")
        );
        assert_eq!(g.root, "/srv/store");
        assert_eq!(g.known_hosts, Some(PathBuf::from("/kh")));
        assert!(!g.insecure_skip_host_key_check);
        assert!(!format!("{g:?} {g}").contains("pw"));
        assert_eq!(grant("sftp://ann@h/x").port, 22);
        assert!(
            grant("sftp://ann@h/x?insecure_skip_host_key_check=true").insecure_skip_host_key_check
        );
        for bad in ["sftp://h/x", "sftp://ann@/x", "sftp://ann@h/a/../b"] {
            assert!(
                SftpGrant::for_dsn(&Dsn::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn confinement() {
        let g = grant("sftp://ann@h/srv/store");
        for ok in ["/srv/store", "/srv/store/b/k", "/srv/store/.trove/tmp/x"] {
            assert!(g.confine(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/srv",
            "/srv/storex",
            "/srv/store/../etc",
            "/etc/passwd",
            "srv/store/a",
            "/srv/store/./a",
        ] {
            assert!(g.confine(bad).is_err(), "{bad}");
        }
        let home = grant("sftp://ann@h");
        assert!(home.confine("b/k").is_ok());
        assert!(home.confine("/etc").is_err());
        assert!(home.confine("../x").is_err());
    }

    #[test]
    fn every_component_below_the_root_is_checked_for_symlinks() {
        let g = grant("sftp://ann@h/srv/store");
        assert!(g.below_root("/srv/store").is_empty());
        assert_eq!(g.below_root("/srv/store/b"), ["/srv/store/b"]);
        assert_eq!(
            g.below_root("/srv/store/b/k/x"),
            ["/srv/store/b", "/srv/store/b/k", "/srv/store/b/k/x"]
        );
        // A trailing slash or an empty segment: the bare name is checked too.
        assert_eq!(
            g.below_root("/srv/store/d/"),
            ["/srv/store/d", "/srv/store/d/"]
        );
        assert_eq!(g.below_root("/srv/store/"), ["/srv/store/"]);
        let home = grant("sftp://ann@h");
        assert_eq!(home.below_root("b/k"), ["b", "b/k"]);
        // Everything is inside `/`: nothing to check.
        assert!(grant("sftp://ann@h/").below_root("/etc/passwd").is_empty());
    }
}
