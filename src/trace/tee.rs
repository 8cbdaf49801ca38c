//! [`Tee`]: a sink that writes a recorder's output to another sink (a trace file) and also sends
//! every message to a viewer in this process (the dashboard), as `evscope demo NAME --record
//! FILE` does. A viewer that goes away just stops listening; the other sink goes on.

use std::io;
use std::sync::mpsc::Sender;

use crate::trace::{Header, LinkMsg, Record, Sink, Status};

/// A [`Sink`] writing to `S` and sending every message to a viewer in this process.
pub struct Tee<S> {
    inner: S,
    viewer: Sender<LinkMsg>,
}

impl<S: Sink> Tee<S> {
    /// Everything written to this sink goes to `inner` and, as live-link messages, to `viewer`.
    pub fn new(inner: S, viewer: Sender<LinkMsg>) -> Tee<S> {
        Tee { inner, viewer }
    }
}

impl<S: Sink> Sink for Tee<S> {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        self.inner.header(header)?;
        // A viewer that went away just stops listening; the file goes on.
        let _ = self.viewer.send(LinkMsg::Header(header.clone()));
        Ok(())
    }

    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        self.inner.records(records)?;
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
        self.inner.flush()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}
