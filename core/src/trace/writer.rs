//! [`Writer`]: JSON Lines out, the header first, one record per line: whole records for a
//! header of version 1 or 2, lines that leave out what the lines before imply for versions 3
//! to 5 ([`Implied`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::encode::encode_line;
use super::implied::Implied;
use super::record::{Header, Record};

/// Writes a trace: the header line at creation, then one line per record.
pub struct Writer<W: Write> {
    out: W,
    line: Vec<u8>,
    /// Versions 3 to 5: what the lines so far imply.
    implied: Option<Implied>,
}

impl Writer<BufWriter<File>> {
    /// Creates (or truncates) the file at `path` and writes the header.
    pub fn create(path: impl AsRef<Path>, header: &Header) -> io::Result<Self> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create trace file {}: {e}", path.display()),
            )
        })?;
        Writer::new(BufWriter::with_capacity(1 << 16, file), header)
    }
}

impl<W: Write> Writer<W> {
    /// Writes `header` as line 1 of `out`.
    pub fn new(out: W, header: &Header) -> io::Result<Self> {
        let mut w = Writer {
            out,
            line: Vec::with_capacity(256),
            implied: Implied::of_version(header.version),
        };
        w.line.clear();
        serde_json::to_writer(&mut w.line, header)?;
        w.line.push(b'\n');
        w.out.write_all(&w.line)?;
        Ok(w)
    }

    /// Appends one record line.
    pub fn write(&mut self, rec: &Record) -> io::Result<()> {
        self.line.clear();
        self.encode(rec);
        self.out.write_all(&self.line)
    }

    /// Appends `rec`'s line to `self.line`, as the header's version writes it.
    fn encode(&mut self, rec: &Record) {
        match &mut self.implied {
            Some(implied) => implied.encode_line(rec, &mut self.line),
            None => encode_line(rec, &mut self.line),
        }
    }

    /// Appends records, encoded together and written at once (version 5 leaves out a line the
    /// next one implies, [`Implied::encode_lines`]).
    pub fn write_batch(&mut self, recs: &[Record]) -> io::Result<()> {
        self.line.clear();
        match &mut self.implied {
            Some(implied) => implied.encode_lines(recs, &mut self.line),
            None => recs.iter().for_each(|rec| encode_line(rec, &mut self.line)),
        }
        let res = self.out.write_all(&self.line);
        if self.line.capacity() > 1 << 20 {
            self.line = Vec::with_capacity(256);
        }
        res
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes a whole trace.
pub fn write_all<W: Write>(out: W, header: &Header, records: &[Record]) -> io::Result<W> {
    let mut w = Writer::new(out, header)?;
    for batch in records.chunks(4096) {
        w.write_batch(batch)?;
    }
    w.into_inner()
}
