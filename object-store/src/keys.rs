//! `object_store::path::Path` ↔ driver keys.
//!
//! A path's string form (segments joined by `/`, each already
//! percent-encoded by `Path`) is the key, as object_store's own S3, GCS and
//! Azure stores use it. Listing prefixes are segment-wise: the prefix `a/b`
//! lists `a/b/…`, never `a/bc`.

use object_store::path::{Path, DELIMITER};

/// The key of `path`.
pub(crate) fn key(path: &Path) -> &str {
    path.as_ref()
}

/// The listing prefix for `prefix`: `None` (everything) for no prefix or the
/// root, else the path with a trailing delimiter.
pub(crate) fn dir_prefix(prefix: Option<&Path>) -> Option<String> {
    match prefix.map(|p| p.as_ref()) {
        None | Some("") => None,
        Some(p) => Some(format!("{p}{DELIMITER}")),
    }
}

/// The path of a listed key or common prefix (a common prefix's trailing
/// delimiter dropped). A key that is not a valid path (an empty segment,
/// `.` or `..`) is an error, as in object_store's own stores.
pub(crate) fn path(key: &str) -> object_store::Result<Path> {
    Ok(Path::parse(key)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_segment_wise() {
        assert_eq!(dir_prefix(None), None);
        assert_eq!(dir_prefix(Some(&Path::from("/"))), None);
        assert_eq!(
            dir_prefix(Some(&Path::from("a/b"))).as_deref(),
            Some("a/b/")
        );
    }

    #[test]
    fn keys_round_trip() {
        let p = Path::from_iter(["a", "b/c", "😀 x"]);
        assert_eq!(key(&p), "a/b%2Fc/%F0%9F%98%80 x");
        assert_eq!(key(&Path::parse("😀/x").unwrap()), "😀/x");
        assert_eq!(path(key(&p)).unwrap(), p);
        assert_eq!(path("dir/").unwrap(), Path::from("dir"));
        assert!(path("a//b").is_err());
    }
}
