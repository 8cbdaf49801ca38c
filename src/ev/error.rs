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
            Error::Io(e) => Some(e),
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
            other => io::Error::other(other),
        }
    }
}
