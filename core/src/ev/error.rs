//! The library's error type: small, matchable, one readable sentence each.

use std::fmt;
use std::io;
use std::os::fd::RawFd;

/// Everything the library can refuse or fail at.
#[derive(Debug)]
pub enum Error {
    /// A system call failed.
    Io(io::Error),
    /// A handle whose object was freed (or that never belonged to this base).
    Stale(String),
    /// The select backend cannot watch an fd this large (`FD_SETSIZE`).
    FdTooLarge {
        /// The refused descriptor.
        fd: RawFd,
        /// select's limit, `FD_SETSIZE`.
        limit: RawFd,
    },
    /// The arguments do not make sense together (e.g. `SIGNAL` with `READ`).
    Invalid(String),
    /// The named backend is not one of epoll, poll, select.
    UnknownBackend(String),
    /// The trace `EVSCOPE_TRACE` names cannot be opened (its file, socket or listener).
    Trace {
        /// The `EVSCOPE_TRACE` value.
        spec: String,
        /// Why it could not be opened, with its kind (`NotFound`, `PermissionDenied`, …).
        source: io::Error,
    },
}

/// The library's `Result`.
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Stale(what) => write!(f, "{what} was freed or never existed (stale handle)"),
            Error::FdTooLarge { fd, limit } => write!(
                f,
                "fd {fd} is too large for the select backend (FD_SETSIZE is {limit}); \
                 use the poll or epoll backend"
            ),
            Error::Invalid(msg) => f.write_str(msg),
            Error::Trace { spec, source } => write!(f, "EVSCOPE_TRACE={spec}: {source}"),
            Error::UnknownBackend(name) => {
                write!(
                    f,
                    "unknown backend {name:?}: expected epoll, poll or select"
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) | Error::Trace { source: e, .. } => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            Error::Trace { spec, source } => {
                io::Error::new(source.kind(), format!("EVSCOPE_TRACE={spec}: {source}"))
            }
            other => io::Error::other(other),
        }
    }
}
