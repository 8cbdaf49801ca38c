//! The event library: events, timers, signals, buffers, bufferevents, listeners, threads, and the
//! crates' shape and rules.
//!
//! One test binary per layer; each module was a test file of its own.

#[path = "../sys/mod.rs"]
pub mod sys;
#[path = "../util/mod.rs"]
pub mod util;

mod architecture;
mod base_controls;
mod bev_filter;
mod bev_rate;
mod bufferevent;
mod callback_duration;
mod echo;
mod evbuffer;
mod events;
mod lint_rules;
mod naming;
mod observe_bufio;
mod remote;
mod remove_timer;
mod smoke;
