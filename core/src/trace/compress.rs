//! zstd-compressed traces: `trace.jsonl.zst` holds the same JSON Lines, compressed.
//!
//! Writing is chosen by the file name (a name ending in `.zst`); reading by the file's first
//! bytes (zstd's magic number), so a compressed trace reads whatever its name. Compression runs
//! where the lines are written — the recorder's sink thread, never the loop.
//!
//! The writer flushes zstd's stream at each flush of the trace (whenever the loop is about to
//! wait), so a program killed while it sleeps leaves a file that decompresses to every record
//! handed over; the frame's end mark is written when the trace ends. A reader takes a stream
//! that stops at a flush point (no end mark) as the end of the trace: everything before it is
//! whole lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

/// zstd's level: fast, and already about 20 times smaller than the JSON.
const LEVEL: i32 = 1;

/// The four bytes every zstd frame starts with.
const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// True when a trace written to `path` is compressed (its name ends in `.zst`).
pub fn compressed_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

/// A trace file being written: plain, or zstd-compressed.
pub enum TraceOut<W: Write> {
    /// JSON Lines as they are.
    Plain(W),
    /// JSON Lines through zstd.
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> TraceOut<W> {
    /// Writes to `out`, compressed when `compress`.
    pub fn new(out: W, compress: bool) -> io::Result<TraceOut<W>> {
        Ok(if compress {
            TraceOut::Zstd(zstd::stream::write::Encoder::new(out, LEVEL)?)
        } else {
            TraceOut::Plain(out)
        })
    }

    /// Ends the stream (zstd's end mark) and returns the writer, flushed.
    pub fn finish(self) -> io::Result<W> {
        let mut out = match self {
            TraceOut::Plain(w) => w,
            TraceOut::Zstd(e) => e.finish()?,
        };
        out.flush()?;
        Ok(out)
    }
}

impl<W: Write> Write for TraceOut<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            TraceOut::Plain(w) => w.write(buf),
            TraceOut::Zstd(e) => e.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            TraceOut::Plain(w) => w.write_all(buf),
            TraceOut::Zstd(e) => e.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            TraceOut::Plain(w) => w.flush(),
            TraceOut::Zstd(e) => e.flush(),
        }
    }
}

/// A trace file being read: plain, or decompressed as it is read.
pub enum TraceIn {
    /// JSON Lines as they are.
    Plain(BufReader<File>),
    /// JSON Lines through zstd.
    Zstd(BufReader<Unfinished<zstd::stream::read::Decoder<'static, BufReader<File>>>>),
}

impl TraceIn {
    /// Opens `file`, decompressing if it starts with zstd's magic number.
    pub fn new(file: File) -> io::Result<TraceIn> {
        let mut input = BufReader::with_capacity(1 << 16, file);
        let compressed = input.fill_buf()?.starts_with(&MAGIC);
        Ok(if compressed {
            let decoder = zstd::stream::read::Decoder::with_buffer(input)?;
            TraceIn::Zstd(BufReader::with_capacity(1 << 16, Unfinished(decoder)))
        } else {
            TraceIn::Plain(input)
        })
    }
}

impl Read for TraceIn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            TraceIn::Plain(r) => r.read(buf),
            TraceIn::Zstd(r) => r.read(buf),
        }
    }
}

impl BufRead for TraceIn {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            TraceIn::Plain(r) => r.fill_buf(),
            TraceIn::Zstd(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            TraceIn::Plain(r) => r.consume(n),
            TraceIn::Zstd(r) => r.consume(n),
        }
    }
}

/// A decoder whose stream may stop at a flush point without the frame's end mark (a program
/// that was killed): that is the end of the data, not an error. A corrupt stream still is one.
pub struct Unfinished<R>(R);

impl<R: Read> Read for Unfinished<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_chooses_compression() {
        assert!(compressed_name(Path::new("/t/run.jsonl.zst")));
        assert!(!compressed_name(Path::new("/t/run.jsonl")));
        assert!(!compressed_name(Path::new("/t/zst")));
    }

    #[test]
    fn a_stream_flushed_but_not_finished_reads_to_its_flush_point() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl.zst");
        let mut out = TraceOut::new(File::create(&path)?, true)?;
        out.write_all(b"{\"a\":1}\n{\"b\":2}\n")?;
        out.flush()?;
        // Dropped without finishing, as a killed program leaves it.
        std::mem::forget(out);
        let mut text = String::new();
        TraceIn::new(File::open(&path)?)?.read_to_string(&mut text)?;
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
        Ok(())
    }

    #[test]
    fn a_corrupt_stream_is_an_error() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl.zst");
        let mut out = TraceOut::new(Vec::new(), true)?;
        out.write_all(&b"{\"a\":1}\n".repeat(1000))?;
        let mut bytes = out.finish()?;
        let mid = bytes.len() / 2;
        bytes[mid..mid + 8].copy_from_slice(b"garbage!");
        std::fs::write(&path, &bytes)?;
        let mut text = String::new();
        let read = TraceIn::new(File::open(&path)?)?.read_to_string(&mut text);
        assert!(read.is_err(), "read {} bytes", text.len());
        Ok(())
    }
}
