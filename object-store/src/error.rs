//! The driver's typed errors as `object_store::Error` variants, chosen by the
//! contract's error kind (never by message text).

use object_store::Error as OsError;
use trove_host::{Error, ErrorKind};

/// The name object_store errors carry for this store.
pub(crate) const STORE: &str = "Trove";

/// What the failed call was, where a kind means different things in
/// different calls (`precondition-failed` is "already exists" for a
/// create-only put and "not modified" for an if-none-match get).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// Any call without conditions of its own.
    Plain,
    /// A put with if-none-match `*` (`PutMode::Create`).
    Create,
    /// A put with if-match (`PutMode::Update`).
    Update,
    /// A get whose if-none-match was sent to the driver (and no if-match).
    GetIfNoneMatch,
}

/// Map a driver error for the object at `path`.
pub(crate) fn map(e: Error, path: &str, call: Call) -> OsError {
    let path = path.to_string();
    match (e.kind(), call) {
        (ErrorKind::PreconditionFailed, Call::Create) => OsError::AlreadyExists {
            path,
            source: Box::new(e),
        },
        (ErrorKind::PreconditionFailed, Call::GetIfNoneMatch) => OsError::NotModified {
            path,
            source: Box::new(e),
        },
        // An if-match put of a missing key fails its condition (S3 answers
        // it with NoSuchKey; object_store expects Precondition).
        (ErrorKind::PreconditionFailed, _) | (ErrorKind::ObjectNotFound, Call::Update) => {
            OsError::Precondition {
                path,
                source: Box::new(e),
            }
        }
        (ErrorKind::ObjectNotFound | ErrorKind::BucketNotFound, _) => OsError::NotFound {
            path,
            source: Box::new(e),
        },
        (ErrorKind::PermissionDenied, _) => OsError::PermissionDenied {
            path,
            source: Box::new(e),
        },
        (ErrorKind::Unsupported, _) => OsError::NotSupported {
            source: Box::new(e),
        },
        _ => generic(e),
    }
}

/// An error with no better variant (invalid argument, unavailable, timeout,
/// internal, a crashed driver, a local I/O failure…), kept whole as the source.
pub(crate) fn generic(e: impl std::error::Error + Send + Sync + 'static) -> OsError {
    OsError::Generic {
        store: STORE,
        source: Box::new(e),
    }
}

/// A request this store refuses before any driver call.
pub(crate) fn not_supported(what: impl Into<String>) -> OsError {
    OsError::NotSupported {
        source: what.into().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind) -> Error {
        Error::new(kind, "detail")
    }

    #[test]
    fn kinds_choose_the_variant() {
        let m = |k, c| map(err(k), "p", c);
        assert!(matches!(
            m(ErrorKind::ObjectNotFound, Call::Plain),
            OsError::NotFound { .. }
        ));
        assert!(matches!(
            m(ErrorKind::PreconditionFailed, Call::Create),
            OsError::AlreadyExists { .. }
        ));
        assert!(matches!(
            m(ErrorKind::PreconditionFailed, Call::Update),
            OsError::Precondition { .. }
        ));
        assert!(matches!(
            m(ErrorKind::ObjectNotFound, Call::Update),
            OsError::Precondition { .. }
        ));
        assert!(matches!(
            m(ErrorKind::PreconditionFailed, Call::GetIfNoneMatch),
            OsError::NotModified { .. }
        ));
        assert!(matches!(
            m(ErrorKind::PermissionDenied, Call::Plain),
            OsError::PermissionDenied { .. }
        ));
        assert!(matches!(
            m(ErrorKind::Unsupported, Call::Plain),
            OsError::NotSupported { .. }
        ));
        assert!(matches!(
            m(ErrorKind::Unavailable, Call::Plain),
            OsError::Generic { .. }
        ));
    }
}
