//! [`Tee`]: one recorder's output both to the dashboard (as live-link messages) and to a trace
//! file, for `evscope demo NAME --record FILE`. The file can be finished at a record boundary
//! while the loop still runs ([`TraceFile::finish`]), so quitting leaves a complete trace behind.

use std::io;
use std::path::Path;
use std::sync::mpsc::Sender;

use evscope::trace::{Header, LinkMsg, Record, Sink, Status};

use super::trace_file::TraceFile;

/// A [`Sink`] writing JSON Lines to a [`TraceFile`] and sending every message to a viewer in
/// this process.
pub struct Tee {
    file: TraceFile,
    viewer: Sender<LinkMsg>,
}

impl Tee {
    /// Starts the trace file at `path` now, so a bad path is told before anything runs.
    pub fn create(path: &Path, viewer: Sender<LinkMsg>) -> io::Result<(Tee, TraceFile)> {
        let file = TraceFile::create(path)?;
        Ok((
            Tee {
                file: file.clone(),
                viewer,
            },
            file,
        ))
    }
}

impl Sink for Tee {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        self.file.header(header)?;
        // A viewer that went away just stops listening; the file goes on.
        let _ = self.viewer.send(LinkMsg::Header(header.clone()));
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        self.file.records(records)?;
        for r in records {
            let _ = self.viewer.send(LinkMsg::Record(r.clone()));
        }
        Ok(())
    }

    fn status(&mut self, status: &Status) -> io::Result<()> {
        let _ = self.viewer.send(LinkMsg::Status(status.clone()));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    fn describe(&self) -> String {
        self.file.describe()
    }
}
