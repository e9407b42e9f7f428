//! The `s3s::S3` trait over a `trove_host::Driver`: each S3 operation is one
//! or a few driver calls, bodies are streamed both ways, driver errors become
//! S3 error codes (see `error`). The S3 rules live in their own homes:
//! `rules` (conditions, ranges, ETags, refused headers), `listing` (the three
//! listings) and `multipart` (native or spooled uploads).

use crate::body;
use crate::error::{self, bucket as bucket_err, object as object_err};
use crate::idle::BodyIdle;
use crate::listing;
use crate::multipart::{listed_parts, Completed, Uploads};
use crate::rules::{self, *};
use crate::spool::Spool;
use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::either::Either;
use trove_host::{ByteRange, Driver, ErrorKind, GetOptions, ListOptions, PutOptions};

pub use crate::multipart::NATIVE_PART_LIMIT;

/// The most keys one DeleteObjects may name, as S3 allows.
const DELETE_LIMIT: usize = 1000;

/// A stateful driver's body smaller than this is held in memory while it is
/// detached from the driver's one instance; a larger one goes to the spool.
const DETACH_IN_MEMORY: u64 = 8 << 20;

/// A body detached from a stateful driver: in memory, or in the spool.
type Detached = Either<std::io::Cursor<Vec<u8>>, tokio::fs::File>;

/// The S3 service implementation. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    driver: Driver,
    spool: Spool,
    completed: Completed,
}

impl Gateway {
    /// A gateway in front of `driver`; multipart parts of drivers without the
    /// multipart capability are spooled under `spool_parent` (default: the
    /// system temp dir) in a directory removed when the gateway is dropped.
    pub fn new(driver: Driver, spool_parent: Option<&std::path::Path>) -> std::io::Result<Gateway> {
        Ok(Gateway {
            inner: Arc::new(Inner {
                driver,
                spool: Spool::new(spool_parent)?,
                completed: Completed::default(),
            }),
        })
    }

    pub fn driver(&self) -> &Driver {
        &self.inner.driver
    }

    /// Where multipart parts are spooled.
    pub fn spool_dir(&self) -> &std::path::Path {
        self.inner.spool.path()
    }

    fn d(&self) -> &Driver {
        &self.inner.driver
    }

    fn uploads(&self) -> Uploads<'_> {
        if self.d().capabilities().multipart {
            Uploads::Native(self.d())
        } else {
            Uploads::Spooled(self.d(), &self.inner.spool)
        }
    }

    /// A stateful driver (mem) has one instance, and a body being read holds
    /// it: a slow client would block every other. Such a body is first
    /// detached from the driver (in memory when small, else in the spool).
    /// Other drivers' bodies stream straight through.
    async fn detach<R>(&self, body: R, size: Option<u64>) -> S3Result<Either<R, Detached>>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        if !self.d().info().stateful {
            return Ok(Either::Left(body));
        }
        if let Some(n) = size.filter(|n| *n <= DETACH_IN_MEMORY) {
            let mut buf = Vec::with_capacity(n as usize);
            let mut body = body;
            body.read_to_end(&mut buf)
                .await
                .map_err(|e| s3_error!(IncompleteBody, "reading the body: {e}"))?;
            return Ok(Either::Right(Either::Left(std::io::Cursor::new(buf))));
        }
        let staged = self
            .inner
            .spool
            .stage(body)
            .await
            .map_err(|e| error::local_io("staging a body", e))?;
        Ok(Either::Right(Either::Right(staged)))
    }

    /// The conditions of a delete (`If-Match`, `x-amz-if-match-size`,
    /// `x-amz-if-match-last-modified-time`), checked on the object's info.
    /// A missing object is deleted whatever they say (a delete of nothing
    /// succeeds). The check and the delete are two driver calls, not one.
    async fn check_delete(&self, bucket: &str, key: &str, c: &DeleteConditions) -> S3Result<()> {
        if c.etag.is_none() && c.last_modified.is_none() && c.size.is_none() {
            return Ok(());
        }
        let info = match self.d().head(bucket, key).await {
            Ok(info) => info,
            Err(e) if e.kind() == ErrorKind::ObjectNotFound => return Ok(()),
            Err(e) => return Err(object_err(e)),
        };
        let etag_ok = c
            .etag
            .as_deref()
            .is_none_or(|e| e == "*" || e.trim_matches('"') == info.etag.trim_matches('"'));
        let size_ok = c.size.is_none_or(|n| n >= 0 && n as u64 == info.size);
        let time_ok = c
            .last_modified
            .as_ref()
            .is_none_or(|t| info.last_modified.map(http_time).as_ref() == Some(t));
        if etag_ok && size_ok && time_ok {
            Ok(())
        } else {
            Err(s3_error!(
                PreconditionFailed,
                "the object {key:?} does not meet the delete's conditions"
            ))
        }
    }

    /// A write's If-Match failed: S3 answers 404 NoSuchKey when there is no
    /// object at all, 412 when there is another one.
    async fn if_match_failed(&self, bucket: &str, key: &str, e: S3Error) -> S3Error {
        match self.d().head(bucket, key).await {
            Err(h) if h.kind() == ErrorKind::ObjectNotFound => {
                s3_error!(NoSuchKey, "If-Match: there is no object {key:?}")
            }
            _ => e,
        }
    }

    /// A version id as the driver takes it: `null` (the version of an
    /// object in a bucket without versioning) on a driver without
    /// versioning is the object itself.
    fn version(&self, v: Option<String>) -> Option<String> {
        v.filter(|v| v != "null" || self.d().capabilities().versioning)
    }
}

/// What a delete asks of the object it deletes.
struct DeleteConditions {
    etag: Option<String>,
    last_modified: Option<Timestamp>,
    size: Option<i64>,
}

/// `NoSuchBucket` unless the bucket exists.
pub(crate) async fn need_bucket(d: &Driver, bucket: &str) -> S3Result<()> {
    let opts = ListOptions {
        max_keys: Some(1),
        ..Default::default()
    };
    d.list(bucket, opts).await.map(|_| ()).map_err(bucket_err)
}

fn ok<T>(v: T) -> S3Result<S3Response<T>> {
    Ok(S3Response::new(v))
}

/// `x-amz-copy-source-range`: `bytes=first-last`, both given.
fn copy_range(r: &str, size: u64) -> S3Result<ByteRange> {
    let bad = || {
        s3_error!(
            InvalidArgument,
            "x-amz-copy-source-range must be bytes=first-last, not {r:?}"
        )
    };
    let (a, b) = r
        .strip_prefix("bytes=")
        .and_then(|s| s.split_once('-'))
        .ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a > b || b >= size {
        return Err(s3_error!(
            InvalidRange,
            "the range {r} is not within the source's {size} bytes"
        ));
    }
    Ok(ByteRange::Span {
        offset: a,
        length: Some(b - a + 1),
    })
}

#[async_trait::async_trait]
impl S3 for Gateway {
    // ---- buckets ----

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let i = req.input;
        let mut v = self.d().list_buckets().await.map_err(bucket_err)?;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        let prefix = i.prefix.clone().unwrap_or_default();
        v.retain(|b| b.name.starts_with(&prefix));
        if let Some(after) = &i.continuation_token {
            v.retain(|b| &b.name > after);
        }
        let mut next = None;
        if let Some(max) = i.max_buckets.filter(|m| *m >= 1) {
            if v.len() > max as usize {
                v.truncate(max as usize);
                next = v.last().map(|b| b.name.clone());
            }
        }
        let buckets = v
            .into_iter()
            .map(|b| Bucket {
                name: Some(b.name),
                creation_date: b.created.map(Timestamp::from),
                bucket_region: None,
            })
            .collect();
        ok(ListBucketsOutput {
            buckets: Some(buckets),
            continuation_token: next,
            prefix: i.prefix,
            owner: Some(Owner {
                display_name: Some("trove".to_string()),
                id: Some("trove".to_string()),
            }),
        })
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let i = &req.input;
        let b = &i.bucket;
        if i.object_lock_enabled_for_bucket == Some(true) {
            return Err(s3_error!(NotImplemented, "object lock is not supported"));
        }
        if let Some(acl) = i
            .acl
            .as_ref()
            .filter(|a| a.as_str() != BucketCannedACL::PRIVATE)
        {
            return Err(s3_error!(
                NotImplemented,
                "ACLs are not supported (x-amz-acl: {}); buckets are private to the gateway's key",
                acl.as_str()
            ));
        }
        match self.d().create_bucket(b).await {
            Ok(()) => {}
            // One user owns every bucket: re-creating one's own bucket
            // answers 200, as S3 does in us-east-1.
            Err(e) if e.kind() == ErrorKind::BucketExists => {}
            Err(e) => return Err(bucket_err(e)),
        }
        ok(CreateBucketOutput {
            location: Some(format!("/{b}")),
        })
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.d()
            .delete_bucket(&req.input.bucket)
            .await
            .map_err(bucket_err)?;
        ok(DeleteBucketOutput {})
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        need_bucket(self.d(), &req.input.bucket).await?;
        ok(HeadBucketOutput::default())
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        need_bucket(self.d(), &req.input.bucket).await?;
        ok(GetBucketLocationOutput::default())
    }

    // ---- listing ----

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        ok(listing::v2(self.d(), req.input).await?)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        ok(listing::v1(self.d(), req.input).await?)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        ok(listing::versions(self.d(), req.input).await?)
    }

    /// Versioning is the driver's: a driver without it answers as a bucket
    /// that never had it; one with it cannot be switched from here.
    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        need_bucket(self.d(), &req.input.bucket).await?;
        ok(GetBucketVersioningOutput::default())
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let i = req.input;
        need_bucket(self.d(), &i.bucket).await?;
        let status = i
            .versioning_configuration
            .status
            .as_ref()
            .map(|s| s.as_str().to_string());
        match status.as_deref() {
            Some(BucketVersioningStatus::SUSPENDED) | None
                if !self.d().capabilities().versioning =>
            {
                ok(PutBucketVersioningOutput::default())
            }
            _ if self.d().capabilities().versioning => Err(s3_error!(
                NotImplemented,
                "versioning of this driver ({}) is set on its backend, not through the gateway",
                self.d().info().name
            )),
            _ => Err(s3_error!(
                NotImplemented,
                "this driver ({}) does not keep versions",
                self.d().info().name
            )),
        }
    }

    // ---- objects ----

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let idle = BodyIdle::of(&req.extensions);
        let i = req.input;
        rules::write_features!(i).check().map_err(body_unread)?;
        let (reader, digest) = body::checked_reader(i.body, i.content_md5.as_deref())?;
        let size = i.content_length.map(|n| n.max(0) as u64);
        let reader = match self.detach(reader, size).await {
            Ok(r) => r,
            Err(_) if idle.fired() => return Err(body_unread(crate::idle::request_timeout())),
            Err(_) if digest.sha256_failed() => return Err(body_unread(sha256_mismatch())),
            Err(_) if digest.failed() => return Err(bad_digest()),
            Err(_) if digest.broken() => return Err(body_unread(incomplete_body())),
            Err(e) => return Err(body_unread(e)),
        };
        let if_match = i.if_match.is_some();
        let headers = rules::content_headers!(i);
        let opts = put_options(
            i.content_type,
            headers,
            i.metadata,
            i.if_match,
            i.if_none_match,
        );
        let info = match self.d().put(&i.bucket, &i.key, reader, opts).await {
            Ok(info) => info,
            Err(_) if idle.fired() => return Err(body_unread(crate::idle::request_timeout())),
            Err(_) if digest.sha256_failed() => return Err(body_unread(sha256_mismatch())),
            Err(_) if digest.failed() => return Err(bad_digest()),
            Err(_) if digest.broken() => return Err(body_unread(incomplete_body())),
            Err(e) if if_match && e.kind() == ErrorKind::PreconditionFailed => {
                return Err(body_unread(
                    self.if_match_failed(&i.bucket, &i.key, object_err(e)).await,
                ))
            }
            Err(e) => return Err(body_unread(object_err(e))),
        };
        ok(PutObjectOutput {
            e_tag: Some(etag(&info.etag)),
            version_id: info.version_id,
            ..Default::default()
        })
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let mut i = req.input;
        check_read_sse(i.sse_customer_algorithm.as_ref())?;
        let mut parts_count = None;
        if let Some(n) = i.part_number {
            // A part is a range of the object: find where it lies.
            let info = self.d().head(&i.bucket, &i.key).await.map_err(object_err)?;
            let (range, count) = part_range(n, &info)?;
            i.range = range;
            parts_count = Some(count);
        }
        let none_match_only = i.if_none_match.is_some() && i.if_match.is_none();
        let opts = GetOptions {
            range: i.range.map(to_byte_range),
            if_match: cond(i.if_match),
            if_none_match: cond(i.if_none_match),
            version_id: self.version(i.version_id),
        };
        let got = self.d().get(&i.bucket, &i.key, opts).await;
        let (info, reader) = match got {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::PreconditionFailed && none_match_only => {
                // A 304 carries the object's ETag and Last-Modified.
                return Err(match self.d().head(&i.bucket, &i.key).await {
                    Ok(info) => not_modified(&info),
                    Err(_) => S3Error::new(S3ErrorCode::NotModified),
                });
            }
            Err(e) if e.kind() == ErrorKind::InvalidArgument && i.range.is_some() => {
                return Err(S3Error::new(S3ErrorCode::InvalidRange))
            }
            Err(e) => return Err(object_err(e)),
        };
        check_dates(
            &info,
            i.if_modified_since.as_ref(),
            i.if_unmodified_since.as_ref(),
            S3ErrorCode::NotModified,
        )?;
        let (len, content_range) = ranged(i.range, info.size)?;
        let reader = self.detach(reader, Some(len)).await?;
        let mut out = GetObjectOutput {
            body: Some(body::blob(reader)),
            content_length: Some(len as i64),
            content_range,
            accept_ranges: Some("bytes".to_string()),
            content_type: info.content_type.clone(),
            e_tag: Some(etag(&info.etag)),
            last_modified: info.last_modified.map(Timestamp::from),
            metadata: metadata_out(&info),
            version_id: info.version_id.clone(),
            parts_count,
            ..Default::default()
        };
        rules::set_content_headers!(out, info);
        // `response-*` query parameters override what is stored, for this answer.
        let overrides = [
            (&mut out.content_type, i.response_content_type),
            (&mut out.cache_control, i.response_cache_control),
            (&mut out.content_disposition, i.response_content_disposition),
            (&mut out.content_encoding, i.response_content_encoding),
            (&mut out.content_language, i.response_content_language),
        ];
        for (field, given) in overrides {
            if given.is_some() {
                *field = given;
            }
        }
        if i.response_expires.is_some() {
            out.expires = i.response_expires;
        }
        ok(out)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let mut i = req.input;
        check_read_sse(i.sse_customer_algorithm.as_ref())?;
        let info = match self.version(i.version_id) {
            None => self.d().head(&i.bucket, &i.key).await.map_err(object_err)?,
            Some(v) => {
                let opts = GetOptions {
                    version_id: Some(v),
                    ..Default::default()
                };
                self.d()
                    .get(&i.bucket, &i.key, opts)
                    .await
                    .map_err(object_err)?
                    .0
            }
        };
        check_etags(
            &info,
            i.if_match.as_ref(),
            i.if_none_match.as_ref(),
            S3ErrorCode::NotModified,
        )?;
        check_dates(
            &info,
            i.if_modified_since.as_ref(),
            i.if_unmodified_since.as_ref(),
            S3ErrorCode::NotModified,
        )?;
        let mut parts_count = None;
        if let Some(n) = i.part_number {
            let (range, count) = part_range(n, &info)?;
            i.range = range;
            parts_count = Some(count);
        }
        let (len, content_range) = ranged(i.range, info.size)?;
        let mut out = HeadObjectOutput {
            content_length: Some(len as i64),
            content_range,
            accept_ranges: Some("bytes".to_string()),
            content_type: info.content_type.clone(),
            e_tag: Some(etag(&info.etag)),
            last_modified: info.last_modified.map(Timestamp::from),
            metadata: metadata_out(&info),
            version_id: info.version_id.clone(),
            parts_count,
            ..Default::default()
        };
        rules::set_content_headers!(out, info);
        ok(out)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let i = req.input;
        let conds = DeleteConditions {
            etag: i.if_match.as_ref().map(|c| match c {
                ETagCondition::Any => "*".to_string(),
                ETagCondition::ETag(e) => e.value().to_string(),
            }),
            last_modified: i.if_match_last_modified_time.clone(),
            size: i.if_match_size,
        };
        self.check_delete(&i.bucket, &i.key, &conds).await?;
        match self.version(i.version_id.clone()) {
            None => self.d().delete(&i.bucket, &i.key).await,
            Some(v) => self.d().delete_version(&i.bucket, &i.key, &v).await,
        }
        .map_err(object_err)?;
        ok(DeleteObjectOutput {
            version_id: i.version_id,
            ..Default::default()
        })
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let i = req.input;
        if i.delete.objects.len() > DELETE_LIMIT {
            return Err(s3_error!(
                MalformedXML,
                "a DeleteObjects request names at most {DELETE_LIMIT} keys, not {}",
                i.delete.objects.len()
            ));
        }
        let quiet = i.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for o in i.delete.objects {
            let conds = DeleteConditions {
                etag: o.e_tag.as_ref().map(|e| e.value().to_string()),
                last_modified: o.last_modified_time.clone(),
                size: o.size,
            };
            if let Err(s) = self.check_delete(&i.bucket, &o.key, &conds).await {
                errors.push(Error {
                    code: Some(s.code().as_str().to_string()),
                    key: Some(o.key),
                    message: s.message().map(str::to_string),
                    version_id: o.version_id,
                });
                continue;
            }
            let r = match self.version(o.version_id.clone()) {
                None => self.d().delete(&i.bucket, &o.key).await,
                Some(v) => self.d().delete_version(&i.bucket, &o.key, &v).await,
            };
            match r {
                Ok(()) if quiet => {}
                Ok(()) => deleted.push(DeletedObject {
                    key: Some(o.key),
                    version_id: o.version_id,
                    ..Default::default()
                }),
                Err(e) => {
                    let s = error::to_s3(&e, error::Subject::Object);
                    errors.push(Error {
                        code: Some(s.code().as_str().to_string()),
                        key: Some(o.key),
                        message: s.message().map(str::to_string),
                        version_id: o.version_id,
                    });
                }
            }
        }
        ok(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        })
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let i = req.input;
        rules::write_features!(i).check()?;
        if i.copy_source_sse_customer_algorithm.is_some() {
            return Err(s3_error!(NotImplemented, "SSE-C is not supported"));
        }
        let CopySource::Bucket {
            bucket: sb,
            key: sk,
            version_id,
        } = &i.copy_source
        else {
            return Err(s3_error!(
                NotImplemented,
                "only bucket/key copy sources are supported"
            ));
        };
        let version_id = self.version(version_id.as_deref().map(str::to_string));
        let replace = i
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        if sb.as_ref() == i.bucket.as_str()
            && sk.as_ref() == i.key.as_str()
            && !replace
            && version_id.is_none()
        {
            return Err(s3_error!(
                InvalidRequest,
                "this copy request is illegal because it is trying to copy an object to itself without changing the object's metadata"
            ));
        }
        let conditional = i.copy_source_if_match.is_some()
            || i.copy_source_if_none_match.is_some()
            || i.copy_source_if_modified_since.is_some()
            || i.copy_source_if_unmodified_since.is_some();
        if conditional {
            let src = self.d().head(sb, sk).await.map_err(object_err)?;
            check_etags(
                &src,
                i.copy_source_if_match.as_ref(),
                i.copy_source_if_none_match.as_ref(),
                S3ErrorCode::PreconditionFailed,
            )?;
            check_dates(
                &src,
                i.copy_source_if_modified_since.as_ref(),
                i.copy_source_if_unmodified_since.as_ref(),
                S3ErrorCode::PreconditionFailed,
            )?;
        }
        let info = if !replace && version_id.is_none() {
            // The driver copies (and keeps content type and metadata) itself.
            self.d()
                .copy(sb, sk, &i.bucket, &i.key)
                .await
                .map_err(object_err)?
        } else {
            // New metadata or an old version: read the source and write the copy.
            let gopts = GetOptions {
                version_id: version_id.clone(),
                ..Default::default()
            };
            let (src, reader) = self.d().get(sb, sk, gopts).await.map_err(object_err)?;
            let popts = if replace {
                let headers = rules::content_headers!(i);
                put_options(i.content_type, headers, i.metadata, None, None)
            } else {
                PutOptions {
                    content_type: src.content_type.clone(),
                    headers: src.headers.clone(),
                    metadata: src.metadata.clone(),
                    ..Default::default()
                }
            };
            // A stateful driver's one instance is held by the source's reader.
            let reader = self.detach(reader, Some(src.size)).await?;
            self.d()
                .put(&i.bucket, &i.key, reader, popts)
                .await
                .map_err(object_err)?
        };
        ok(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&info.etag)),
                last_modified: info.last_modified.map(Timestamp::from),
                ..Default::default()
            }),
            version_id: info.version_id,
            copy_source_version_id: version_id,
            ..Default::default()
        })
    }

    /// Torrents are not offered; a missing object is still `NoSuchKey`.
    async fn get_object_torrent(
        &self,
        req: S3Request<GetObjectTorrentInput>,
    ) -> S3Result<S3Response<GetObjectTorrentOutput>> {
        let i = req.input;
        self.d().head(&i.bucket, &i.key).await.map_err(object_err)?;
        Err(s3_error!(
            NotImplemented,
            "BitTorrent is not offered by this gateway"
        ))
    }

    // ---- multipart ----

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let i = req.input;
        rules::write_features!(i).check()?;
        let headers = rules::content_headers!(i);
        let opts = put_options(i.content_type, headers, i.metadata, None, None);
        let id = self.uploads().create(&i.bucket, &i.key, opts).await?;
        tracing::debug!(bucket = %i.bucket, key = %i.key, upload = %id, "multipart upload created");
        ok(CreateMultipartUploadOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(id),
            ..Default::default()
        })
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let idle = BodyIdle::of(&req.extensions);
        let r: S3Result<String> = async {
            let i = req.input;
            if i.sse_customer_algorithm.is_some() {
                return Err(s3_error!(NotImplemented, "SSE-C is not supported"));
            }
            let n = part_number(i.part_number)?;
            let (reader, digest) = body::checked_reader(i.body, i.content_md5.as_deref())?;
            self.uploads()
                .upload_part(&i.bucket, &i.key, &i.upload_id, n, reader)
                .await
                .map_err(|e| match () {
                    _ if idle.fired() => crate::idle::request_timeout(),
                    _ if digest.sha256_failed() => sha256_mismatch(),
                    _ if digest.failed() => bad_digest(),
                    _ if digest.broken() => incomplete_body(),
                    _ => e,
                })
        }
        .await;
        let tag = r.map_err(body_unread)?;
        ok(UploadPartOutput {
            e_tag: Some(etag(&tag)),
            ..Default::default()
        })
    }

    /// A part copied from an object (or a range of it), streamed from the
    /// source into the upload, never held whole (but by a driver's own
    /// multipart capability, which takes a part as one buffer).
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let i = req.input;
        if i.sse_customer_algorithm.is_some() || i.copy_source_sse_customer_algorithm.is_some() {
            return Err(s3_error!(NotImplemented, "SSE-C is not supported"));
        }
        let n = part_number(i.part_number)?;
        let CopySource::Bucket {
            bucket: sb,
            key: sk,
            version_id,
        } = &i.copy_source
        else {
            return Err(s3_error!(
                NotImplemented,
                "only bucket/key copy sources are supported"
            ));
        };
        let version_id = self.version(version_id.as_deref().map(str::to_string));
        let src = match &version_id {
            None => self.d().head(sb, sk).await.map_err(object_err)?,
            Some(v) => {
                let o = GetOptions {
                    version_id: Some(v.clone()),
                    range: Some(ByteRange::Span {
                        offset: 0,
                        length: Some(0),
                    }),
                    ..Default::default()
                };
                self.d().get(sb, sk, o).await.map_err(object_err)?.0
            }
        };
        check_etags(
            &src,
            i.copy_source_if_match.as_ref(),
            i.copy_source_if_none_match.as_ref(),
            S3ErrorCode::PreconditionFailed,
        )?;
        check_dates(
            &src,
            i.copy_source_if_modified_since.as_ref(),
            i.copy_source_if_unmodified_since.as_ref(),
            S3ErrorCode::PreconditionFailed,
        )?;
        let range = match i.copy_source_range.as_deref() {
            Some(r) => Some(copy_range(r, src.size)?),
            None => None,
        };
        let opts = GetOptions {
            range,
            // The bytes of the version that was checked, not a newer one.
            if_match: Some(src.etag.clone()),
            version_id: version_id.clone(),
            ..Default::default()
        };
        let (_, reader) = self.d().get(sb, sk, opts).await.map_err(object_err)?;
        let len = match range {
            Some(ByteRange::Span {
                length: Some(l), ..
            }) => l,
            _ => src.size,
        };
        let reader = self.detach(reader, Some(len)).await?;
        let tag = self
            .uploads()
            .upload_part(&i.bucket, &i.key, &i.upload_id, n, reader)
            .await?;
        ok(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag(&tag)),
                last_modified: Some(Timestamp::from(std::time::SystemTime::now())),
                ..Default::default()
            }),
            copy_source_version_id: version_id,
            ..Default::default()
        })
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let i = req.input;
        let listed = listed_parts(i.multipart_upload.and_then(|m| m.parts).unwrap_or_default())?;
        let if_match = i.if_match.is_some();
        let done = self
            .uploads()
            .complete(
                &self.inner.completed,
                &i.bucket,
                &i.key,
                &i.upload_id,
                listed,
                i.if_match,
                i.if_none_match,
            )
            .await;
        let info = match done {
            Ok(info) => info,
            Err(e) if if_match && *e.code() == S3ErrorCode::PreconditionFailed => {
                return Err(self.if_match_failed(&i.bucket, &i.key, e).await);
            }
            Err(e) => return Err(e),
        };
        ok(CompleteMultipartUploadOutput {
            location: Some(format!("/{}/{}", i.bucket, i.key)),
            bucket: Some(i.bucket),
            key: Some(i.key),
            e_tag: Some(etag(&info.etag)),
            version_id: info.version_id,
            ..Default::default()
        })
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let i = req.input;
        self.uploads()
            .abort(&i.bucket, &i.key, &i.upload_id)
            .await?;
        ok(AbortMultipartUploadOutput::default())
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let i = req.input;
        let parts = self
            .uploads()
            .parts(&i.bucket, &i.key, &i.upload_id)
            .await?
            .into_iter()
            .map(|p| Part {
                part_number: Some(p.number as i32),
                e_tag: Some(etag(&p.etag)),
                size: Some(p.size as i64),
                last_modified: p.last_modified.map(Timestamp::from),
                ..Default::default()
            })
            .collect();
        ok(ListPartsOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(i.upload_id),
            is_truncated: Some(false),
            parts: Some(parts),
            ..Default::default()
        })
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let i = req.input;
        need_bucket(self.d(), &i.bucket).await?;
        // The driver capability cannot enumerate uploads; spooled ones can.
        let prefix = i.prefix.clone().unwrap_or_default();
        let uploads = self
            .inner
            .spool
            .in_bucket(&i.bucket)
            .into_iter()
            .filter(|u| u.key.starts_with(&prefix))
            .map(|u| MultipartUpload {
                key: Some(u.key.clone()),
                upload_id: Some(u.id.clone()),
                initiated: Some(Timestamp::from(u.initiated)),
                ..Default::default()
            })
            .collect();
        ok(ListMultipartUploadsOutput {
            bucket: Some(i.bucket),
            prefix: i.prefix,
            is_truncated: Some(false),
            uploads: Some(uploads),
            ..Default::default()
        })
    }
}
