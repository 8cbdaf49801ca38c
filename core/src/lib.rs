//! evscope's core: a real event library in the shape of libevent 2.1 ([`ev`]), and the producer
//! side of its traces ([`trace`]: the record types, the [`trace::Recorder`] observer, its sinks,
//! the live link's step gate, and the `EVSCOPE_TRACE` spec).
//!
//! This crate has no user interface: the reader, explanations, export, dashboard and command line
//! are the `evscope` crate's, and `libevent.so` (the `evscope-libevent` crate) builds on this one
//! alone. `docs/ARCHITECTURE.md` draws the layers.
//!
//! ```no_run
//! use evscope_core::ev::{EventBase, What};
//! use std::time::Duration;
//!
//! let mut base = EventBase::new()?;
//! let tick = base.event_new(None, What::PERSIST, |base, _ev, _what| {
//!     println!("tick");
//!     base.loopexit(None);
//! })?;
//! base.event_add(tick, Some(Duration::from_millis(100)))?;
//! base.dispatch()?;
//! # Ok::<(), evscope_core::ev::Error>(())
//! ```

#![deny(missing_docs)]

pub mod ev;
pub mod trace;
