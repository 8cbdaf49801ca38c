//! evscope: a real event library in the shape of libevent 2.1 ([`ev`], from the `evscope-core`
//! crate), and the means to watch its inner life: the trace reader and explanations ([`trace`]),
//! the dashboard ([`dash`]) and the demos ([`demos`]).
//!
//! ```no_run
//! use evscope::ev::{EventBase, What};
//! use std::time::Duration;
//!
//! let mut base = EventBase::new()?;
//! let tick = base.event_new(None, What::PERSIST, |base, _ev, _what| {
//!     println!("tick");
//!     base.loopexit(None);
//! })?;
//! base.event_add(tick, Some(Duration::from_millis(100)))?;
//! base.dispatch()?;
//! # Ok::<(), evscope::ev::Error>(())
//! ```

pub mod dash;
pub mod demos;
pub mod trace;

/// The event library: `evscope-core`'s, re-exported so `evscope::ev` is the one path to it.
pub use evscope_core::ev;
