//! The replay feed: a whole trace file read into a [`Timeline`].
//!
//! A minimal reader of the dashboard's own (header check, JSON per line, `seq` increasing) until
//! the trace layer's streaming reader lands on main; then [`load`] calls that instead.

use std::io::BufRead;
use std::path::Path;

use super::FeedError;
use crate::dash::model::Timeline;
use crate::trace::{Header, Record};
use crate::trace::{FORMAT, VERSION};

/// Reads the trace at `path`.
pub fn load(path: &Path) -> Result<Timeline, FeedError> {
    let file = std::fs::File::open(path)?;
    parse(std::io::BufReader::with_capacity(1 << 20, file))
}

/// Reads a trace from any buffered reader.
pub fn parse(mut input: impl BufRead) -> Result<Timeline, FeedError> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Err(bad(1, "the trace is empty (no header line)".into()));
    }
    let header = parse_header(line.trim_end())?;
    let mut timeline = Timeline::new(header);
    let mut n = 1;
    let mut last_seq = 0;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        n += 1;
        let text = line.trim_end();
        if text.is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(text).map_err(|e| bad(n, e.to_string()))?;
        if r.seq <= last_seq {
            return Err(bad(
                n,
                format!("seq {} does not follow seq {last_seq}", r.seq),
            ));
        }
        last_seq = r.seq;
        timeline.push(r);
    }
    Ok(timeline)
}

/// Checks and reads a header line.
pub(crate) fn parse_header(text: &str) -> Result<Header, FeedError> {
    let header: Header = serde_json::from_str(text)
        .map_err(|e| bad(1, format!("not an evscope trace header: {e}")))?;
    if header.format != FORMAT {
        return Err(bad(
            1,
            format!("format is {:?}, not {FORMAT:?}", header.format),
        ));
    }
    if header.version != VERSION {
        return Err(bad(
            1,
            format!(
                "trace version {} (this build reads version {VERSION})",
                header.version
            ),
        ));
    }
    Ok(header)
}

fn bad(line: usize, what: String) -> FeedError {
    FeedError::Bad { line, what }
}
