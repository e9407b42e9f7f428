//! `put_opts`: a `PutPayload` streamed into the driver's put, with
//! `PutMode::Create` as if-none-match `*` and `PutMode::Update` as if-match
//! on the ETag.

use crate::error::{map, not_supported, Call};
use crate::keys::key;
use crate::meta::{put_options, put_result};
use crate::store::TroveStore;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{PutMode, PutOptions, PutPayload, PutResult, Result};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Payloads below this go to the driver in one call (`put-bytes` where the
/// driver exports it) and are retried on `unavailable`.
const SMALL: usize = 1 << 20;

/// The contract's options and the call kind for object_store's put mode.
pub(crate) fn mode(mode: &PutMode, opts: &mut trove_host::PutOptions) -> Result<Call> {
    Ok(match mode {
        PutMode::Overwrite => Call::Plain,
        PutMode::Create => {
            opts.if_none_match = Some("*".into());
            Call::Create
        }
        PutMode::Update(v) => {
            let Some(etag) = &v.e_tag else {
                return Err(not_supported(
                    "PutMode::Update without an ETag: the trove contract's conditional \
                     put is if-match on the ETag",
                ));
            };
            opts.if_match = Some(etag.clone());
            Call::Update
        }
    })
}

pub(crate) async fn put_opts(
    store: &TroveStore,
    location: &Path,
    payload: PutPayload,
    opts: PutOptions,
) -> Result<PutResult> {
    let k = key(location);
    let mut popts = put_options(&opts.attributes, &opts.tags)?;
    let call = mode(&opts.mode, &mut popts)?;
    let len = payload.content_length();
    popts.size = Some(len as u64);
    let r = if len < SMALL {
        store
            .driver
            .put_bytes(&store.bucket, k, contiguous(&payload), popts)
            .await
    } else {
        store
            .driver
            .put(&store.bucket, k, PayloadReader::new(payload), popts)
            .await
    };
    r.map(|info| put_result(&info)).map_err(|e| map(e, k, call))
}

/// The payload as one buffer (no copy when it is one unshared chunk).
pub(crate) fn contiguous(p: &PutPayload) -> Vec<u8> {
    let mut chunks = p.iter();
    match (chunks.next(), chunks.next()) {
        (None, _) => Vec::new(),
        (Some(one), None) => Vec::from(one.clone()),
        _ => {
            let mut v = Vec::with_capacity(p.content_length());
            for c in p {
                v.extend_from_slice(c);
            }
            v
        }
    }
}

/// A `PutPayload` as an `AsyncRead`, chunk by chunk (the driver's put
/// copies each into its own buffer; nothing is gathered here).
pub(crate) struct PayloadReader {
    chunks: std::vec::IntoIter<Bytes>,
    cur: Bytes,
}

impl PayloadReader {
    pub(crate) fn new(p: PutPayload) -> PayloadReader {
        let chunks: Vec<Bytes> = p.into_iter().collect();
        PayloadReader {
            chunks: chunks.into_iter(),
            cur: Bytes::new(),
        }
    }
}

impl AsyncRead for PayloadReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        while self.cur.is_empty() {
            match self.chunks.next() {
                Some(c) => self.cur = c,
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = self.cur.len().min(buf.remaining());
        buf.put_slice(&self.cur[..n]);
        bytes::Buf::advance(&mut self.cur, n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn a_payload_reads_back_in_order() {
        let p = PutPayload::from_iter([
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"cde"),
        ]);
        assert_eq!(contiguous(&p), b"abcde");
        let mut v = Vec::new();
        PayloadReader::new(p).read_to_end(&mut v).await.unwrap();
        assert_eq!(v, b"abcde");
    }
}
