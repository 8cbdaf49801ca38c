//! [`Sink`]: where a recorder's records go, and the sink thread that feeds one; the built-in
//! sinks for JSON Lines writers and in-process channels (the live link's is `LinkSink`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::compress::{compressed_name, TraceOut};
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
    /// The trace is over: write what is buffered and end it (a compressed file's end mark).
    fn close(&mut self) -> io::Result<()> {
        self.flush()
    }
    /// The sink may hold records back to send them later in larger batches (a live link does,
    /// for at most a few milliseconds): while it holds some, the sink thread calls
    /// [`Sink::flush_due`] at least every tick.
    fn holding(&self) -> bool {
        false
    }
    /// Nothing more is queued for now: push out what is due (default: everything).
    fn flush_due(&mut self) -> io::Result<()> {
        self.flush()
    }
    /// Where the records go, for messages: `the trace to PATH` (default: `the trace`).
    fn describe(&self) -> String {
        "the trace".to_string()
    }
}

/// The sink thread: write what arrives; flush whenever nothing more is queued, so a program
/// killed while its loop sleeps leaves a complete trace behind.
///
/// A write that fails stops the recording and is told once, on one line of stderr: the
/// observed program's exit status is its own, so this line is how its user learns that the
/// trace is incomplete.
pub(crate) fn run_sink(mut sink: impl Sink, handoff: &Handoff) {
    let stopped = |sink: &dyn Sink, e: &io::Error| {
        eprintln!(
            "evscope: writing {} failed, so the trace is incomplete and recording stops \
             (the program runs on): {e}",
            sink.describe()
        );
    };
    let mut failed: Option<io::Error> = None;
    let mut msgs = VecDeque::new();
    // Batches written, emptied, to give back to the loop.
    let mut spare = Vec::new();
    let mut dirty = false;
    // Records of a later base that reached the queue before base 0's header (a base made on
    // another thread may start before base 0's recorder is attached): written after it.
    let mut header_seen = false;
    let mut early: Vec<Vec<Record>> = Vec::new();
    loop {
        let holding = failed.is_none() && sink.holding();
        let more = handoff.take(&mut msgs, &mut spare, !dirty, holding);
        if msgs.is_empty() {
            if (dirty || holding) && failed.is_none() {
                if let Err(e) = sink.flush_due() {
                    stopped(&sink, &e);
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
                Msg::Header(h) => {
                    header_seen = true;
                    let mut res = sink.header(&h);
                    for recs in early.drain(..) {
                        res = res.and_then(|()| sink.records(&recs));
                    }
                    res
                }
                Msg::Records(recs) if !header_seen => {
                    early.push(recs);
                    Ok(())
                }
                Msg::Records(mut recs) => {
                    let res = sink.records(&recs);
                    recs.clear();
                    spare.push(recs);
                    res
                }
                Msg::Status(s) => sink.status(&s),
            };
            if let Err(e) = res {
                stopped(&sink, &e);
                failed = Some(e);
            }
            dirty = true;
        }
    }
    if failed.is_none() {
        if let Err(e) = sink.close() {
            eprintln!(
                "evscope: writing {} failed at the end, so the trace is incomplete: {e}",
                sink.describe()
            );
        }
    }
}

/// JSON Lines to a writer, compressed or not; the header is written when it arrives.
pub(crate) struct JsonlSink<W: Write> {
    out: Option<TraceOut<W>>,
    writer: Option<Writer<TraceOut<W>>>,
    /// The file written, for messages.
    path: Option<PathBuf>,
}

impl<W: Write> JsonlSink<W> {
    pub(crate) fn new(out: W) -> Self {
        JsonlSink {
            out: Some(TraceOut::Plain(out)),
            writer: None,
            path: None,
        }
    }
}

impl JsonlSink<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`, named in messages about it; zstd-compressed
    /// when its name ends in `.zst`.
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create trace file {}: {e}", path.display()),
            )
        })?;
        let out = BufWriter::with_capacity(1 << 16, file);
        Ok(JsonlSink {
            out: Some(TraceOut::new(out, compressed_name(path))?),
            writer: None,
            path: Some(path.to_path_buf()),
        })
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
    fn close(&mut self) -> io::Result<()> {
        match self.writer.take() {
            Some(w) => w.into_inner()?.finish().map(drop),
            None => Ok(()),
        }
    }
    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("the trace to {}", p.display()),
            None => "the trace".to_string(),
        }
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
