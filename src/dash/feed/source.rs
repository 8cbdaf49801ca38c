//! [`Feed`]: a live source of records for the dashboard. A thread of its own waits on the
//! blocking source (the recorder's channel, or the link socket) and hands each message to the
//! dashboard's channel, which is bounded: a dashboard that falls behind slows the feed down.
//! Over the live link that never slows the observed program: while it runs freely, what the
//! dashboard could not take in time is skipped and comes as a `dropped` record (the header
//! says how many records were skipped); while the dashboard holds it paused or stepping,
//! nothing is skipped.

use std::sync::mpsc::Receiver;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Controls, LiveItem};
use crate::trace::{Control, Gate, LinkClient, LinkMsg};

/// Items queued between the feed's thread and the dashboard.
const QUEUE: usize = 4096;

/// A live feed: items arriving from the observed loop, and the controls going back to it.
pub struct Feed {
    /// What is observed, for the header: `demo echo`, a program, an address.
    pub source: String,
    /// Where step controls go.
    pub controls: Controls,
    items: mpsc::Receiver<LiveItem>,
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
        let (tx, items) = mpsc::channel(QUEUE);
        spawn("evscope-feed", move || {
            for msg in messages {
                if tx.blocking_send(msg.into()).is_err() {
                    return; // the dashboard has gone
                }
            }
            let _ = tx.blocking_send(LiveItem::Ended(None));
        });
        let feed = Feed {
            source: source.to_string(),
            controls: Controls::InProcess(gate.clone()),
            items,
        };
        (feed, gate)
    }

    /// A feed from a program over the live link. Records are checked as a trace file's are; a
    /// bad line ends the feed with its line number and closes the link, so the program runs on.
    pub fn link(source: &str, mut client: LinkClient) -> Feed {
        let sender = client.sender();
        let (tx, items) = mpsc::channel(QUEUE);
        spawn("evscope-link", move || loop {
            let item = match client.recv() {
                Ok(Some(msg)) => msg.into(),
                Ok(None) => LiveItem::Ended(None),
                Err(e) => LiveItem::Ended(Some(format!("the live link broke: {e}"))),
            };
            let end = matches!(item, LiveItem::Ended(_));
            if tx.blocking_send(item).is_err() || end {
                client.sender().close();
                return;
            }
        });
        Feed {
            source: source.to_string(),
            controls: Controls::Link(sender),
            items,
        }
    }

    /// The next item, waiting for it; `None` once the feed has ended and everything was read.
    pub async fn recv(&mut self) -> Option<LiveItem> {
        self.items.recv().await
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<LiveItem> {
        self.items.try_recv().ok()
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) {
    // Without a thread there is no feed: the dashboard shows the session as ended.
    let _ = std::thread::Builder::new().name(name.into()).spawn(f);
}
