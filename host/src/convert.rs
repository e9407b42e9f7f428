//! Conversions between the contract's generated types and the public API.

use crate::bindings::wit;
use crate::error::{Error, ErrorKind};
use crate::types::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) fn error(e: wit::Error) -> Error {
    use wit::Error as W;
    let (kind, msg) = match e {
        W::ObjectNotFound(m) => (ErrorKind::ObjectNotFound, m),
        W::BucketNotFound(m) => (ErrorKind::BucketNotFound, m),
        W::BucketExists(m) => (ErrorKind::BucketExists, m),
        W::BucketNotEmpty(m) => (ErrorKind::BucketNotEmpty, m),
        W::InvalidArgument(m) => (ErrorKind::InvalidArgument, m),
        W::PermissionDenied(m) => (ErrorKind::PermissionDenied, m),
        W::PreconditionFailed(m) => (ErrorKind::PreconditionFailed, m),
        W::Unsupported(m) => (ErrorKind::Unsupported, m),
        W::Unavailable(m) => (ErrorKind::Unavailable, m),
        W::Timeout(m) => (ErrorKind::Timeout, m),
        W::Internal(m) => (ErrorKind::Internal, m),
    };
    Error::new(kind, truncate(msg, 4096))
}

/// Driver-supplied text is untrusted: keep messages to a sane size.
pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

pub(crate) fn time_from(t: wit::Timestamp) -> Option<SystemTime> {
    let d = Duration::new(t.seconds.unsigned_abs(), t.nanoseconds.min(999_999_999));
    if t.seconds >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    }
}

pub(crate) fn object_info(o: wit::ObjectInfo) -> ObjectInfo {
    ObjectInfo {
        key: o.key,
        size: o.size,
        etag: o.etag,
        content_type: o.content_type,
        headers: content_headers_from(o.headers),
        last_modified: o.last_modified.and_then(time_from),
        metadata: o.metadata,
        version_id: o.version_id,
        storage_class: o.storage_class,
    }
}

fn content_headers_from(h: wit::ContentHeaders) -> ContentHeaders {
    ContentHeaders {
        cache_control: h.cache_control,
        content_disposition: h.content_disposition,
        content_encoding: h.content_encoding,
        content_language: h.content_language,
        expires: h.expires,
    }
}

fn content_headers(h: &ContentHeaders) -> wit::ContentHeaders {
    wit::ContentHeaders {
        cache_control: h.cache_control.clone(),
        content_disposition: h.content_disposition.clone(),
        content_encoding: h.content_encoding.clone(),
        content_language: h.content_language.clone(),
        expires: h.expires.clone(),
    }
}

pub(crate) fn bucket_info(b: wit::BucketInfo) -> BucketInfo {
    BucketInfo {
        name: b.name,
        created: b.created.and_then(time_from),
    }
}

pub(crate) fn list_page(p: wit::ListPage) -> ListPage {
    ListPage {
        objects: p.objects.into_iter().map(object_info).collect(),
        common_prefixes: p.common_prefixes,
        next_cursor: p.next_cursor,
    }
}

pub(crate) fn get_options(o: &GetOptions) -> wit::GetOptions {
    wit::GetOptions {
        range: o.range.map(|r| match r {
            ByteRange::Span { offset, length } => wit::ByteRange::Span((offset, length)),
            ByteRange::Suffix(n) => wit::ByteRange::Suffix(n),
        }),
        if_match: o.if_match.clone(),
        if_none_match: o.if_none_match.clone(),
        version_id: o.version_id.clone(),
    }
}

pub(crate) fn put_options(o: &PutOptions) -> wit::PutOptions {
    wit::PutOptions {
        content_type: o.content_type.clone(),
        headers: content_headers(&o.headers),
        metadata: o.metadata.clone(),
        if_none_match: o.if_none_match.clone(),
        if_match: o.if_match.clone(),
        size: o.size,
    }
}

pub(crate) fn list_options(o: &ListOptions) -> wit::ListOptions {
    wit::ListOptions {
        prefix: o.prefix.clone(),
        delimiter: o.delimiter.clone(),
        max_keys: o.max_keys,
        cursor: o.cursor.clone(),
    }
}

pub(crate) fn driver_info(i: wit::DriverInfo) -> DriverInfo {
    DriverInfo {
        name: i.name,
        version: i.version,
        stateful: i.stateful,
    }
}

/// How many body bytes a `get` must produce, by the contract's range rules;
/// `None` when the range is unsatisfiable (the driver should have said so).
pub(crate) fn expected_len(size: u64, range: Option<ByteRange>) -> Option<u64> {
    match range {
        None => Some(size),
        Some(ByteRange::Suffix(n)) => Some(n.min(size)),
        Some(ByteRange::Span { offset, length }) => {
            if offset > 0 && offset >= size {
                return None;
            }
            let rest = size.saturating_sub(offset);
            Some(length.map_or(rest, |l| l.min(rest)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_lengths_follow_the_contract() {
        let span = |offset, length| Some(ByteRange::Span { offset, length });
        assert_eq!(expected_len(10, None), Some(10));
        assert_eq!(expected_len(10, span(0, Some(3))), Some(3));
        assert_eq!(expected_len(10, span(8, Some(5))), Some(2));
        assert_eq!(expected_len(10, span(4, None)), Some(6));
        assert_eq!(expected_len(10, span(10, None)), None);
        assert_eq!(expected_len(0, span(0, None)), Some(0));
        assert_eq!(expected_len(10, Some(ByteRange::Suffix(4))), Some(4));
        assert_eq!(expected_len(10, Some(ByteRange::Suffix(40))), Some(10));
    }

    #[test]
    fn truncate_keeps_char_boundaries() {
        let s = truncate("ééééé".to_string(), 3);
        assert_eq!(s, "é…");
    }
}
