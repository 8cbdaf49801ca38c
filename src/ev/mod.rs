//! The event library, in the shape of libevent 2.1: an [`EventBase`] running events on real
//! file descriptors, timers and signals, telling an [`Observer`] every state change.

mod base;
mod error;
mod event;
mod flags;
mod handle;
mod observer;
mod registry;
mod signal;
mod state;
pub(crate) mod sys;
pub mod timer;

pub use base::{BackendKind, EventBase, Exit};
pub use error::{Error, Result};
pub use event::Callback;
pub use flags::{BevEvents, LoopFlags, What};
pub use handle::{BevId, EventId, ListenerId};
pub use observer::{BaseInfo, BufferLevels, Observer};
pub use state::{Cause, State};
pub use sys::set_nonblocking;
pub use sys::signal::raise;
