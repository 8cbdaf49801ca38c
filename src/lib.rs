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

/// The observer `EVSCOPE_TRACE` asks for when a base is created; none until a trace sink is
/// configured.
pub(crate) fn observer_from_env(_info: &ev::BaseInfo) -> ev::Result<Option<Box<dyn ev::Observer>>> {
    Ok(None)
}
