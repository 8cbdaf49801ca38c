//! The live side: a [`Feed`] delivers records as they happen; a [`Gate`] carries step controls
//! back to the observed loop.

use tokio::sync::mpsc;

use super::{Control, FeedError};
use crate::trace::{Header, Record};

/// What a live feed delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveItem {
    /// The observed base's header (first, or when a socket link has read it).
    Header(Header),
    /// One record.
    Record(Record),
    /// The step gate now holds the loop (`true`) or lets it run (`false`); sent when the gate
    /// changes on its own, e.g. at a breakpoint.
    Held(bool),
    /// A message from the observed side (e.g. a control it refused), for the footer.
    Notice(String),
    /// The feed ended (the program exited or disconnected), with the reason if it failed.
    Ended(Option<String>),
}

/// A source of live records: the in-process channel of a demo, or a socket link to an
/// observed program. Started once, on the dashboard's runtime.
pub trait Feed: Send {
    /// What is observed, for the header line (demo name, program, address).
    fn source(&self) -> String;
    /// Starts delivering; returns the item stream and the gate for controls.
    fn start(self: Box<Self>) -> Result<(mpsc::Receiver<LiveItem>, Box<dyn Gate>), FeedError>;
}

/// The way back to the observed loop's step gate.
pub trait Gate: Send {
    /// Sends one control. An error means the link is gone (the program runs on).
    fn send(&mut self, control: Control) -> Result<(), FeedError>;
}

/// In-process gates are a channel to the loop thread's gate.
impl Gate for mpsc::UnboundedSender<Control> {
    fn send(&mut self, control: Control) -> Result<(), FeedError> {
        mpsc::UnboundedSender::send(self, control).map_err(|_| {
            FeedError::Io(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the observed loop is gone",
            ))
        })
    }
}
