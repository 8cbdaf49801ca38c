//! The event library, in the shape of libevent 2.1: an [`EventBase`] running events on real
//! file descriptors, timers and signals, telling an [`Observer`] every state change.
//!
//! Buffered I/O as in libevent's `bufferevent.h` and `listener.h`: [`Evbuffer`] (a chain of
//! chunks), bufferevents on sockets or in pairs (handles [`BevId`], functions
//! `EventBase::bufferevent_*`), and connection listeners ([`ListenerId`],
//! `EventBase::evconnlistener_*`). The course's echo server:
//!
//! ```no_run
//! use evscope_core::ev::{BevEvents, BevOptions, EventBase, ListenerFlags, What};
//! use std::os::fd::IntoRawFd;
//!
//! let mut base = EventBase::new()?;
//! let flags = ListenerFlags::REUSEABLE | ListenerFlags::CLOSE_ON_FREE;
//! base.evconnlistener_new_bind("127.0.0.1:9995".parse().unwrap(), flags, -1, |base, _lev, sock, _peer| {
//!     let bev = base.bufferevent_socket_new(sock.into_raw_fd(), BevOptions::CLOSE_ON_FREE).unwrap();
//!     base.bufferevent_setcb(
//!         bev,
//!         Some(Box::new(|base, bev| {
//!             let mut bufs = base.bufferevent_buffers(bev).unwrap();
//!             let (input, output) = bufs.split();
//!             output.add_buffer(input); // chunks move; the reply is written at once
//!         })),
//!         None,
//!         Some(Box::new(|base, bev, events| {
//!             if events.contains(BevEvents::EOF) {
//!                 base.bufferevent_close_after_flush(bev).unwrap();
//!             } else {
//!                 base.bufferevent_free(bev).unwrap();
//!             }
//!         })),
//!     ).unwrap();
//!     base.bufferevent_enable(bev, What::READ).unwrap(); // reading is off by default
//! })?;
//! base.dispatch()?;
//! # Ok::<(), evscope_core::ev::Error>(())
//! ```

mod base;
mod bev_data;
mod bev_defer;
mod bev_extra;
mod bev_filter;
mod bev_guard;
mod bev_io;
mod bev_pair;
mod bev_rate;
mod buffer;
mod bufferevent;
mod chunk;
pub(crate) mod clock;
mod common_timeout;
mod counts;
mod deferred_call;
mod dispatch;
mod dispatch_limits;
mod error;
mod event;
mod event_api;
mod finalize;
mod flags;
mod fork;
mod handle;
mod inspect;
mod labeled;
mod listener;
mod observer;
mod primitives;
#[cfg(test)]
mod refusals;
mod registry;
mod remote;
mod signal;
mod state;
pub(crate) mod sys;
mod table;
pub mod timer;

/// A bufferevent's levels, as the observer is told them and the trace records them.
pub use crate::trace::Levels;
pub use base::{BackendKind, BreakHandle, EventBase, Exit};
pub use bev_filter::{FilterCall, FilterFn, FilterFree, FilterResult};
pub use bev_guard::{BevBuf, BevBuffers};
pub use bev_rate::{
    TokenBucketCfg, MAX_SINGLE_READ_DEFAULT, MAX_SINGLE_WRITE_DEFAULT, RATE_LIMIT_MAX,
};
pub use buffer::{ChainInfo, Change, EolStyle, Evbuffer, WatchHook, MAX_READ};
pub use bufferevent::{BevDataCb, BevEventCb, BevOptions, FlushMode, LINGER};
pub use chunk::Release;
pub use counts::CountKind;
pub use deferred_call::DeferredCall;
pub use dispatch_limits::DispatchLimits;
pub use error::{Error, Result};
pub use event::Callback;
pub use finalize::Finalizer;
pub use flags::{BevEvents, LoopFlags, What};
pub use handle::{BevId, EventId, ListenerId, RateGroupId};
pub use labeled::Labeled;
pub use listener::{ListenerCb, ListenerErrorCb, ListenerFlags};
pub use observer::{BaseInfo, Observer};
pub use remote::{Job, Remote};
pub use state::{BevWhy, Cause, State};
pub use sys::cred::{euid, peer_cred, PeerCred};
pub use sys::set_nonblocking;
pub use sys::signal::{kill, raise};
pub use sys::socket::set_tcp_nodelay;
