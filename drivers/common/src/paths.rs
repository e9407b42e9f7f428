//! Keys stored as paths (the file and sftp drivers): a key's '/' separate folders, so a
//! key must be a clean relative path — no leading '/', no empty, '.' or '..' segment —
//! and nothing built from it can climb out of the bucket's folder.
//!
//! A key ending in '/' (`photos/`, `a/b/`) is a **folder marker**, as S3 consoles, s3fs
//! `mkdir` and rclone make them. A backend that stores markers ([`Markers::Stored`])
//! keeps one as the file [`MARKER_FILE`] inside its folder: `a/b/` is the file
//! `a/b/.trove-folder-marker`. The marker thus lives and goes with its folder, keeps the
//! folder from being removed as empty, and lists where its key sorts: first in its
//! folder. That file name is reserved: no key may have it as a segment. A backend that
//! does not store markers ([`Markers::Refused`]) refuses every key ending in '/'.
//!
//! One key cannot be both an object and a folder of other keys (`a/b` and `a/b/c`, or
//! `a/b` and the marker `a/b/`): the file `a/b` and the folder `a/b` would have to be one
//! path. [`object_in_the_way`] and [`folder_in_the_way`] are the answers a backend gives.

use std::borrow::Cow;

use crate::names::validate_key;
use crate::Error;

/// The file that holds a folder marker's bytes, inside the folder.
pub const MARKER_FILE: &str = ".trove-folder-marker";

/// Whether a backend whose keys are paths stores folder markers (keys ending in '/').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markers {
    /// A key ending in '/' is `invalid-argument`.
    Refused,
    /// A key ending in '/' is stored as [`MARKER_FILE`] in its folder.
    Stored,
}

/// True for a folder marker's key (`a/b/`).
pub fn is_marker(key: &str) -> bool {
    key.ends_with('/')
}

/// Checks a key: the contract's rules, then the path rules.
pub fn validate_path_key(key: &str, markers: Markers) -> Result<(), Error> {
    validate_key(key)?;
    // A marker's segments are those before its final '/'.
    let path = match key.strip_suffix('/') {
        Some(folder) if markers == Markers::Stored => folder,
        _ => key,
    };
    let why = if key.starts_with('/') {
        "starts with '/'".to_string()
    } else if key.ends_with('/') && markers == Markers::Refused {
        "ends with '/' (a folder marker), which this driver does not store".to_string()
    } else if path.split('/').any(|s| s.is_empty()) {
        "has an empty segment ('//')".to_string()
    } else if path.split('/').any(|s| s == "." || s == "..") {
        "has a '.' or '..' segment".to_string()
    } else if markers == Markers::Stored && path.split('/').any(|s| s == MARKER_FILE) {
        format!("has the segment {MARKER_FILE:?}, the name this driver keeps folder markers in")
    } else {
        return Ok(());
    };
    Err(Error::InvalidArgument(format!(
        "key {key:?} {why}: this driver stores keys as paths"
    )))
}

/// The path of the file that holds `key` (relative to the bucket's folder): the key
/// itself, or for a folder marker `a/b/` the file `a/b/.trove-folder-marker`.
pub fn stored_path(key: &str) -> Cow<'_, str> {
    match is_marker(key) {
        true => Cow::Owned(format!("{key}{MARKER_FILE}")),
        false => Cow::Borrowed(key),
    }
}

/// The folders a key's file sits in, shallowest first (`a`, `a/b` for `a/b/c`, and for
/// the marker `a/b/`, whose file is in folder `a/b`).
pub fn parent_folders(key: &str) -> impl DoubleEndedIterator<Item = &str> {
    key.match_indices('/')
        .map(move |(i, _)| &key[..i])
        .collect::<Vec<_>>()
        .into_iter()
}

/// The answer to a put of `key` when its parent folder `object` (e.g. `a/b` for key
/// `a/b/c` or `a/b/`) is an object.
pub fn object_in_the_way(key: &str, object: &str) -> Error {
    Error::InvalidArgument(format!(
        "key {key:?}: {object:?} is an object, and this driver stores keys as paths, \
         so a key cannot be both an object and a folder"
    ))
}

/// The answer to a put of `key` (e.g. `a/b`) when its path is a folder of other keys.
pub fn folder_in_the_way(key: &str) -> Error {
    Error::InvalidArgument(format!(
        "key {key:?}: {key:?} is a folder of other keys (\"{key}/…\"), and this driver \
         stores keys as paths, so a key cannot be both an object and a folder"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for markers in [Markers::Refused, Markers::Stored] {
            for ok in ["a", "a/b/c", "a.b", "..a", "a b/c", ".trove-folder-markers"] {
                assert_eq!(validate_path_key(ok, markers), Ok(()), "{ok}");
            }
            for bad in [
                "", "/", "//", "/a", "a//", "a//b", "./a", "a/../b", "..", "a\0",
            ] {
                assert!(validate_path_key(bad, markers).is_err(), "{bad:?}");
            }
        }
        for marker in ["a/", "a/b/", "..a/"] {
            assert_eq!(
                validate_path_key(marker, Markers::Stored),
                Ok(()),
                "{marker}"
            );
            let refused = validate_path_key(marker, Markers::Refused).unwrap_err();
            assert!(format!("{refused}").contains("folder marker"), "{refused}");
        }
        for bad in ["./", "a/../", "a//"] {
            assert!(validate_path_key(bad, Markers::Stored).is_err(), "{bad:?}");
        }
        for reserved in [
            ".trove-folder-marker",
            "a/.trove-folder-marker",
            "a/.trove-folder-marker/b",
            "a/.trove-folder-marker/",
        ] {
            assert!(
                validate_path_key(reserved, Markers::Stored).is_err(),
                "{reserved:?}"
            );
            if !is_marker(reserved) {
                assert_eq!(validate_path_key(reserved, Markers::Refused), Ok(()));
            }
        }
    }

    #[test]
    fn marker_files() {
        assert_eq!(stored_path("a/b"), "a/b");
        assert_eq!(stored_path("a/b/"), "a/b/.trove-folder-marker");
        assert_eq!(
            parent_folders(&stored_path("a/b/")).collect::<Vec<_>>(),
            ["a", "a/b"]
        );
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

    #[test]
    fn conflicts_name_both_keys() {
        let e = format!("{}", object_in_the_way("a/b/c", "a/b"));
        assert!(
            e.contains("\"a/b/c\"") && e.contains("\"a/b\" is an object"),
            "{e}"
        );
        assert!(e.contains("cannot be both an object and a folder"), "{e}");
        let e = format!("{}", folder_in_the_way("a/b"));
        assert!(e.contains("cannot be both an object and a folder"), "{e}");
    }
}
