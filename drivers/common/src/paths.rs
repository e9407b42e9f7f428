//! Keys stored as paths (the file and sftp drivers): a key's '/' separate folders, so a
//! key must be a clean relative path — no leading or trailing '/', no empty, '.' or '..'
//! segment — and nothing built from it can climb out of the bucket's folder.

use crate::names::validate_key;
use crate::Error;

/// Checks a key: the contract's rules, then the path rules.
pub fn validate_path_key(key: &str) -> Result<(), Error> {
    validate_key(key)?;
    let why = if key.starts_with('/') {
        "starts with '/'"
    } else if key.ends_with('/') {
        "ends with '/' (a folder, not a file)"
    } else if key.split('/').any(|s| s.is_empty()) {
        "has an empty segment ('//')"
    } else if key.split('/').any(|s| s == "." || s == "..") {
        "has a '.' or '..' segment"
    } else {
        return Ok(());
    };
    Err(Error::InvalidArgument(format!(
        "key {key:?} {why}: this driver stores keys as paths"
    )))
}

/// The folders a key's file sits in, shallowest first (`a`, `a/b` for `a/b/c`).
pub fn parent_folders(key: &str) -> impl DoubleEndedIterator<Item = &str> {
    key.match_indices('/')
        .map(move |(i, _)| &key[..i])
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in ["a", "a/b/c", "a.b", "..a", "a b/c"] {
            assert_eq!(validate_path_key(ok), Ok(()), "{ok}");
        }
        for bad in ["", "/a", "a/", "a//b", "./a", "a/../b", "..", "a\0"] {
            assert!(validate_path_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parents() {
        assert_eq!(parent_folders("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(
            parent_folders("a/b/c").rev().collect::<Vec<_>>(),
            ["a/b", "a"]
        );
        assert!(parent_folders("a").next().is_none());
    }
}
