//! Bodies between s3s and the driver API, streamed in both directions:
//! an s3s request body becomes the `AsyncRead` that `Driver::put` takes, and
//! an `ObjectReader` (or any `AsyncRead`) becomes an s3s response body.

use base64::Engine as _;
use futures::TryStreamExt;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::StreamingBlob;
use s3s::{s3_error, S3Result};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::{ReaderStream, StreamReader};

/// Bytes read from a driver body per response chunk.
const CHUNK: usize = 256 << 10;

/// The request body as an `AsyncRead`, chunk by chunk as the client sends
/// it. A body that fails the SHA-256 it was signed with is noted in `check`.
fn reader(blob: StreamingBlob, check: DigestCheck) -> impl AsyncRead + Send + Unpin + 'static {
    StreamReader::new(blob.map_err(move |e| {
        // s3s 0.14.1 (pinned) checks a signed payload's hash as it streams;
        // its error type is private, so it is known by its words.
        if e.to_string().contains("Sha256Mismatch") {
            check.sha256.store(true, Ordering::Relaxed);
        }
        check.broken.store(true, Ordering::Relaxed);
        io::Error::other(e)
    }))
}

/// A request body that may be absent (an empty PUT).
fn reader_or_empty(
    blob: Option<StreamingBlob>,
    check: DigestCheck,
) -> Box<dyn AsyncRead + Send + Unpin> {
    match blob {
        Some(b) => Box::new(reader(b, check)),
        None => Box::new(tokio::io::empty()),
    }
}

/// A response body read from `r` as the client consumes it.
pub fn blob<R>(r: R) -> StreamingBlob
where
    R: AsyncRead + Send + Sync + Unpin + 'static,
{
    StreamingBlob::wrap(ReaderStream::with_capacity(r, CHUNK))
}

/// Whether a request body failed its `Content-MD5` or its signed SHA-256:
/// shared between the reader that checks it and the handler that answers
/// `BadDigest` or `XAmzContentSHA256Mismatch`.
#[derive(Clone, Default)]
pub struct DigestCheck {
    md5: Arc<AtomicBool>,
    sha256: Arc<AtomicBool>,
    /// The body failed as it came: cut short, or any of the above.
    broken: Arc<AtomicBool>,
}

impl DigestCheck {
    /// The body ended with a digest other than its `Content-MD5`.
    pub fn failed(&self) -> bool {
        self.md5.load(Ordering::Relaxed)
    }

    /// The body is not what its signature's SHA-256 says.
    pub fn sha256_failed(&self) -> bool {
        self.sha256.load(Ordering::Relaxed)
    }

    /// The body failed as it came (the client sent less than its
    /// Content-Length and hung up, or the connection broke).
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}

/// The request body, checked against `content_md5` (base64 of 16 bytes) when
/// there is one: at the end of a body whose MD5 differs, the reader fails
/// instead of ending, so the driver aborts the put and nothing is stored.
/// A `Content-MD5` that is not base64 of 16 bytes is `InvalidDigest`.
pub fn checked_reader(
    blob: Option<StreamingBlob>,
    content_md5: Option<&str>,
) -> S3Result<(Box<dyn AsyncRead + Send + Unpin>, DigestCheck)> {
    let check = DigestCheck::default();
    let reader = reader_or_empty(blob, check.clone());
    let Some(given) = content_md5 else {
        return Ok((reader, check));
    };
    let expected: [u8; 16] = base64::engine::general_purpose::STANDARD
        .decode(given.trim())
        .ok()
        .and_then(|d| d.try_into().ok())
        .ok_or_else(|| s3_error!(InvalidDigest, "Content-MD5 is not the base64 of 16 bytes"))?;
    let checked = Md5Checked {
        inner: reader,
        hasher: Some(Md5::new()),
        expected,
        failed: check.clone(),
    };
    Ok((Box::new(checked), check))
}

struct Md5Checked<R> {
    inner: R,
    /// `None` once the end was checked.
    hasher: Option<Md5>,
    expected: [u8; 16],
    failed: DigestCheck,
}

impl<R: AsyncRead + Unpin> AsyncRead for Md5Checked<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                if !new.is_empty() {
                    if let Some(h) = this.hasher.as_mut() {
                        h.update(new);
                    }
                } else if let Some(h) = this.hasher.take() {
                    if h.finalize()[..] != this.expected[..] {
                        this.failed.md5.store(true, Ordering::Relaxed);
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the body does not match its Content-MD5",
                        )));
                    }
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}
