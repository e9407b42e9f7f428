//! Multipart uploads for drivers without the multipart capability: each part
//! is streamed to a file in a spool directory on the host (never held in
//! memory), and completing the upload streams the parts, in order, into one
//! `Driver::put`. Nothing reaches the backend before completion, so a backend
//! never sees half an upload and listings never show parts.

use rand::RngCore;
use s3s::crypto::{Checksum, Md5};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio_util::io::{ReaderStream, StreamReader};
use trove_host::PutOptions;

/// A part as stored in the spool.
#[derive(Debug, Clone)]
pub struct Part {
    pub number: u32,
    /// MD5 of the part, hex, as S3 reports part ETags.
    pub etag: String,
    pub size: u64,
    pub last_modified: SystemTime,
    path: PathBuf,
}

/// One upload in progress.
pub struct Upload {
    pub id: String,
    pub bucket: String,
    pub key: String,
    pub opts: PutOptions,
    pub initiated: SystemTime,
    dir: PathBuf,
    parts: Mutex<BTreeMap<u32, Part>>,
}

impl Upload {
    pub fn parts(&self) -> Vec<Part> {
        self.parts.lock().unwrap().values().cloned().collect()
    }

    /// The sizes of the listed parts (0 for one not uploaded).
    pub fn sizes(&self, listed: &[(u32, Option<String>)]) -> Vec<u64> {
        let parts = self.parts.lock().unwrap();
        listed
            .iter()
            .map(|(n, _)| parts.get(n).map_or(0, |p| p.size))
            .collect()
    }
}

/// Why a completion was refused.
#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    #[error("part {0} was not uploaded or its ETag does not match")]
    InvalidPart(u32),
    #[error("parts must be listed in ascending order")]
    InvalidPartOrder,
    #[error("a completion must list at least one part")]
    NoParts,
    #[error("part {0} is {1} bytes; every part but the last must be at least {2} bytes")]
    TooSmall(u32, u64, u64),
}

/// The uploads in progress and their spool directory (removed when dropped).
pub struct Spool {
    root: tempfile::TempDir,
    uploads: Mutex<HashMap<String, Arc<Upload>>>,
}

impl Spool {
    /// A fresh spool directory inside `parent` (the system temp dir when `None`).
    pub fn new(parent: Option<&Path>) -> io::Result<Spool> {
        let root = match parent {
            Some(p) => {
                std::fs::create_dir_all(p)?;
                tempfile::Builder::new()
                    .prefix("trove-gateway-")
                    .tempdir_in(p)?
            }
            None => tempfile::Builder::new()
                .prefix("trove-gateway-")
                .tempdir()?,
        };
        Ok(Spool {
            root,
            uploads: Mutex::new(HashMap::new()),
        })
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub async fn create(
        &self,
        bucket: &str,
        key: &str,
        opts: PutOptions,
    ) -> io::Result<Arc<Upload>> {
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let id = hex(&raw);
        let dir = self.root.path().join(&id);
        tokio::fs::create_dir(&dir).await?;
        let up = Arc::new(Upload {
            id: id.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            opts,
            initiated: SystemTime::now(),
            dir,
            parts: Mutex::new(BTreeMap::new()),
        });
        self.uploads.lock().unwrap().insert(id, up.clone());
        Ok(up)
    }

    /// The upload `id` if it belongs to `bucket/key`.
    pub fn get(&self, id: &str, bucket: &str, key: &str) -> Option<Arc<Upload>> {
        let map = self.uploads.lock().unwrap();
        map.get(id)
            .filter(|u| u.bucket == bucket && u.key == key)
            .cloned()
    }

    /// Uploads in progress in `bucket`, by key then initiation.
    pub fn in_bucket(&self, bucket: &str) -> Vec<Arc<Upload>> {
        let mut v: Vec<_> = self
            .uploads
            .lock()
            .unwrap()
            .values()
            .filter(|u| u.bucket == bucket)
            .cloned()
            .collect();
        v.sort_by(|a, b| (&a.key, a.initiated).cmp(&(&b.key, b.initiated)));
        v
    }

    /// Stream `body` into part `number` (replacing an earlier one), hashing as it goes.
    pub async fn put_part(
        &self,
        up: &Upload,
        number: u32,
        mut body: impl AsyncRead + Unpin,
    ) -> io::Result<Part> {
        let mut raw = [0u8; 8];
        rand::rng().fill_bytes(&mut raw);
        let tmp = up.dir.join(format!("part-{number}.{}.tmp", hex(&raw)));
        let path = up.dir.join(format!("part-{number}"));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            let mut md5 = Md5::new();
            let mut size = 0u64;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = body.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                md5.update(&buf[..n]);
                f.write_all(&buf[..n]).await?;
                size += n as u64;
            }
            f.flush().await?;
            drop(f);
            tokio::fs::rename(&tmp, &path).await?;
            Ok::<_, io::Error>((hex(&md5.finalize()), size))
        }
        .await;
        let (etag, size) = match written {
            Ok(v) => v,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let part = Part {
            number,
            etag,
            size,
            last_modified: SystemTime::now(),
            path,
        };
        up.parts.lock().unwrap().insert(number, part.clone());
        Ok(part)
    }

    /// The listed parts, concatenated, as one stream read from the spool.
    /// Every part but the last must hold at least `min_part` bytes.
    pub fn concat(
        &self,
        up: &Upload,
        listed: &[(u32, Option<String>)],
        min_part: u64,
    ) -> Result<impl AsyncRead + Send + Unpin + 'static, CompleteError> {
        if listed.is_empty() {
            return Err(CompleteError::NoParts);
        }
        let parts = up.parts.lock().unwrap();
        let mut paths = Vec::with_capacity(listed.len());
        let mut last = 0;
        for (n, etag) in listed {
            if *n <= last {
                return Err(CompleteError::InvalidPartOrder);
            }
            last = *n;
            let p = parts.get(n).ok_or(CompleteError::InvalidPart(*n))?;
            if let Some(e) = etag {
                if e.trim_matches('"') != p.etag {
                    return Err(CompleteError::InvalidPart(*n));
                }
            }
            paths.push(p.path.clone());
        }
        for (n, _) in &listed[..listed.len() - 1] {
            let size = parts[n].size;
            if size < min_part {
                return Err(CompleteError::TooSmall(*n, size, min_part));
            }
        }
        use futures::{StreamExt, TryStreamExt};
        let stream = futures::stream::iter(paths)
            .then(|p| async move {
                tokio::fs::File::open(p)
                    .await
                    .map(|f| ReaderStream::with_capacity(f, 1 << 20))
            })
            .try_flatten();
        Ok(StreamReader::new(Box::pin(stream)))
    }

    /// Copy `body` into an anonymous file in the spool (gone when closed) and
    /// return it rewound: for a body that must not hold a stateful driver's
    /// one instance while it moves (a copy's source, a client's slow body).
    pub async fn stage(&self, mut body: impl AsyncRead + Unpin) -> io::Result<tokio::fs::File> {
        use tokio::io::AsyncSeekExt;
        let std_file = tempfile::tempfile_in(self.root.path())?;
        let mut f = tokio::fs::File::from_std(std_file);
        tokio::io::copy(&mut body, &mut f).await?;
        f.flush().await?;
        f.seek(io::SeekFrom::Start(0)).await?;
        Ok(f)
    }

    /// Forget the upload and delete its parts.
    pub async fn remove(&self, id: &str) {
        let up = self.uploads.lock().unwrap().remove(id);
        if let Some(up) = up {
            if let Err(e) = tokio::fs::remove_dir_all(&up.dir).await {
                tracing::warn!(upload = %id, error = %e, "could not remove the spooled parts");
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}
