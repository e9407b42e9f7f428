//! The one error type of the public API.

use std::fmt;

/// What went wrong, as a kind an application can match on.
///
/// The first eleven kinds are the contract's `error` variant; the rest are
/// raised by the host itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    ObjectNotFound,
    BucketNotFound,
    BucketExists,
    BucketNotEmpty,
    InvalidArgument,
    PermissionDenied,
    PreconditionFailed,
    Unsupported,
    Unavailable,
    Timeout,
    Internal,
    /// The driver trapped (panic, out of bounds, stack overflow, a limit hit,
    /// the deadline passed). Its instance was thrown away.
    DriverCrashed,
    /// The `.wasm` is not a component implementing this contract version.
    InvalidDriver,
    /// The DSN could not be parsed.
    InvalidDsn,
    /// No driver is registered for the DSN's scheme.
    UnknownScheme,
    /// A local I/O failure in the host (reading a file to upload, the cache).
    Io,
}

impl ErrorKind {
    /// The kind's name as the CLI prints it: the WIT variant name for driver
    /// errors (`object-not-found`), and a name in the same style for the host's.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorKind::ObjectNotFound => "object-not-found",
            ErrorKind::BucketNotFound => "bucket-not-found",
            ErrorKind::BucketExists => "bucket-exists",
            ErrorKind::BucketNotEmpty => "bucket-not-empty",
            ErrorKind::InvalidArgument => "invalid-argument",
            ErrorKind::PermissionDenied => "permission-denied",
            ErrorKind::PreconditionFailed => "precondition-failed",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal",
            ErrorKind::DriverCrashed => "driver-crashed",
            ErrorKind::InvalidDriver => "invalid-driver",
            ErrorKind::InvalidDsn => "invalid-dsn",
            ErrorKind::UnknownScheme => "unknown-scheme",
            ErrorKind::Io => "io",
        }
    }

    /// Whether retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ErrorKind::Unavailable | ErrorKind::Timeout)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a driver or from the host, with its kind and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind`. Control and bidi characters in `message` (which
    /// often carries a driver's own text) are escaped, so that no error can
    /// reach a terminal with an escape sequence in it.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = match crate::text::printable(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(escaped) => escaped,
        };
        Error { kind, message }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    fn render(&self) -> String {
        match self.kind {
            ErrorKind::DriverCrashed => format!("driver crashed: {}", self.message),
            _ => self.message.clone(),
        }
    }

    pub(crate) fn crashed(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::DriverCrashed, message)
    }

    pub(crate) fn invalid_driver(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidDriver, message)
    }

    pub(crate) fn io(context: &str, err: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("{context}: {err}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
