//! `get_opts`: range, if-match / if-none-match (sent to the driver),
//! if-modified-since / if-unmodified-since (the contract has no date
//! conditions: checked here on the `ObjectInfo` that came back with the
//! body, so info and body are one snapshot), `head` and `version`.

use crate::error::{generic, map, Call};
use crate::keys::key;
use crate::meta::{attributes, object_meta};
use crate::store::TroveStore;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResult, GetResultPayload, Result};
use trove_host::{ByteRange, ObjectReader};

/// Bodies up to this size come back as one `Bytes` (no chunking, and for a
/// body the driver returned whole, no copy).
const WHOLE: u64 = 1 << 20;
/// The most a chunk of a larger body holds.
const CHUNK: usize = 1 << 20;

fn byte_range(r: &GetRange) -> ByteRange {
    match r {
        GetRange::Bounded(r) => ByteRange::Span {
            offset: r.start,
            length: Some(r.end - r.start),
        },
        GetRange::Offset(o) => ByteRange::Span {
            offset: *o,
            length: None,
        },
        GetRange::Suffix(n) => ByteRange::Suffix(*n),
    }
}

/// The conditions left to check here, after the driver checked what it was
/// sent. RFC 9110 precedence as object_store applies it: a date condition
/// counts only when the matching ETag condition is absent.
fn local_conditions(o: &GetOptions, sent_if_none_match: bool) -> GetOptions {
    GetOptions {
        if_match: None,
        if_none_match: (!sent_if_none_match)
            .then(|| o.if_none_match.clone())
            .flatten(),
        if_unmodified_since: o
            .if_match
            .is_none()
            .then_some(o.if_unmodified_since)
            .flatten(),
        if_modified_since: o
            .if_none_match
            .is_none()
            .then_some(o.if_modified_since)
            .flatten(),
        ..Default::default()
    }
}

pub(crate) async fn get_opts(
    store: &TroveStore,
    location: &Path,
    options: GetOptions,
) -> Result<GetResult> {
    let k = key(location);
    if let Some(r) = &options.range {
        r.is_valid().map_err(generic)?;
    }
    if options.head && options.version.is_none() {
        let info = store
            .driver
            .head(&store.bucket, k)
            .await
            .map_err(|e| map(e, k, Call::Plain))?;
        let meta = object_meta(location.clone(), &info);
        options.check_preconditions(&meta)?;
        let range = match &options.range {
            Some(r) => r.as_range(meta.size).map_err(generic)?,
            None => 0..meta.size,
        };
        return Ok(GetResult {
            payload: GetResultPayload::Stream(futures::stream::empty().boxed()),
            attributes: attributes(&info),
            meta,
            range,
            extensions: Default::default(),
        });
    }
    // With both ETag conditions, the driver checks if-match and this store
    // if-none-match, so that a failed condition maps to the right variant.
    let send_inm = options.if_match.is_none() && options.if_none_match.is_some();
    let call = if send_inm {
        Call::GetIfNoneMatch
    } else {
        Call::Plain
    };
    let gopts = trove_host::GetOptions {
        range: options.range.as_ref().map(byte_range),
        if_match: options.if_match.clone(),
        if_none_match: send_inm.then(|| options.if_none_match.clone()).flatten(),
        version_id: options.version.clone(),
    };
    let (info, reader) = store
        .driver
        .get(&store.bucket, k, gopts)
        .await
        .map_err(|e| map(e, k, call))?;
    let meta = object_meta(location.clone(), &info);
    // On failure the reader is dropped unread.
    local_conditions(&options, send_inm).check_preconditions(&meta)?;
    let range = match &options.range {
        Some(r) => r.as_range(info.size).map_err(generic)?,
        None => 0..info.size,
    };
    let payload = if options.head {
        futures::stream::empty().boxed()
    } else {
        body(reader, range.end - range.start, k.to_string())
    };
    Ok(GetResult {
        payload: GetResultPayload::Stream(payload),
        attributes: attributes(&info),
        meta,
        range,
        extensions: Default::default(),
    })
}

/// The body as a stream of `Bytes`: small bodies whole, larger ones in
/// chunks of at most [`CHUNK`], as the driver delivers them.
fn body(
    reader: ObjectReader,
    len: u64,
    key: String,
) -> futures::stream::BoxStream<'static, Result<Bytes>> {
    let fail = move |e: std::io::Error| map(trove_host::to_error(e), &key, Call::Plain);
    if len <= WHOLE {
        let fail = fail.clone();
        return futures::stream::once(async move {
            reader
                .read_all()
                .await
                .map(Bytes::from)
                .map_err(|e| fail(std::io::Error::other(e)))
        })
        .boxed();
    }
    tokio_util::io::ReaderStream::with_capacity(reader, CHUNK)
        .map_err(fail)
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn ranges_map_to_the_contract() {
        assert_eq!(
            byte_range(&GetRange::Bounded(2..5)),
            ByteRange::Span {
                offset: 2,
                length: Some(3)
            }
        );
        assert_eq!(byte_range(&GetRange::Suffix(4)), ByteRange::Suffix(4));
    }

    #[test]
    fn date_conditions_yield_to_etag_conditions() {
        let now = Some(Utc::now());
        let o = GetOptions {
            if_match: Some("e".into()),
            if_unmodified_since: now,
            if_modified_since: now,
            ..Default::default()
        };
        let l = local_conditions(&o, false);
        assert!(l.if_match.is_none() && l.if_unmodified_since.is_none());
        assert_eq!(l.if_modified_since, now);
        let o = GetOptions {
            if_none_match: Some("e".into()),
            if_modified_since: now,
            ..Default::default()
        };
        let l = local_conditions(&o, true);
        assert!(l.if_none_match.is_none() && l.if_modified_since.is_none());
    }
}
