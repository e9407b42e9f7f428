//! Byte encodings the GCS protocol needs: base64 (the `md5Hash` / `crc32c`
//! fields), base64url without padding (JWT segments), hex
//! (ETags, V4 signatures) and RFC 3986 percent-encoding (object names in
//! paths and query values, canonical requests).

pub use crate::common::codec::{
    base64_decode, base64url, hex, uri_decode as unpct, uri_encode as pct,
};
