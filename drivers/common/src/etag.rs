//! The ETag: xxh3-128 of the content, as 32 lowercase hex characters and the suffix
//! `-xxh3`, without quotes. The suffix gives it a shape no S3 client takes for an
//! MD5 (rclone, s3cmd and mc check a bare 32-hex ETag against the MD5 of what they
//! uploaded, and a `-` marks a tag that is not one): see README "ETags".

use xxhash_rust::xxh3::Xxh3;

/// Computes an ETag incrementally while the content streams past.
#[derive(Clone)]
pub struct Hasher {
    inner: Box<Xxh3>,
    len: u64,
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Hasher {
    pub fn new() -> Self {
        Self {
            inner: Box::new(Xxh3::new()),
            len: 0,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The ETag of everything hashed so far.
    pub fn finish(&self) -> String {
        format_etag(self.inner.digest128())
    }
}

/// The ETag of `bytes` in one go.
pub fn etag_of(bytes: &[u8]) -> String {
    format_etag(xxhash_rust::xxh3::xxh3_128(bytes))
}

/// The suffix of every ETag made here.
pub const SUFFIX: &str = "-xxh3";

/// The ETag of content whose xxh3-128 digest is `digest` (computed elsewhere:
/// the host's `splice` import hashes what it moves).
pub fn etag_of_digest(digest: u128) -> String {
    format_etag(digest)
}

fn format_etag(digest: u128) -> String {
    let mut s = crate::hex_encode(&digest.to_be_bytes());
    s.push_str(SUFFIX);
    s
}

/// xxh3-128 of `bytes` as 32 lowercase hex characters: a name for a path (a
/// sidecar's), not an ETag.
pub fn digest_hex(bytes: &[u8]) -> String {
    crate::hex_encode(&xxhash_rust::xxh3::xxh3_128(bytes).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = Hasher::new();
        for chunk in data.chunks(4093) {
            h.update(chunk);
        }
        assert_eq!(h.len(), data.len() as u64);
        assert_eq!(h.finish(), etag_of(&data));
    }

    #[test]
    fn shape() {
        let e = etag_of(b"");
        let hex = e.strip_suffix(SUFFIX).unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert_eq!(digest_hex(b""), hex);
        assert_eq!(Hasher::new().finish(), e);
        assert_ne!(etag_of(b"a"), etag_of(b"b"));
        // Same length, different content: different tag.
        assert_ne!(etag_of(b"ab"), etag_of(b"ba"));
    }
}
