//! Logic shared by the built-in trove drivers, free of any WIT binding so that it is
//! tested natively (`cargo test -p trove-driver-common`). Each module has one job:
//!
//! - [`names`]: bucket-name and key validation;
//! - [`etag`]: the content-derived ETag (xxh3-128), computed incrementally;
//! - [`grants`]: the `declare_grants!` macro (the `trove:grants` custom section);
//! - [`headers`]: a header by name in the http import's pairs, and the 2xx test;
//! - [`keys`]: object keys for sorted in-memory maps, compared eight bytes at a time;
//! - [`listing`]: one page of a listing (prefix, delimiter, max-keys, opaque cursor);
//! - [`range`]: a byte-range option resolved against an object's size;
//! - [`conditions`]: `if-match` / `if-none-match` for get and put;
//! - [`time`]: wall-clock timestamps as seconds and nanoseconds;
//! - [`dates`]: calendar dates as the cloud APIs write them (RFC 3339, HTTP dates, signing stamps);
//! - [`codec`]: hex, base64, percent-encoding, SHA-256 and HMAC-SHA256;
//! - `xml` (feature `xml`): XML answers as a small element tree.
//!
//! Every check fails with a small [`Error`] that a driver maps onto the WIT `error`
//! variant of the same name.

pub mod codec;
pub mod conditions;
pub mod dates;
pub mod etag;
pub mod grants;
pub mod headers;
pub mod keys;
pub mod listing;
pub mod names;
pub mod paths;
pub mod range;
pub mod time;
pub mod walk;
#[cfg(feature = "xml")]
pub mod xml;

use std::fmt;

/// A rejection by one of the shared checks; the variants carry the WIT error kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Maps to the WIT `invalid-argument`.
    InvalidArgument(String),
    /// Maps to the WIT `precondition-failed`.
    PreconditionFailed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::PreconditionFailed(m) => write!(f, "precondition failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Lowercase hex of `bytes`.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 0x0f) as usize]);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Bytes of lowercase or uppercase hex; `None` when `s` is not hex of whole bytes.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff];
        let hex = hex_encode(&bytes);
        assert_eq!(hex, "00017f80ff");
        assert_eq!(hex_decode(&hex).unwrap(), bytes);
        assert_eq!(hex_decode("0A").unwrap(), [10]);
        assert!(hex_decode("abc").is_none());
        assert!(hex_decode("zz").is_none());
    }
}
