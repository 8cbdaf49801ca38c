//! The event library: events, timers, signals, buffers, bufferevents, listeners, threads, load and faults, and the crates' shape.
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
mod faults;
mod lint_rules;
mod listener;
mod load;
mod observe_bufio;
mod remote;
mod remove_timer;
mod smoke;
