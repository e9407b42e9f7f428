//! The `s3s::S3` trait over a `trove_host::Driver`: each S3 operation is one
//! or a few driver calls, bodies are streamed both ways, driver errors become
//! S3 error codes (see `error`).

use crate::body;
use crate::error::{self, bucket as bucket_err, object as object_err};
use crate::listing::{self, Query};
use crate::spool::{CompleteError, Spool};
use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::io::AsyncReadExt;
use trove_host::{ByteRange, Driver, ErrorKind, GetOptions, ListOptions, ObjectInfo, PutOptions};

/// Largest part passed to a driver's own multipart capability (it takes a part
/// as one buffer); larger parts are refused with `EntityTooLarge`.
pub const NATIVE_PART_LIMIT: usize = 64 << 20;

/// The S3 service implementation. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    driver: Driver,
    spool: Spool,
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

    fn native_multipart(&self) -> bool {
        self.inner.driver.capabilities().multipart
    }

    /// `NoSuchBucket` unless the bucket exists.
    async fn need_bucket(&self, bucket: &str) -> S3Result<()> {
        let opts = ListOptions {
            max_keys: Some(1),
            ..Default::default()
        };
        self.d()
            .list(bucket, opts)
            .await
            .map(|_| ())
            .map_err(bucket_err)
    }
}

fn ok<T>(v: T) -> S3Result<S3Response<T>> {
    Ok(S3Response::new(v))
}

/// An ETag condition as the driver API spells it (`*` or the bare ETag).
fn cond(c: Option<ETagCondition>) -> Option<String> {
    c.map(|c| match c {
        ETagCondition::Any => "*".to_string(),
        ETagCondition::ETag(e) => e.into_value(),
    })
}

fn etag(s: &str) -> ETag {
    ETag::Strong(s.trim_matches('"').to_string())
}

fn metadata_in(m: Option<Metadata>) -> Vec<(String, String)> {
    let mut v: Vec<_> = m.unwrap_or_default().into_iter().collect();
    v.sort();
    v
}

fn metadata_out(info: &ObjectInfo) -> Option<Metadata> {
    if info.metadata.is_empty() {
        None
    } else {
        Some(info.metadata.iter().cloned().collect())
    }
}

fn put_options(
    content_type: Option<String>,
    metadata: Option<Metadata>,
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
) -> PutOptions {
    PutOptions {
        content_type,
        metadata: metadata_in(metadata),
        if_match: cond(if_match),
        if_none_match: cond(if_none_match),
        // Not the request's Content-Length: with aws-chunked uploads that
        // counts the chunk framing too.
        size: None,
    }
}

fn to_byte_range(r: Range) -> ByteRange {
    match r {
        Range::Int { first, last } => ByteRange::Span {
            offset: first,
            length: last.map(|l| l - first + 1),
        },
        Range::Suffix { length } => ByteRange::Suffix(length),
    }
}

/// A last-modified time at whole seconds, as HTTP dates compare.
fn http_time(t: SystemTime) -> Timestamp {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// The date conditions of a GET/HEAD. `Err(code)` when one fails.
fn check_dates(
    info: &ObjectInfo,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
    failed: S3ErrorCode,
) -> S3Result<()> {
    let Some(lm) = info.last_modified.map(http_time) else {
        return Ok(());
    };
    if let Some(t) = if_unmodified_since {
        if lm > *t {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
    }
    if let Some(t) = if_modified_since {
        if lm <= *t {
            return Err(S3Error::new(failed));
        }
    }
    Ok(())
}

/// The ETag conditions of a HEAD (or a copy source), checked on its info.
fn check_etags(
    info: &ObjectInfo,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    none_match_failed: S3ErrorCode,
) -> S3Result<()> {
    let cur = info.etag.trim_matches('"');
    if let Some(c) = if_match {
        let hit = match c {
            ETagCondition::Any => true,
            ETagCondition::ETag(e) => e.value().trim_matches('"') == cur,
        };
        if !hit {
            return Err(S3Error::new(S3ErrorCode::PreconditionFailed));
        }
    }
    if let Some(c) = if_none_match {
        let hit = match c {
            ETagCondition::Any => true,
            ETagCondition::ETag(e) => e.value().trim_matches('"') == cur,
        };
        if hit {
            return Err(S3Error::new(none_match_failed));
        }
    }
    Ok(())
}

/// Length and `Content-Range` of a ranged answer for an object of `size` bytes.
fn ranged(range: Option<Range>, size: u64) -> S3Result<(u64, Option<String>)> {
    match range {
        None => Ok((size, None)),
        // An empty object has no satisfiable range; answer it whole.
        Some(_) if size == 0 => Ok((0, None)),
        Some(r) => match r.check(size) {
            Ok(rg) if rg.end > rg.start => Ok((
                rg.end - rg.start,
                Some(format!("bytes {}-{}/{}", rg.start, rg.end - 1, size)),
            )),
            Ok(_) => Err(S3Error::new(S3ErrorCode::InvalidRange)),
            Err(e) => Err(e.into()),
        },
    }
}

/// An error answered before the request body was read to its end: the
/// connection is closed after it, so unread body bytes can never be taken
/// for the start of the next request on a kept-alive connection.
/// A body whose MD5 is not its `Content-MD5`: nothing was stored.
fn bad_digest() -> S3Error {
    s3_error!(
        BadDigest,
        "the body does not match its Content-MD5; nothing was stored"
    )
}

fn body_unread(mut e: S3Error) -> S3Error {
    let mut h = e.headers().cloned().unwrap_or_default();
    h.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    e.set_headers(h);
    e
}

fn part_number(n: i32) -> S3Result<u32> {
    if (1..=10000).contains(&n) {
        Ok(n as u32)
    } else {
        Err(s3_error!(InvalidArgument, "part numbers are 1 to 10000"))
    }
}

fn no_upload(id: &str) -> S3Error {
    s3_error!(NoSuchUpload, "no upload {id} in progress for this key")
}

#[async_trait::async_trait]
impl S3 for Gateway {
    // ---- buckets ----

    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let v = self.d().list_buckets().await.map_err(bucket_err)?;
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
            ..Default::default()
        })
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let b = &req.input.bucket;
        self.d().create_bucket(b).await.map_err(bucket_err)?;
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
        self.need_bucket(&req.input.bucket).await?;
        ok(HeadBucketOutput::default())
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.need_bucket(&req.input.bucket).await?;
        ok(GetBucketLocationOutput::default())
    }

    // ---- listing ----

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let i = req.input;
        let url = listing::url_encoding(i.encoding_type.as_ref());
        let max_keys = listing::max_keys(i.max_keys, 0);
        if max_keys == 0 {
            self.need_bucket(&i.bucket).await?;
            return ok(ListObjectsV2Output {
                name: Some(i.bucket),
                prefix: i.prefix,
                delimiter: i.delimiter,
                max_keys: Some(0),
                key_count: Some(0),
                is_truncated: Some(false),
                continuation_token: i.continuation_token,
                start_after: i.start_after,
                encoding_type: i.encoding_type,
                ..Default::default()
            });
        }
        let q = Query {
            prefix: i.prefix.as_deref(),
            delimiter: i.delimiter.as_deref(),
            max_keys: max_keys as u32,
            cursor: i.continuation_token.as_deref().filter(|c| !c.is_empty()),
            start_after: if i.continuation_token.is_some() {
                None
            } else {
                i.start_after.as_deref()
            },
        };
        let listing::Answer {
            page,
            contents,
            prefixes,
        } = listing::answer(self.d(), &i.bucket, &q, url)
            .await
            .map_err(bucket_err)?;
        let count = (contents.len() + prefixes.len()) as i32;
        ok(ListObjectsV2Output {
            name: Some(i.bucket),
            prefix: i.prefix.map(|p| listing::encode(&p, url)),
            delimiter: i.delimiter.map(|d| listing::encode(&d, url)),
            start_after: i.start_after.map(|s| listing::encode(&s, url)),
            max_keys: Some(max_keys),
            key_count: Some(count),
            is_truncated: Some(page.next_cursor.is_some()),
            next_continuation_token: page.next_cursor,
            continuation_token: i.continuation_token,
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: i.encoding_type,
            ..Default::default()
        })
    }

    /// V1: `marker` is a key (not a cursor), so each page starts from the
    /// beginning and skips to it. Prefer V2.
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let i = req.input;
        let url = listing::url_encoding(i.encoding_type.as_ref());
        let max_keys = listing::max_keys(i.max_keys, 1);
        let q = Query {
            prefix: i.prefix.as_deref(),
            delimiter: i.delimiter.as_deref(),
            max_keys: max_keys as u32,
            cursor: None,
            start_after: i.marker.as_deref(),
        };
        let listing::Answer {
            page,
            contents,
            prefixes,
        } = listing::answer(self.d(), &i.bucket, &q, url)
            .await
            .map_err(bucket_err)?;
        let truncated = page.next_cursor.is_some();
        ok(ListObjectsOutput {
            name: Some(i.bucket),
            prefix: i.prefix.map(|p| listing::encode(&p, url)),
            delimiter: i.delimiter.map(|d| listing::encode(&d, url)),
            marker: i.marker.map(|m| listing::encode(&m, url)),
            next_marker: truncated
                .then(|| listing::last_name(&page).map(|n| listing::encode(&n, url)))
                .flatten(),
            max_keys: Some(max_keys),
            is_truncated: Some(truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: i.encoding_type,
            ..Default::default()
        })
    }

    // ---- objects ----

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let i = req.input;
        let (reader, digest) = body::checked_reader(i.body, i.content_md5.as_deref())?;
        let if_match = i.if_match.is_some();
        let opts = put_options(i.content_type, i.metadata, i.if_match, i.if_none_match);
        let info = match self.d().put(&i.bucket, &i.key, reader, opts).await {
            Ok(info) => info,
            Err(_) if digest.failed() => return Err(bad_digest()),
            // S3 answers an If-Match put of a missing key 404 NoSuchKey, not 412.
            Err(e)
                if if_match
                    && e.kind() == ErrorKind::PreconditionFailed
                    && self
                        .d()
                        .head(&i.bucket, &i.key)
                        .await
                        .is_err_and(|h| h.kind() == ErrorKind::ObjectNotFound) =>
            {
                return Err(body_unread(s3_error!(
                    NoSuchKey,
                    "If-Match: there is no object {:?}",
                    i.key
                )))
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
        let i = req.input;
        let none_match_only = i.if_none_match.is_some() && i.if_match.is_none();
        let opts = GetOptions {
            range: i.range.map(to_byte_range),
            if_match: cond(i.if_match),
            if_none_match: cond(i.if_none_match),
            version_id: i.version_id,
        };
        let (info, reader) =
            self.d()
                .get(&i.bucket, &i.key, opts)
                .await
                .map_err(|e| match e.kind() {
                    ErrorKind::PreconditionFailed if none_match_only => {
                        S3Error::new(S3ErrorCode::NotModified)
                    }
                    ErrorKind::InvalidArgument if i.range.is_some() => {
                        S3Error::new(S3ErrorCode::InvalidRange)
                    }
                    _ => object_err(e),
                })?;
        check_dates(
            &info,
            i.if_modified_since.as_ref(),
            i.if_unmodified_since.as_ref(),
            S3ErrorCode::NotModified,
        )?;
        let (len, content_range) = ranged(i.range, info.size)?;
        ok(GetObjectOutput {
            body: Some(body::blob(reader)),
            content_length: Some(len as i64),
            content_range,
            accept_ranges: Some("bytes".to_string()),
            content_type: i
                .response_content_type
                .or_else(|| info.content_type.clone()),
            e_tag: Some(etag(&info.etag)),
            last_modified: info.last_modified.map(Timestamp::from),
            metadata: metadata_out(&info),
            version_id: info.version_id.clone(),
            ..Default::default()
        })
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let i = req.input;
        let info = match &i.version_id {
            None => self.d().head(&i.bucket, &i.key).await.map_err(object_err)?,
            Some(v) => {
                let opts = GetOptions {
                    version_id: Some(v.clone()),
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
        let (len, content_range) = ranged(i.range, info.size)?;
        ok(HeadObjectOutput {
            content_length: Some(len as i64),
            content_range,
            accept_ranges: Some("bytes".to_string()),
            content_type: info.content_type.clone(),
            e_tag: Some(etag(&info.etag)),
            last_modified: info.last_modified.map(Timestamp::from),
            metadata: metadata_out(&info),
            version_id: info.version_id.clone(),
            ..Default::default()
        })
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let i = req.input;
        match &i.version_id {
            None => self.d().delete(&i.bucket, &i.key).await,
            Some(v) => self.d().delete_version(&i.bucket, &i.key, v).await,
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
        let quiet = i.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for o in i.delete.objects {
            let r = match &o.version_id {
                None => self.d().delete(&i.bucket, &o.key).await,
                Some(v) => self.d().delete_version(&i.bucket, &o.key, v).await,
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
        let replace = i
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
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
                version_id: version_id.as_deref().map(str::to_string),
                ..Default::default()
            };
            let (src, reader) = self.d().get(sb, sk, gopts).await.map_err(object_err)?;
            let popts = if replace {
                put_options(i.content_type, i.metadata, None, None)
            } else {
                PutOptions {
                    content_type: src.content_type.clone(),
                    metadata: src.metadata.clone(),
                    ..Default::default()
                }
            };
            if self.d().info().stateful {
                // One instance serves a stateful driver, and the source's
                // reader holds it: stage the source on the host first.
                let staged = self
                    .inner
                    .spool
                    .stage(reader)
                    .await
                    .map_err(|e| error::local_io("staging a copy", e))?;
                self.d()
                    .put(&i.bucket, &i.key, staged, popts)
                    .await
                    .map_err(object_err)?
            } else {
                self.d()
                    .put(&i.bucket, &i.key, reader, popts)
                    .await
                    .map_err(object_err)?
            }
        };
        ok(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&info.etag)),
                last_modified: info.last_modified.map(Timestamp::from),
                ..Default::default()
            }),
            version_id: info.version_id,
            copy_source_version_id: version_id.as_deref().map(str::to_string),
            ..Default::default()
        })
    }

    // ---- multipart ----

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let i = req.input;
        let opts = put_options(i.content_type, i.metadata, None, None);
        let id = if self.native_multipart() {
            self.d()
                .create_multipart(&i.bucket, &i.key, opts)
                .await
                .map_err(object_err)?
        } else {
            self.need_bucket(&i.bucket).await?;
            let up = self
                .inner
                .spool
                .create(&i.bucket, &i.key, opts)
                .await
                .map_err(|e| error::local_io("creating a spool folder", e))?;
            up.id.clone()
        };
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
        let r: S3Result<S3Response<UploadPartOutput>> = async {
            let i = req.input;
            let n = part_number(i.part_number)?;
            let (mut reader, digest) = body::checked_reader(i.body, i.content_md5.as_deref())?;
            let digest_err = |e: S3Error| match digest.failed() {
                true => bad_digest(),
                false => e,
            };
            let tag = if self.native_multipart() {
                // The capability takes a part as one buffer: bounded.
                let mut data = Vec::new();
                (&mut reader)
                    .take(NATIVE_PART_LIMIT as u64 + 1)
                    .read_to_end(&mut data)
                    .await
                    .map_err(|e| digest_err(s3_error!(IncompleteBody, "reading the part: {e}")))?;
                if data.len() > NATIVE_PART_LIMIT {
                    return Err(s3_error!(
                        EntityTooLarge,
                        "parts are limited to {NATIVE_PART_LIMIT} bytes"
                    ));
                }
                self.d()
                    .upload_part(&i.bucket, &i.key, &i.upload_id, n, data)
                    .await
                    .map_err(object_err)?
                    .etag
            } else {
                let up = self
                    .inner
                    .spool
                    .get(&i.upload_id, &i.bucket, &i.key)
                    .ok_or_else(|| no_upload(&i.upload_id))?;
                let part = self
                    .inner
                    .spool
                    .put_part(&up, n, reader)
                    .await
                    .map_err(|e| digest_err(error::local_io("spooling a part", e)))?;
                part.etag
            };
            ok(UploadPartOutput {
                e_tag: Some(etag(&tag)),
                ..Default::default()
            })
        }
        .await;
        r.map_err(body_unread)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let i = req.input;
        let mut listed = Vec::new();
        for p in i.multipart_upload.and_then(|m| m.parts).unwrap_or_default() {
            let n = part_number(
                p.part_number
                    .ok_or_else(|| s3_error!(InvalidPart, "a part without a number"))?,
            )?;
            listed.push((n, p.e_tag.map(ETag::into_value)));
        }
        let info = if self.native_multipart() {
            let parts = listed
                .into_iter()
                .map(|(n, e)| (n, e.unwrap_or_default()))
                .collect();
            self.d()
                .complete_multipart(&i.bucket, &i.key, &i.upload_id, parts)
                .await
                .map_err(object_err)?
        } else {
            let spool = &self.inner.spool;
            let up = spool
                .get(&i.upload_id, &i.bucket, &i.key)
                .ok_or_else(|| no_upload(&i.upload_id))?;
            let reader = spool.concat(&up, &listed).map_err(|e| match e {
                CompleteError::InvalidPartOrder => s3_error!(InvalidPartOrder, "{e}"),
                _ => s3_error!(InvalidPart, "{e}"),
            })?;
            let mut opts = up.opts.clone();
            opts.if_match = cond(i.if_match);
            opts.if_none_match = cond(i.if_none_match);
            let info = self
                .d()
                .put(&i.bucket, &i.key, reader, opts)
                .await
                .map_err(object_err)?;
            spool.remove(&up.id).await;
            info
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
        if self.native_multipart() {
            self.d()
                .abort_multipart(&i.bucket, &i.key, &i.upload_id)
                .await
                .map_err(object_err)?;
        } else {
            let spool = &self.inner.spool;
            let up = spool
                .get(&i.upload_id, &i.bucket, &i.key)
                .ok_or_else(|| no_upload(&i.upload_id))?;
            spool.remove(&up.id).await;
        }
        ok(AbortMultipartUploadOutput::default())
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let i = req.input;
        let parts: Vec<Part> = if self.native_multipart() {
            self.d()
                .list_parts(&i.bucket, &i.key, &i.upload_id)
                .await
                .map_err(object_err)?
                .into_iter()
                .map(|p| Part {
                    part_number: Some(p.part_number as i32),
                    e_tag: Some(etag(&p.etag)),
                    size: Some(p.size as i64),
                    ..Default::default()
                })
                .collect()
        } else {
            let up = self
                .inner
                .spool
                .get(&i.upload_id, &i.bucket, &i.key)
                .ok_or_else(|| no_upload(&i.upload_id))?;
            up.parts()
                .into_iter()
                .map(|p| Part {
                    part_number: Some(p.number as i32),
                    e_tag: Some(etag(&p.etag)),
                    size: Some(p.size as i64),
                    last_modified: Some(Timestamp::from(p.last_modified)),
                    ..Default::default()
                })
                .collect()
        };
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
        self.need_bucket(&i.bucket).await?;
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
