//! [`TraceFile`]: the trace `evscope demo NAME --record FILE` writes. It is written as an
//! [`AtomicFile`] (beside FILE, renamed over it when complete), so a run that fails or is
//! stopped leaves FILE as it was; zstd-compressed when FILE's name ends in `.zst`. A write that fails stops the recording and is kept, not
//! printed (the dashboard may own the terminal): [`TraceFile::finish`] tells it, and the
//! command's exit status says it.

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use evscope::trace::{compressed_name, Header, Record, Sink, TraceOut, Writer};

use super::atomic::AtomicFile;

type Out = TraceOut<BufWriter<AtomicFile>>;

#[derive(Default)]
struct State {
    /// The created file, until the header arrives.
    file: Option<Out>,
    writer: Option<Writer<Out>>,
    records: u64,
    /// Writing failed: recording stopped.
    failed: Option<io::Error>,
}

/// A trace file being recorded; clones share it (one is the recorder's sink, one is kept to
/// finish it).
#[derive(Clone)]
pub struct TraceFile {
    path: PathBuf,
    state: Arc<Mutex<State>>,
}

impl TraceFile {
    /// Starts the trace file for `path` now, so a bad path is told before anything runs.
    pub fn create(path: &Path) -> io::Result<TraceFile> {
        let f = AtomicFile::create(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create trace file {}: {e}", path.display()),
            )
        })?;
        Ok(TraceFile {
            path: path.to_path_buf(),
            state: Arc::new(Mutex::new(State {
                file: Some(TraceOut::new(
                    BufWriter::with_capacity(1 << 16, f),
                    compressed_name(path),
                )?),
                ..State::default()
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one write, unless an earlier one failed; a failure stops the recording.
    fn write(&self, write: impl FnOnce(&mut State) -> io::Result<()>) {
        let mut s = self.lock();
        if s.failed.is_none() {
            if let Err(e) = write(&mut s) {
                s.failed = Some(e);
                s.writer = None;
                s.file = None;
            }
        }
    }

    /// Flushes the file, puts it in place and closes it; later records are not written.
    /// Returns how many records were, or what went wrong (the file is then left as it was).
    pub fn finish(&self) -> Result<u64, String> {
        let mut s = self.lock();
        s.file = None;
        let writer = s.writer.take();
        let shown = self.path.display();
        let failed = |e: io::Error| format!("writing the trace {shown} failed: {e}");
        if let Some(e) = s.failed.take() {
            return Err(failed(e));
        }
        let Some(writer) = writer else {
            return Err(format!("{shown}: nothing was recorded"));
        };
        let file = writer
            .into_inner()
            .and_then(TraceOut::finish)
            .and_then(|out| out.into_inner().map_err(io::IntoInnerError::into_error))
            .map_err(failed)?;
        file.commit().map_err(failed)?;
        Ok(s.records)
    }
}

impl Sink for TraceFile {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        self.write(|s| {
            if let Some(f) = s.file.take() {
                s.writer = Some(Writer::new(f, header)?);
            }
            Ok(())
        });
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        self.write(|s| {
            if let Some(w) = s.writer.as_mut() {
                w.write_batch(records)?;
                s.records += records.len() as u64;
            }
            Ok(())
        });
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write(|s| s.writer.as_mut().map_or(Ok(()), Writer::flush));
        Ok(())
    }

    fn describe(&self) -> String {
        format!("the trace to {}", self.path.display())
    }
}
