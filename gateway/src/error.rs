//! Driver errors as S3 errors: one mapping, used by every operation.

use s3s::{S3Error, S3ErrorCode};
use trove_host::{Error, ErrorKind};

/// What the failed call was about: the same driver error means a different S3
/// code on a bucket call (`InvalidBucketName`) than on an object call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Bucket,
    Object,
}

/// The S3 error code for a driver error kind.
pub fn code_for(kind: ErrorKind, subject: Subject, message: &str) -> S3ErrorCode {
    match kind {
        ErrorKind::ObjectNotFound => S3ErrorCode::NoSuchKey,
        ErrorKind::BucketNotFound => S3ErrorCode::NoSuchBucket,
        ErrorKind::BucketExists => S3ErrorCode::BucketAlreadyOwnedByYou,
        ErrorKind::BucketNotEmpty => S3ErrorCode::BucketNotEmpty,
        ErrorKind::PreconditionFailed => S3ErrorCode::PreconditionFailed,
        ErrorKind::InvalidArgument => match subject {
            Subject::Bucket => S3ErrorCode::InvalidBucketName,
            Subject::Object => S3ErrorCode::InvalidArgument,
        },
        ErrorKind::PermissionDenied => S3ErrorCode::AccessDenied,
        ErrorKind::Unsupported => S3ErrorCode::NotImplemented,
        ErrorKind::Unavailable => {
            let m = message.to_ascii_lowercase();
            if m.contains("slow down") || m.contains("throttl") || m.contains("rate limit") {
                S3ErrorCode::SlowDown
            } else {
                S3ErrorCode::ServiceUnavailable
            }
        }
        ErrorKind::Timeout => S3ErrorCode::RequestTimeout,
        _ => S3ErrorCode::InternalError,
    }
}

/// A driver error as an S3 error, keeping the driver's message.
pub fn to_s3(e: &Error, subject: Subject) -> S3Error {
    let code = code_for(e.kind(), subject, e.message());
    if code == S3ErrorCode::InternalError {
        tracing::warn!(kind = %e.kind(), error = %e, "driver call failed");
    }
    S3Error::with_message(code, format!("{}: {}", e.kind(), e))
}

/// For `map_err` on object calls.
pub fn object(e: Error) -> S3Error {
    to_s3(&e, Subject::Object)
}

/// For `map_err` on bucket calls.
pub fn bucket(e: Error) -> S3Error {
    to_s3(&e, Subject::Bucket)
}

/// An I/O failure of the gateway itself (the spool directory).
pub fn local_io(context: &str, e: std::io::Error) -> S3Error {
    tracing::warn!(error = %e, "{context}");
    S3Error::with_message(S3ErrorCode::InternalError, format!("{context}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let c = |k| code_for(k, Subject::Object, "");
        assert_eq!(c(ErrorKind::ObjectNotFound), S3ErrorCode::NoSuchKey);
        assert_eq!(c(ErrorKind::BucketNotFound), S3ErrorCode::NoSuchBucket);
        assert_eq!(
            c(ErrorKind::BucketExists),
            S3ErrorCode::BucketAlreadyOwnedByYou
        );
        assert_eq!(c(ErrorKind::BucketNotEmpty), S3ErrorCode::BucketNotEmpty);
        assert_eq!(
            c(ErrorKind::PreconditionFailed),
            S3ErrorCode::PreconditionFailed
        );
        assert_eq!(c(ErrorKind::InvalidArgument), S3ErrorCode::InvalidArgument);
        assert_eq!(
            code_for(ErrorKind::InvalidArgument, Subject::Bucket, ""),
            S3ErrorCode::InvalidBucketName
        );
        assert_eq!(c(ErrorKind::PermissionDenied), S3ErrorCode::AccessDenied);
        assert_eq!(c(ErrorKind::Unavailable), S3ErrorCode::ServiceUnavailable);
        assert_eq!(
            code_for(ErrorKind::Unavailable, Subject::Object, "Slow Down please"),
            S3ErrorCode::SlowDown
        );
        assert_eq!(c(ErrorKind::Timeout), S3ErrorCode::RequestTimeout);
        assert_eq!(c(ErrorKind::DriverCrashed), S3ErrorCode::InternalError);
        assert_eq!(c(ErrorKind::Internal), S3ErrorCode::InternalError);
    }
}
