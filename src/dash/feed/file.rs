//! The replay feed: a whole trace file read into a [`Timeline`] by the trace layer's checking
//! [`Reader`], so a bad line is refused with its number exactly as `evscope validate` says it.

use std::io::BufRead;
use std::path::Path;

use crate::dash::model::Timeline;
use crate::trace::{Reader, TraceError};

/// Reads and checks the trace at `path`.
pub fn load(path: &Path) -> Result<Timeline, TraceError> {
    fold(Reader::open(path)?)
}

/// Reads and checks a trace from any buffered reader.
pub fn parse(input: impl BufRead) -> Result<Timeline, TraceError> {
    fold(Reader::new(input)?)
}

fn fold<R: BufRead>(mut reader: Reader<R>) -> Result<Timeline, TraceError> {
    let mut timeline = Timeline::new(reader.header().clone());
    while let Some(r) = reader.next_record()? {
        timeline.push(r);
    }
    Ok(timeline)
}
