//! `put_opts`: a `PutPayload` streamed into the driver's put, with
//! `PutMode::Create` as if-none-match `*` and `PutMode::Update` as if-match
//! on the ETag.

use crate::error::{map, not_supported, Call};
use crate::keys::key;
use crate::meta::{put_options, put_result};
use crate::store::TroveStore;
use object_store::path::Path;
use object_store::{PutMode, PutOptions, PutPayload, PutResult, Result};

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
            .put_parts(&store.bucket, k, payload.into_iter().collect(), popts)
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn a_payload_is_gathered_in_order() {
        let p = PutPayload::from_iter([
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"cde"),
        ]);
        assert_eq!(contiguous(&p), b"abcde");
    }
}
