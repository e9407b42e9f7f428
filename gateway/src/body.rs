//! Bodies between s3s and the driver API, streamed in both directions:
//! an s3s request body becomes the `AsyncRead` that `Driver::put` takes, and
//! an `ObjectReader` (or any `AsyncRead`) becomes an s3s response body.

use futures::TryStreamExt;
use s3s::dto::StreamingBlob;
use std::io;
use tokio::io::AsyncRead;
use tokio_util::io::{ReaderStream, StreamReader};

/// Bytes read from a driver body per response chunk.
const CHUNK: usize = 256 << 10;

/// The request body as an `AsyncRead`, chunk by chunk as the client sends it.
pub fn reader(blob: StreamingBlob) -> impl AsyncRead + Send + Unpin + 'static {
    StreamReader::new(blob.map_err(io::Error::other))
}

/// A request body that may be absent (an empty PUT).
pub fn reader_or_empty(blob: Option<StreamingBlob>) -> Box<dyn AsyncRead + Send + Unpin> {
    match blob {
        Some(b) => Box::new(reader(b)),
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
