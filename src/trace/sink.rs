//! [`Sink`]: where a recorder's records go, and the sink thread that feeds one; the built-in
//! sinks for JSON Lines writers and in-process channels (the live link's is `LinkSink`).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc;

use super::handoff::{Handoff, Msg};
use super::link::{LinkMsg, Status};
use super::record::{Header, Record};
use super::writer::Writer;

/// Where a recorder's records go, on its own thread.
pub trait Sink: Send + 'static {
    /// The header, once, before any record.
    fn header(&mut self, header: &Header) -> io::Result<()>;
    /// A batch of records, in order.
    fn records(&mut self, records: &[Record]) -> io::Result<()>;
    /// A step-gate status (only live links show these).
    fn status(&mut self, _status: &Status) -> io::Result<()> {
        Ok(())
    }
    /// Nothing more is queued for now: push out what is buffered.
    fn flush(&mut self) -> io::Result<()>;
}

/// The sink thread: write what arrives; flush whenever nothing more is queued, so a program
/// killed while its loop sleeps leaves a complete trace behind.
pub(crate) fn run_sink(mut sink: impl Sink, handoff: &Handoff) {
    let mut failed: Option<io::Error> = None;
    let mut msgs = VecDeque::new();
    let mut dirty = false;
    loop {
        let more = handoff.take(&mut msgs, !dirty);
        if msgs.is_empty() {
            if dirty && failed.is_none() {
                if let Err(e) = sink.flush() {
                    eprintln!("evscope: writing the trace failed, recording stops: {e}");
                    failed = Some(e);
                }
            }
            dirty = false;
            if more {
                continue;
            }
            break;
        }
        for msg in msgs.drain(..) {
            let res = match msg {
                Msg::Flush(ack) => {
                    let r = if failed.is_none() {
                        sink.flush()
                    } else {
                        Ok(())
                    };
                    let _ = ack.send(());
                    r
                }
                _ if failed.is_some() => Ok(()),
                Msg::Header(h) => sink.header(&h),
                Msg::Records(recs) => sink.records(&recs),
                Msg::Status(s) => sink.status(&s),
            };
            if let Err(e) = res {
                eprintln!("evscope: writing the trace failed, recording stops: {e}");
                failed = Some(e);
            }
            dirty = true;
        }
    }
    if failed.is_none() {
        if let Err(e) = sink.flush() {
            eprintln!("evscope: writing the trace failed at the end: {e}");
        }
    }
}

/// JSON Lines to a writer; the header is written when it arrives.
pub(crate) struct JsonlSink<W: Write> {
    out: Option<W>,
    writer: Option<Writer<W>>,
}

impl<W: Write> JsonlSink<W> {
    pub(crate) fn new(out: W) -> Self {
        JsonlSink {
            out: Some(out),
            writer: None,
        }
    }
}

impl<W: Write + Send + 'static> Sink for JsonlSink<W> {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        if let Some(out) = self.out.take() {
            self.writer = Some(Writer::new(out, header)?);
        }
        Ok(())
    }
    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        let Some(w) = self.writer.as_mut() else {
            return Err(io::Error::other("records before the header"));
        };
        w.write_batch(records)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().map_or(Ok(()), Writer::flush)
    }
}

/// Records to an in-process channel.
pub(crate) struct ChannelSink(pub(crate) mpsc::Sender<Record>);

impl Sink for ChannelSink {
    fn header(&mut self, _header: &Header) -> io::Result<()> {
        Ok(())
    }
    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        for r in records {
            // A receiver that went away just stops listening.
            let _ = self.0.send(r.clone());
        }
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Header, records and statuses to an in-process channel.
pub(crate) struct MessageSink(pub(crate) mpsc::Sender<LinkMsg>);

impl Sink for MessageSink {
    fn header(&mut self, header: &Header) -> io::Result<()> {
        let _ = self.0.send(LinkMsg::Header(header.clone()));
        Ok(())
    }
    fn records(&mut self, records: &[Record]) -> io::Result<()> {
        for r in records {
            let _ = self.0.send(LinkMsg::Record(r.clone()));
        }
        Ok(())
    }
    fn status(&mut self, status: &Status) -> io::Result<()> {
        let _ = self.0.send(LinkMsg::Status(status.clone()));
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
