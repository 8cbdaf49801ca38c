//! [`Reader`]: a streaming, checking trace reader. It holds one line at a time, checks the
//! header and every record (see [`Checker`]), and turns any problem into a [`TraceError`] that
//! names the line. It never panics, whatever the bytes.

use std::fs::File;
use std::io::{self, BufRead};
use std::path::Path;

use super::check::{Checker, Stats};
use super::error::TraceError;
use evscope_core::trace::TraceIn;
use evscope_core::trace::{Header, Implied, Lenient, Record, FORMAT, OLDEST_VERSION, VERSION};

/// The longest line read (1 MiB); longer lines are an error rather than unbounded memory.
pub const MAX_LINE: usize = 1 << 20;

/// Reads a trace record by record (an `Iterator` of `Result<Record, TraceError>`). After the
/// first error it yields nothing more.
pub struct Reader<R> {
    input: R,
    header: Header,
    line: u64,
    buf: Vec<u8>,
    checker: Checker,
    /// Versions 3 to 5: what the lines so far imply, which later lines may leave out; the one
    /// place where such lines become whole records (every reader of a file reads through here).
    implied: Option<Implied>,
    /// The record of the last line read, when that line also said a record before it (a
    /// version 5 `callback_begin` saying its event's move to `callback`), which came first.
    after: Option<Record>,
    done: bool,
    /// The number of the last line holding text, and whether a newline ended it.
    last_text: (u64, bool),
}

impl Reader<TraceIn> {
    /// Opens and reads the header of the trace at `path`, plain or zstd-compressed (told by
    /// its first bytes, whatever its name).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TraceError> {
        let path = path.as_ref();
        let cannot =
            |e: io::Error| TraceError::at(0, format!("cannot open {}: {e}", path.display()));
        let file = File::open(path).map_err(cannot)?;
        Reader::new(TraceIn::new(file).map_err(cannot)?)
    }
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the header line.
    pub fn new(mut input: R) -> Result<Self, TraceError> {
        let mut buf = Vec::with_capacity(256);
        let mut line = 0;
        let header = loop {
            line += 1;
            match read_line(&mut input, &mut buf, line)? {
                Line::Eof if line == 1 => {
                    return Err(TraceError::at(1, "the trace is empty: no header line"))
                }
                Line::Eof => return Err(TraceError::at(line, "the trace has only blank lines")),
                Line::Blank => continue,
                Line::Text { complete } => break (parse_header(&buf, line, complete)?, complete),
            }
        };
        let (header, complete) = header;
        let implied = Implied::of_version(header.version);
        Ok(Reader {
            input,
            header,
            line,
            buf,
            checker: Checker::new(),
            implied,
            after: None,
            done: false,
            last_text: (line, complete),
        })
    }

    /// The header (line 1).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What the records read so far held.
    pub fn stats(&self) -> &Stats {
        self.checker.stats()
    }

    /// The checker's view of the records so far (e.g. an event's current state).
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// Reads the next record: `Ok(None)` at the end of the trace.
    pub fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        if self.done {
            return Ok(None);
        }
        let result = self.read_one();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    /// Reads to the end, checking everything (`evscope validate`); returns the summary.
    ///
    /// Stricter than reading record by record: a trace whose last line has no newline is an
    /// error here, even when that line parses. Every line a recorder writes ends with one, so
    /// the recording stopped while writing it; a reader that only shows a trace still shows
    /// that line.
    pub fn check_all(mut self) -> Result<(Header, Stats), TraceError> {
        while self.next_record()?.is_some() {}
        if let (line, false) = self.last_text {
            return Err(cut_short(line));
        }
        Ok((self.header, self.checker.stats().clone()))
    }

    fn read_one(&mut self) -> Result<Option<Record>, TraceError> {
        if let Some(rec) = self.after.take() {
            return self.checked(rec).map(Some);
        }
        loop {
            self.line += 1;
            let line = self.line;
            let complete = match read_line(&mut self.input, &mut self.buf, line)? {
                Line::Eof => return Ok(None),
                Line::Blank => continue,
                Line::Text { complete } => complete,
            };
            let rec = match &mut self.implied {
                None => parse_record(&self.buf, line, complete)?,
                Some(implied) => {
                    let (rec, absent) = parse_lenient(&self.buf, line, complete)?;
                    let (first, then) = implied
                        .fill(rec, &absent)
                        .map_err(|what| TraceError::at(line, what))?;
                    self.after = then;
                    first
                }
            };
            self.last_text = (line, complete);
            return self.checked(rec).map(Some);
        }
    }

    /// `rec`, once the checker took it.
    fn checked(&mut self, rec: Record) -> Result<Record, TraceError> {
        self.checker
            .check(&rec)
            .map_err(|what| TraceError::at(self.line, what))?;
        Ok(rec)
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Record, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// Reads a whole trace into memory, checking it.
pub fn read_all(input: impl BufRead) -> Result<(Header, Vec<Record>), TraceError> {
    let mut reader = Reader::new(input)?;
    let mut records = Vec::new();
    while let Some(rec) = reader.next_record()? {
        records.push(rec);
    }
    Ok((reader.header, records))
}

/// A last line without its newline.
fn cut_short(line: u64) -> TraceError {
    TraceError::at(
        line,
        "the trace is cut short: its last line has no newline, so the recording stopped \
         while writing it (records after it are missing)",
    )
}

pub(crate) enum Line {
    Eof,
    Blank,
    /// `complete`: ended by a newline (the last line of a file may lack one).
    Text {
        complete: bool,
    },
}

/// Reads one line into `buf` (without its newline), refusing lines over [`MAX_LINE`].
pub(crate) fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    line: u64,
) -> Result<Line, TraceError> {
    buf.clear();
    let mut complete = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TraceError::io(line, e)),
        };
        if chunk.is_empty() {
            break;
        }
        let (take, found) = match memchr(chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > MAX_LINE {
            return Err(TraceError::at(
                line,
                format!("the line is longer than {MAX_LINE} bytes; a trace record is far shorter"),
            ));
        }
        buf.extend_from_slice(&chunk[..take]);
        input.consume(if found { take + 1 } else { take });
        if found {
            complete = true;
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if !complete && buf.is_empty() {
        return Ok(Line::Eof);
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Ok(Line::Blank);
    }
    Ok(Line::Text { complete })
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Checks that the line is UTF-8 text holding a JSON object.
fn as_object_text(buf: &[u8], line: u64) -> Result<&str, TraceError> {
    let text = std::str::from_utf8(buf).map_err(|e| {
        TraceError::at(
            line,
            format!(
                "the line is not text (invalid UTF-8 at byte {}): binary data in a trace",
                e.valid_up_to() + 1
            ),
        )
    })?;
    if !text.trim_start().starts_with('{') {
        let shown: String = text.chars().take(40).collect();
        return Err(TraceError::at(
            line,
            format!("the line is not a JSON object: {shown:?}"),
        ));
    }
    Ok(text)
}

pub(crate) fn parse_header(buf: &[u8], line: u64, complete: bool) -> Result<Header, TraceError> {
    let text = as_object_text(buf, line)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| json_error(&e, line, complete, "header"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| TraceError::at(line, "the header is not a JSON object"))?;
    match obj.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(TraceError::at(
                line,
                format!("not an evscope trace: the header's format is {other:?}, not {FORMAT:?}"),
            ))
        }
        None if obj.contains_key("seq") || obj.contains_key("kind") => {
            return Err(TraceError::at(
                line,
                format!(
                    "no header: the first line is a record; a trace starts with \
                     {{\"format\":\"{FORMAT}\",\"version\":{VERSION},…}}"
                ),
            ))
        }
        None => {
            return Err(TraceError::at(
                line,
                format!("no header: the first line has no \"format\":\"{FORMAT}\""),
            ))
        }
    }
    match obj.get("version").map(|v| v.as_u64()) {
        Some(Some(v)) if (u64::from(OLDEST_VERSION)..=u64::from(VERSION)).contains(&v) => {}
        Some(Some(v)) if v > u64::from(VERSION) => {
            return Err(TraceError::at(
                line,
                format!(
                    "the trace is version {v}, newer than this evscope reads (version {VERSION}); \
                     a newer evscope is needed"
                ),
            ))
        }
        Some(Some(v)) => {
            return Err(TraceError::at(
                line,
                format!(
                    "unsupported trace version {v} (this evscope reads versions \
                     {OLDEST_VERSION} to {VERSION})"
                ),
            ))
        }
        Some(None) => {
            return Err(TraceError::at(
                line,
                "the header's version is not a whole number",
            ))
        }
        None => return Err(TraceError::at(line, "the header has no version")),
    }
    serde_json::from_value(value).map_err(|e| {
        TraceError::at(
            line,
            format!("the header has a wrong field type: {}", strip_position(&e)),
        )
    })
}

pub(crate) fn parse_record(buf: &[u8], line: u64, complete: bool) -> Result<Record, TraceError> {
    if let Ok(rec) = serde_json::from_slice::<Record>(buf) {
        return Ok(rec);
    }
    // The slow path, only for bad lines: say precisely what is wrong.
    let text = as_object_text(buf, line)?;
    match serde_json::from_str::<Record>(text) {
        Ok(rec) => Ok(rec),
        Err(e) => Err(json_error(&e, line, complete, "record")),
    }
}

/// Reads a line of version 3, 4 or 5, which may leave out what the lines before it imply: the
/// record with those fields at stand-in values, and which they are (`Implied::fill` completes
/// it).
pub(crate) fn parse_lenient(
    buf: &[u8],
    line: u64,
    complete: bool,
) -> Result<(Record, evscope_core::trace::Absent), TraceError> {
    if let Ok(Lenient(rec, absent)) = serde_json::from_slice::<Lenient>(buf) {
        return Ok((rec, absent));
    }
    let text = as_object_text(buf, line)?;
    match serde_json::from_str::<Lenient>(text) {
        Ok(Lenient(rec, absent)) => Ok((rec, absent)),
        Err(e) => Err(json_error(&e, line, complete, "record")),
    }
}

fn json_error(e: &serde_json::Error, line: u64, complete: bool, what: &str) -> TraceError {
    use serde_json::error::Category;
    let msg = match e.classify() {
        Category::Eof if !complete => {
            format!("the {what} is truncated: the trace ends in the middle of this line")
        }
        Category::Eof => format!("the {what} is cut short (the JSON object is not closed)"),
        Category::Syntax => format!(
            "the {what} is not valid JSON: {} at column {}",
            strip_position(e),
            e.column()
        ),
        Category::Data => match strip_position(e) {
            m if m.starts_with("unknown kind") || m.starts_with("a ") => m,
            m if m.starts_with("missing field") => format!("the {what} is missing a field: {m}"),
            m => format!("the {what} has a wrong field type: {m}"),
        },
        Category::Io => format!("cannot read the {what}: {e}"),
    };
    TraceError::at(line, msg)
}

/// serde_json's message without its " at line L column C" suffix (lines here are trace lines).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
