//! Grants: what a DSN allows a driver to reach. A driver gets nothing else:
//! no environment, no arguments, no stdin, no sockets, no filesystem.

use crate::dsn::Dsn;
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The one host directory preopened as the guest's `/` (file:///root).
    pub preopen: Option<PathBuf>,
}

impl Grants {
    /// The grants a DSN gives. Only `file:` DSNs get a directory: their path,
    /// created when missing, and nothing above it.
    pub fn for_dsn(dsn: &Dsn) -> Result<Grants> {
        let mut grants = Grants::default();
        if dsn.scheme() == "file" {
            if !dsn.host().is_empty() && dsn.host() != "localhost" {
                return Err(Error::new(
                    ErrorKind::InvalidDsn,
                    format!(
                        "file DSN names a host ({}); use file:///absolute/path",
                        dsn.host()
                    ),
                ));
            }
            let path = dsn.path();
            if path.is_empty() || !path.starts_with('/') {
                return Err(Error::new(
                    ErrorKind::InvalidDsn,
                    "file DSN needs an absolute path: file:///absolute/path",
                ));
            }
            let root = PathBuf::from(path);
            if root.exists() && !root.is_dir() {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("file root {} is not a directory", root.display()),
                ));
            }
            std::fs::create_dir_all(&root)
                .map_err(|e| Error::io(&format!("creating file root {}", root.display()), e))?;
            grants.preopen = Some(root.canonicalize().map_err(|e| Error::io("file root", e))?);
        }
        Ok(grants)
    }
}

impl fmt::Display for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.preopen {
            Some(p) => writeln!(
                f,
                "filesystem: {} (read-write, preopened as /; nothing outside it)",
                p.display()
            )?,
            None => writeln!(f, "filesystem: none")?,
        }
        writeln!(f, "network: none (no sockets, no DNS)")?;
        writeln!(f, "http: none")?;
        writeln!(f, "sftp: none")?;
        write!(f, "environment, arguments, stdin: none")
    }
}
