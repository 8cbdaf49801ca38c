//! [`Tee`]: one recorder's output both to the dashboard (as live-link messages) and to a trace
//! file, for `evscope demo NAME --record FILE`. The file can be closed at a record boundary while
//! the loop still runs ([`TeeFile::finish`]), so quitting leaves a complete trace behind.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

use evscope::trace::{Header, LinkMsg, Record, Sink, Status, Writer};

#[derive(Default)]
struct State {
    /// The created file, until the header arrives.
    file: Option<BufWriter<File>>,
    writer: Option<Writer<BufWriter<File>>>,
    records: u64,
    /// Writing failed: recording stopped (told when the file is finished, not while the
    /// dashboard has the terminal).
    failed: Option<io::Error>,
}

/// The trace file's end of a [`Tee`].
#[derive(Clone)]
pub struct TeeFile {
    path: PathBuf,
    state: Arc<Mutex<State>>,
}

impl TeeFile {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flushes and closes the file; later records are not written. Returns how many were.
    pub fn finish(&self) -> Result<u64, String> {
        let mut s = self.lock();
        s.file = None;
        let flushed = s.writer.take().map(Writer::into_inner);
        let shown = self.path.display();
        if let Some(e) = s.failed.take() {
            return Err(format!("writing the trace {shown} failed: {e}"));
        }
        match flushed {
            Some(Err(e)) => Err(format!("writing the trace {shown} failed: {e}")),
            Some(Ok(_)) => Ok(s.records),
            None => Err(format!("{shown}: nothing was recorded")),
        }
    }
}

/// A [`Sink`] writing JSON Lines to a file and sending every message to a viewer in this
/// process.
pub struct Tee {
    file: TeeFile,
    viewer: Sender<LinkMsg>,
}

impl Tee {
    /// Creates (or truncates) the file at `path` now, so a bad path is told before anything
    /// runs.
    pub fn create(path: &Path, viewer: Sender<LinkMsg>) -> io::Result<(Tee, TeeFile)> {
        let f = File::create(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create trace file {}: {e}", path.display()),
            )
        })?;
        let file = TeeFile {
            path: path.to_path_buf(),
            state: Arc::new(Mutex::new(State {
                file: Some(BufWriter::with_capacity(1 << 16, f)),
                ..State::default()
            })),
        };
        Ok((
            Tee {
                file: file.clone(),
                viewer,
            },
            file,
        ))
    }

    fn to_file(&self, write: impl FnOnce(&mut State) -> io::Result<()>) {
        let mut s = self.file.lock();
        if s.failed.is_none() {
            if let Err(e) = write(&mut s) {
                s.failed = Some(e);
                s.writer = None;
            }
        }
    }
}

impl Sink for Tee {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        self.to_file(|s| {
            if let Some(f) = s.file.take() {
                s.writer = Some(Writer::new(f, header)?);
            }
            Ok(())
        });
        let _ = self.viewer.send(LinkMsg::Header(header.clone()));
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        self.to_file(|s| {
            if let Some(w) = s.writer.as_mut() {
                w.write_batch(records)?;
                s.records += records.len() as u64;
            }
            Ok(())
        });
        for r in records {
            // A viewer that went away just stops listening; the file goes on.
            let _ = self.viewer.send(LinkMsg::Record(r.clone()));
        }
        Ok(())
    }

    fn status(&mut self, status: &Status) -> io::Result<()> {
        let _ = self.viewer.send(LinkMsg::Status(status.clone()));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.to_file(|s| s.writer.as_mut().map_or(Ok(()), Writer::flush));
        Ok(())
    }
}
