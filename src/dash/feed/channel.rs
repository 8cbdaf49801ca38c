//! An in-process live feed: a demo's observer sends records through a channel; controls come
//! back through another.

use tokio::sync::mpsc;

use super::{Control, Feed, FeedError, Gate, LiveItem};

/// The dashboard's end of an in-process feed.
pub struct ChannelFeed {
    source: String,
    items: mpsc::Receiver<LiveItem>,
    controls: mpsc::UnboundedSender<Control>,
}

/// The observed program's end: send items (blocking is fine on the loop thread, it is what
/// lets a slow screen hold the loop rather than lose records) and receive controls.
pub struct ChannelPeer {
    /// Where records go.
    pub items: mpsc::Sender<LiveItem>,
    /// Where step controls arrive.
    pub controls: mpsc::UnboundedReceiver<Control>,
}

/// A connected pair: the feed for the dashboard and the peer for the observed loop.
pub fn channel(source: &str, capacity: usize) -> (ChannelFeed, ChannelPeer) {
    let (items_tx, items_rx) = mpsc::channel(capacity.max(1));
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    (
        ChannelFeed {
            source: source.to_string(),
            items: items_rx,
            controls: ctl_tx,
        },
        ChannelPeer {
            items: items_tx,
            controls: ctl_rx,
        },
    )
}

impl Feed for ChannelFeed {
    fn source(&self) -> String {
        self.source.clone()
    }
    fn start(self: Box<Self>) -> Result<(mpsc::Receiver<LiveItem>, Box<dyn Gate>), FeedError> {
        Ok((self.items, Box::new(self.controls)))
    }
}
