//! Bucket-name and key validation (wit/README.md, "Names").

use crate::Error;

/// Longest bucket name, in characters.
pub const MAX_BUCKET_LEN: usize = 63;
/// Longest key, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

/// A bucket name is 1–63 characters of `[a-z0-9._-]`, not starting with `.`.
pub fn validate_bucket(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("bucket name is empty".into()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-'))
    {
        return Err(Error::InvalidArgument(format!(
            "bucket name {name:?} contains {c:?}; allowed are a-z, 0-9, '.', '_' and '-'"
        )));
    }
    if name.len() > MAX_BUCKET_LEN {
        return Err(Error::InvalidArgument(format!(
            "bucket name is {} characters long, the limit is {MAX_BUCKET_LEN}",
            name.len()
        )));
    }
    if name.starts_with('.') {
        return Err(Error::InvalidArgument(format!(
            "bucket name {name:?} starts with '.'"
        )));
    }
    Ok(())
}

/// A key is non-empty UTF-8 (guaranteed by `&str`) without NUL, at most 1024 bytes.
pub fn validate_key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::InvalidArgument("key is empty".into()));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidArgument(format!(
            "key is {} bytes long, the limit is {MAX_KEY_LEN}",
            key.len()
        )));
    }
    if key.contains('\0') {
        return Err(Error::InvalidArgument(
            "key contains a NUL character".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        for ok in ["a", "abc", "my-bucket.v2_x", "0", "a.", &"a".repeat(63)] {
            assert_eq!(validate_bucket(ok), Ok(()), "{ok}");
        }
        for bad in ["", ".a", "A", "a b", "a/b", "ä", "a\0", &"a".repeat(64)] {
            assert!(
                matches!(validate_bucket(bad), Err(Error::InvalidArgument(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn keys() {
        for ok in ["a", "a/b/c", "/x", "ünï", " ", &"k".repeat(1024)] {
            assert_eq!(validate_key(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a\0b", &"k".repeat(1025), &"é".repeat(513)] {
            assert!(
                matches!(validate_key(bad), Err(Error::InvalidArgument(_))),
                "{bad:?}"
            );
        }
    }
}
