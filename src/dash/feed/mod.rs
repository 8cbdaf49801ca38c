//! Where records come from: a trace file for replay ([`load`]), or a live [`Feed`] (an
//! in-process channel, or a socket to an observed program) with a [`Gate`] taking step controls
//! back to the observed loop.

mod channel;
mod control;
mod error;
mod file;
mod live;
mod socket;

pub use channel::{channel, ChannelFeed, ChannelPeer};
pub use control::Control;
pub use error::FeedError;
pub use file::{load, parse};
pub use live::{Feed, Gate, LiveItem};
pub use socket::{connect, SocketFeed};
