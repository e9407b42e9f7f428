//! Multipart uploads, one strategy per driver: `Native` hands the parts to a
//! driver that exports the `multipart` capability; `Spooled` keeps them in
//! files on the host (see `spool`) and completes the upload as one streamed
//! `put`. The S3 rules of multipart (part numbers, the 5 MiB minimum, a
//! completion answered again when retried) are applied here, for both.

use crate::error::{self, object as object_err};
use crate::rules::{cond, part_number, PARTS_META};
use crate::spool::{CompleteError, Spool};
use s3s::dto::{CompletedPart, ETagCondition};
use s3s::{s3_error, S3Error, S3Result};
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt};
use trove_host::{Driver, ObjectInfo, PutOptions};

/// Largest part passed to a driver's own multipart capability (it takes a part
/// as one buffer); larger parts are refused with `EntityTooLarge`.
pub const NATIVE_PART_LIMIT: usize = 64 << 20;

/// S3's smallest part, but for the last one.
pub const MIN_PART_SIZE: u64 = 5 << 20;

/// How many completed uploads are remembered, so that a completion retried
/// (its answer was lost) is answered again instead of `NoSuchUpload`.
const REMEMBERED: usize = 1024;

/// A part as S3 lists it.
pub struct PartInfo {
    pub number: u32,
    pub etag: String,
    pub size: u64,
    pub last_modified: Option<std::time::SystemTime>,
}

/// Where the parts of an upload go.
pub enum Uploads<'a> {
    Native(&'a Driver),
    Spooled(&'a Driver, &'a Spool),
}

/// Uploads completed lately: upload id → (bucket, key, the object's info).
#[derive(Default)]
pub struct Completed(Mutex<VecDeque<(String, String, String, ObjectInfo)>>);

impl Completed {
    fn remember(&self, id: &str, bucket: &str, key: &str, info: &ObjectInfo) {
        let mut q = self.0.lock().unwrap();
        if q.len() >= REMEMBERED {
            q.pop_front();
        }
        q.push_back((id.into(), bucket.into(), key.into(), info.clone()));
    }

    fn recall(&self, id: &str, bucket: &str, key: &str) -> Option<ObjectInfo> {
        let q = self.0.lock().unwrap();
        q.iter()
            .rev()
            .find(|(i, b, k, _)| i == id && b == bucket && k == key)
            .map(|(_, _, _, info)| info.clone())
    }
}

pub fn no_upload(id: &str) -> S3Error {
    s3_error!(NoSuchUpload, "no upload {id} in progress for this key")
}

/// The parts a completion lists, checked: numbers in range and ascending.
/// A part named twice in a row counts once, with the later entry's ETag (a
/// client that uploaded a part again lists the upload that finished last).
pub fn listed_parts(parts: Vec<CompletedPart>) -> S3Result<Vec<(u32, Option<String>)>> {
    let mut listed: Vec<(u32, Option<String>)> = Vec::with_capacity(parts.len());
    for p in parts {
        let n = part_number(
            p.part_number
                .ok_or_else(|| s3_error!(InvalidPart, "a part without a number"))?,
        )?;
        let tag = p.e_tag.map(|e| e.into_value());
        if let Some((last, _)) = listed.last() {
            if n < *last {
                return Err(s3_error!(
                    InvalidPartOrder,
                    "parts must be listed in ascending order"
                ));
            }
            if n == *last {
                listed.pop();
            }
        }
        listed.push((n, tag));
    }
    if listed.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "a completion must list at least one part"
        ));
    }
    Ok(listed)
}

impl Uploads<'_> {
    pub async fn create(&self, bucket: &str, key: &str, opts: PutOptions) -> S3Result<String> {
        match self {
            Uploads::Native(d) => d
                .create_multipart(bucket, key, opts)
                .await
                .map_err(object_err),
            Uploads::Spooled(d, spool) => {
                crate::s3::need_bucket(d, bucket).await?;
                let up = spool
                    .create(bucket, key, opts)
                    .await
                    .map_err(|e| error::local_io("creating a spool folder", e))?;
                Ok(up.id.clone())
            }
        }
    }

    /// Stores part `n` from `body`; its ETag (the MD5 of the part when spooled).
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        n: u32,
        mut body: impl AsyncRead + Unpin,
    ) -> S3Result<String> {
        match self {
            Uploads::Native(d) => {
                // The capability takes a part as one buffer: bounded.
                let mut data = Vec::new();
                (&mut body)
                    .take(NATIVE_PART_LIMIT as u64 + 1)
                    .read_to_end(&mut data)
                    .await
                    .map_err(|e| s3_error!(IncompleteBody, "reading the part: {e}"))?;
                if data.len() > NATIVE_PART_LIMIT {
                    return Err(s3_error!(
                        EntityTooLarge,
                        "parts are limited to {NATIVE_PART_LIMIT} bytes"
                    ));
                }
                Ok(d.upload_part(bucket, key, id, n, data)
                    .await
                    .map_err(object_err)?
                    .etag)
            }
            Uploads::Spooled(_, spool) => {
                let up = spool.get(id, bucket, key).ok_or_else(|| no_upload(id))?;
                let part = spool
                    .put_part(&up, n, body)
                    .await
                    .map_err(|e| error::local_io("spooling a part", e))?;
                Ok(part.etag)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn complete(
        &self,
        done: &Completed,
        bucket: &str,
        key: &str,
        id: &str,
        listed: Vec<(u32, Option<String>)>,
        if_match: Option<ETagCondition>,
        if_none_match: Option<ETagCondition>,
    ) -> S3Result<ObjectInfo> {
        let r = match self {
            Uploads::Native(d) => {
                let parts = listed
                    .into_iter()
                    .map(|(n, e)| (n, e.unwrap_or_default()))
                    .collect();
                d.complete_multipart(bucket, key, id, parts)
                    .await
                    .map_err(object_err)
            }
            Uploads::Spooled(d, spool) => match spool.get(id, bucket, key) {
                None => Err(no_upload(id)),
                Some(up) => {
                    let reader =
                        spool
                            .concat(&up, &listed, MIN_PART_SIZE)
                            .map_err(|e| match e {
                                CompleteError::InvalidPartOrder => {
                                    s3_error!(InvalidPartOrder, "{e}")
                                }
                                CompleteError::TooSmall(..) => s3_error!(EntityTooSmall, "{e}"),
                                _ => s3_error!(InvalidPart, "{e}"),
                            })?;
                    let mut opts = up.opts.clone();
                    if listed.len() > 1 {
                        // Where each part lies, for GET/HEAD ?partNumber= later.
                        let sizes: Vec<String> =
                            up.sizes(&listed).iter().map(u64::to_string).collect();
                        opts.metadata
                            .push((PARTS_META.to_string(), sizes.join(",")));
                    }
                    opts.if_match = cond(if_match);
                    opts.if_none_match = cond(if_none_match);
                    let info = d.put(bucket, key, reader, opts).await.map_err(object_err)?;
                    spool.remove(&up.id).await;
                    Ok(info)
                }
            },
        };
        match r {
            Ok(info) => {
                done.remember(id, bucket, key, &info);
                Ok(info)
            }
            Err(e) if *e.code() == s3s::S3ErrorCode::NoSuchUpload => {
                done.recall(id, bucket, key).ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn abort(&self, bucket: &str, key: &str, id: &str) -> S3Result<()> {
        match self {
            Uploads::Native(d) => d.abort_multipart(bucket, key, id).await.map_err(object_err),
            Uploads::Spooled(_, spool) => {
                let up = spool.get(id, bucket, key).ok_or_else(|| no_upload(id))?;
                spool.remove(&up.id).await;
                Ok(())
            }
        }
    }

    pub async fn parts(&self, bucket: &str, key: &str, id: &str) -> S3Result<Vec<PartInfo>> {
        match self {
            Uploads::Native(d) => Ok(d
                .list_parts(bucket, key, id)
                .await
                .map_err(object_err)?
                .into_iter()
                .map(|p| PartInfo {
                    number: p.part_number,
                    etag: p.etag,
                    size: p.size,
                    last_modified: None,
                })
                .collect()),
            Uploads::Spooled(_, spool) => {
                let up = spool.get(id, bucket, key).ok_or_else(|| no_upload(id))?;
                Ok(up
                    .parts()
                    .into_iter()
                    .map(|p| PartInfo {
                        number: p.number,
                        etag: p.etag,
                        size: p.size,
                        last_modified: Some(p.last_modified),
                    })
                    .collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_1024_completions_are_remembered() {
        let done = Completed::default();
        let info = |n: usize| ObjectInfo {
            key: "k".into(),
            etag: format!("e{n}"),
            ..Default::default()
        };
        for n in 0..=REMEMBERED {
            done.remember(&format!("u{n}"), "b", "k", &info(n));
        }
        assert!(
            done.recall("u0", "b", "k").is_none(),
            "the oldest is forgotten"
        );
        assert_eq!(done.recall("u1", "b", "k").unwrap().etag, "e1");
        assert_eq!(
            done.recall(&format!("u{REMEMBERED}"), "b", "k")
                .unwrap()
                .etag,
            format!("e{REMEMBERED}")
        );
        assert!(
            done.recall("u1", "b", "other").is_none(),
            "only for its own key"
        );
    }
}
