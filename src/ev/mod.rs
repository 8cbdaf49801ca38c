//! The event library, in the shape of libevent 2.1: an [`EventBase`] running events on real
//! file descriptors, timers and signals, telling an [`Observer`] every state change.

mod base;
mod bev_guard;
mod bev_io;
mod bev_pair;
mod buffer;
mod bufferevent;
mod chunk;
mod error;
mod event;
mod flags;
mod handle;
mod listener;
mod observer;
mod registry;
mod signal;
mod state;
pub(crate) mod sys;
mod table;
pub mod timer;

pub use base::{BackendKind, EventBase, Exit};
pub use bev_guard::{BevBuf, BevBuffers};
pub use buffer::{EolStyle, Evbuffer, MAX_READ};
pub use bufferevent::{BevDataCb, BevEventCb, BevOptions, FlushMode, LINGER};
pub use error::{Error, Result};
pub use event::Callback;
pub use flags::{BevEvents, LoopFlags, What};
pub use handle::{BevId, EventId, ListenerId};
pub use listener::{ListenerCb, ListenerErrorCb, ListenerFlags};
pub use observer::{BaseInfo, BufferLevels, Observer};
pub use state::{Cause, State};
pub use sys::set_nonblocking;
pub use sys::socket::set_tcp_nodelay;
