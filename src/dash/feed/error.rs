//! Why a trace could not be opened or read.

use std::fmt;

/// A trace that could not be read, with the line that was wrong.
#[derive(Debug)]
pub enum FeedError {
    /// The file or socket failed.
    Io(std::io::Error),
    /// Line `line` (1-based) is not what a version-1 trace holds.
    Bad { line: usize, what: String },
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Io(e) => write!(f, "{e}"),
            FeedError::Bad { line, what } => write!(f, "line {line}: {what}"),
        }
    }
}

impl std::error::Error for FeedError {}

impl From<std::io::Error> for FeedError {
    fn from(e: std::io::Error) -> FeedError {
        FeedError::Io(e)
    }
}
