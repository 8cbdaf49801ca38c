//! evscope: a real event library in the shape of libevent 2.1 ([`ev`]), and the means to watch
//! its inner life.
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
//! base.add(tick, Some(Duration::from_millis(100)))?;
//! base.dispatch()?;
//! # Ok::<(), evscope::ev::Error>(())
//! ```

pub mod dash;
pub mod demos;
pub mod ev;
pub mod trace;

/// The observer `EVSCOPE_TRACE` asks for when a base is created (see [`trace::TraceSpec`]):
/// a recorder to a file or a live link for the process's first base, none when unset, and a
/// clear error when the value is malformed or its sink cannot be opened.
pub(crate) fn observer_from_env(info: &ev::BaseInfo) -> ev::Result<Option<Box<dyn ev::Observer>>> {
    trace::observer_from_env(info)
}
