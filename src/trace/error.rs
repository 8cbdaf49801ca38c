//! [`TraceError`]: what is wrong with a trace, and on which line.

use std::fmt;
use std::io;

/// A problem reading a trace: the 1-based line number (0 when the problem is not on a line,
/// e.g. the file cannot be opened) and one sentence saying what was wrong.
#[derive(Debug)]
pub struct TraceError {
    /// The line the problem is on, counted from 1; 0 for problems with no line.
    pub line: u64,
    /// What was wrong, in one sentence.
    pub what: String,
    /// The underlying I/O error, if that is what went wrong.
    pub io: Option<io::Error>,
}

impl TraceError {
    /// A problem on `line`.
    pub fn at(line: u64, what: impl Into<String>) -> TraceError {
        TraceError {
            line,
            what: what.into(),
            io: None,
        }
    }

    /// An I/O error while reading `line`.
    pub fn io(line: u64, e: io::Error) -> TraceError {
        TraceError {
            line,
            what: format!("cannot read: {e}"),
            io: Some(e),
        }
    }
}

impl fmt::Display for TraceError {
    /// `line N: what`, or just `what` for problems with no line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.what)
        } else {
            f.write_str(&self.what)
        }
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io.as_ref().map(|e| e as _)
    }
}
