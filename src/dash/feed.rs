//! Where records come from: a trace file read whole for replay ([`load`]), or a live [`Feed`]
//! — a loop in this process (a demo: its recorder's messages and its step gate) or a program
//! over the live link (a [`crate::trace::LinkClient`]). A live feed's thread delivers
//! [`LiveItem`]s to the dashboard; [`Controls`] take step controls back to the observed loop.
//!
//! Reading, checking and the wire protocol are the trace layer's; this module only connects them
//! to the dashboard.
//!
//! A live feed's thread waits on the blocking source (the recorder's channel, or the link socket)
//! and hands the dashboard what has arrived, in batches: one send for every message already
//! there (up to [`BATCH`]), so a fast program costs the dashboard one channel operation per batch
//! rather than per record. The channel is bounded: a dashboard that falls behind slows the feed
//! down. Over the live link that never slows the observed program: while it
//! runs freely, what the dashboard could not take in time is skipped and comes as a `dropped`
//! record (the header says how many records were skipped); while the dashboard holds it paused or
//! stepping, nothing is skipped.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::dash::model::Timeline;
use crate::trace::{
    Control, ControlSender, Gate, Header, LinkClient, LinkMsg, Reader, Record, Status, TraceError,
};

/// Batches queued between the feed's thread and the dashboard.
const QUEUE: usize = 64;
/// Most items in one batch.
pub const BATCH: usize = 256;

/// A live feed: items arriving from the observed loop, and the controls going back to it.
pub struct Feed {
    /// What is observed, for the header: `demo echo`, a program, an address.
    pub source: String,
    /// Where step controls go.
    pub controls: Controls,
    batches: mpsc::Receiver<Vec<LiveItem>>,
    /// The rest of the batch last received.
    pending: VecDeque<LiveItem>,
}

impl Feed {
    /// A feed from a loop in this process. `messages` is what its recorder sends
    /// (`Recorder::to_messages`, or any sink sending [`LinkMsg`]s); put the recorder under the
    /// returned gate with `Recorder::with_gate` before its loop makes its first record. With
    /// `step` the gate holds the loop from that first record.
    pub fn in_process(source: &str, messages: Receiver<LinkMsg>, step: bool) -> (Feed, Arc<Gate>) {
        let gate = Arc::new(Gate::new());
        gate.connect();
        if step {
            gate.apply(&Control::Pause);
        }
        let (tx, batches) = mpsc::channel(QUEUE);
        spawn("evscope-feed", move || {
            let mut batch = Vec::with_capacity(BATCH);
            for msg in messages.iter() {
                batch.push(msg.into());
                // Everything that has arrived too, then one send.
                while batch.len() < BATCH {
                    match messages.try_recv() {
                        Ok(msg) => batch.push(msg.into()),
                        Err(_) => break,
                    }
                }
                if tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                    return; // the dashboard has gone
                }
            }
            let _ = tx.blocking_send(vec![LiveItem::Ended(None)]);
        });
        let feed = Feed {
            source: source.to_string(),
            controls: Controls::InProcess(gate.clone()),
            batches,
            pending: VecDeque::new(),
        };
        (feed, gate)
    }

    /// A feed from a program over the live link. Records are checked as a trace file's are; a
    /// bad line ends the feed with its line number and closes the link, so the program runs on.
    pub fn link(source: &str, mut client: LinkClient) -> Feed {
        let sender = client.sender();
        let (tx, batches) = mpsc::channel(QUEUE);
        spawn("evscope-link", move || {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                let item = match client.recv() {
                    Ok(Some(msg)) => msg.into(),
                    Ok(None) => LiveItem::Ended(None),
                    Err(e) => LiveItem::Ended(Some(format!("the live link broke: {e}"))),
                };
                let end = matches!(item, LiveItem::Ended(_));
                batch.push(item);
                // Lines already received join the batch; the batch goes once the next one would
                // wait for the program, so nothing waits here while the program is paused.
                if !end && batch.len() < BATCH && client.has_buffered_line() {
                    continue;
                }
                if tx.blocking_send(std::mem::take(&mut batch)).is_err() || end {
                    client.sender().close();
                    return;
                }
            }
        });
        Feed {
            source: source.to_string(),
            controls: Controls::Link(sender),
            batches,
            pending: VecDeque::new(),
        }
    }

    /// The next item, waiting for it; `None` once the feed has ended and everything was read.
    pub async fn recv(&mut self) -> Option<LiveItem> {
        // Cancel-safe: nothing is taken from the channel but in one step after its await.
        while self.pending.is_empty() {
            self.pending.extend(self.batches.recv().await?);
        }
        self.pending.pop_front()
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<LiveItem> {
        while self.pending.is_empty() {
            self.pending.extend(self.batches.try_recv().ok()?);
        }
        self.pending.pop_front()
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) {
    // Without a thread there is no feed: the dashboard shows the session as ended.
    let _ = std::thread::Builder::new().name(name.into()).spawn(f);
}

/// One item from a live feed: what the live link carries, and its end.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveItem {
    /// The observed base's header (first).
    Header(Header),
    /// One record.
    Record(Record),
    /// The step gate paused (at a pause, breakpoint or new iteration) or runs again, or the
    /// program refused a control.
    Status(Status),
    /// The feed ended (the program exited or closed the link), with the reason if it failed.
    Ended(Option<String>),
}

impl From<LinkMsg> for LiveItem {
    fn from(msg: LinkMsg) -> LiveItem {
        match msg {
            LinkMsg::Header(h) => LiveItem::Header(h),
            LinkMsg::Record(r) => LiveItem::Record(r),
            LinkMsg::Status(s) => LiveItem::Status(s),
        }
    }
}

/// Where step controls go: the gate of a loop in this process, or a live link.
#[derive(Clone)]
pub enum Controls {
    /// A loop in this process (a demo) whose recorder is under this gate
    /// (`Recorder::with_gate`).
    InProcess(Arc<Gate>),
    /// A program over the live link; its gate answers with status lines on the link.
    Link(ControlSender),
}

impl Controls {
    /// Sends one control. The in-process gate answers at once with the status to show; a
    /// link's answer arrives as a [`LiveItem::Status`]. An error means the link is gone
    /// (and the program runs on).
    pub fn send(&self, ctl: &Control) -> io::Result<Option<Status>> {
        match self {
            Controls::InProcess(gate) => Ok(gate.apply(ctl)),
            Controls::Link(link) => link.send(ctl).map(|()| None),
        }
    }

    /// The viewer leaves: the gate opens and forgets its breakpoints (in process), or the link
    /// is closed, which opens the program's gate. Either way the observed loop runs on.
    pub fn release(&self) {
        match self {
            Controls::InProcess(gate) => gate.disconnect(),
            Controls::Link(link) => link.close(),
        }
    }
}

/// Reads and checks the trace at `path`.
pub fn load(path: &Path) -> Result<Timeline, TraceError> {
    fold(Reader::open(path)?)
}

/// Records read before the screen comes up when opening a trace ([`open`]); a trace no longer
/// than this is read whole first, as [`load`] reads it.
pub const FIRST: usize = 16 * 1024;

/// Records per batch a [`Loader`] hands over.
pub const LOAD_BATCH: usize = 8 * 1024;

/// The rest of a big trace, read and checked on a thread of its own while the dashboard already
/// shows its beginning ([`open`]).
pub struct Loader {
    batches: mpsc::Receiver<Loaded>,
}

/// What a [`Loader`] hands over.
#[derive(Debug)]
pub enum Loaded {
    /// The next records, in order.
    Records(Vec<Record>),
    /// The end: the whole trace was read, or reading stopped at a bad line (the error).
    End(Option<TraceError>),
}

impl Loader {
    /// The next batch, waiting for it; `None` once the loader has said [`Loaded::End`].
    pub async fn recv(&mut self) -> Option<Loaded> {
        self.batches.recv().await
    }

    /// The next batch, blocking the calling thread (outside an async runtime).
    pub fn blocking_recv(&mut self) -> Option<Loaded> {
        self.batches.blocking_recv()
    }
}

/// Opens the trace at `path` for the dashboard: its header and first [`FIRST`] records are read
/// and checked now (so a bad header, or a bad line near the start, is told before any screen);
/// a longer trace's remaining records come from the returned [`Loader`], read in the background.
pub fn open(path: &Path) -> Result<(Timeline, Option<Loader>), TraceError> {
    let mut reader = Reader::open(path)?;
    let mut timeline = Timeline::new(reader.header().clone());
    for _ in 0..FIRST {
        match reader.next_record()? {
            Some(r) => timeline.push(r),
            None => return Ok((timeline, None)),
        }
    }
    let (tx, batches) = mpsc::channel(4);
    spawn("evscope-load", move || loop {
        let mut batch = Vec::with_capacity(LOAD_BATCH);
        let end = loop {
            match reader.next_record() {
                Ok(Some(r)) => batch.push(r),
                Ok(None) => break Some(None),
                Err(e) => break Some(Some(e)),
            }
            if batch.len() == LOAD_BATCH {
                break None;
            }
        };
        if !batch.is_empty() && tx.blocking_send(Loaded::Records(batch)).is_err() {
            return; // the dashboard has gone
        }
        if let Some(end) = end {
            let _ = tx.blocking_send(Loaded::End(end));
            return;
        }
    });
    Ok((timeline, Some(Loader { batches })))
}

/// Reads and checks a trace from any buffered reader.
pub fn parse(input: impl BufRead) -> Result<Timeline, TraceError> {
    fold(Reader::new(input)?)
}

fn fold<R: BufRead>(mut reader: Reader<R>) -> Result<Timeline, TraceError> {
    let mut timeline = Timeline::new(reader.header().clone());
    while let Some(r) = reader.next_record()? {
        timeline.push(r);
    }
    Ok(timeline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Body;

    fn note(seq: u64) -> Record {
        Record {
            seq,
            t_us: seq,
            base: 0,
            body: Body::Note {
                text: format!("n{seq}"),
            },
        }
    }

    #[test]
    fn what_has_arrived_comes_in_batches_in_order_and_the_end_last() {
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(LinkMsg::Header(Header::new("epoll", "batch")))
            .unwrap();
        for seq in 1..=1000 {
            tx.send(LinkMsg::Record(note(seq))).unwrap();
        }
        drop(tx);
        let (mut feed, _gate) = Feed::in_process("test", rx, false);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let first = rt.block_on(feed.recv());
        assert!(matches!(first, Some(LiveItem::Header(_))));
        assert!(
            !feed.pending.is_empty(),
            "the messages already sent came with the header, in one batch"
        );
        let mut seqs = Vec::new();
        let end = loop {
            match rt.block_on(feed.recv()) {
                Some(LiveItem::Record(r)) => seqs.push(r.seq),
                other => break other,
            }
        };
        assert_eq!(seqs, (1..=1000).collect::<Vec<_>>());
        assert_eq!(end, Some(LiveItem::Ended(None)));
        assert_eq!(rt.block_on(feed.recv()), None);
    }
}
