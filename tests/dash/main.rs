//! The dashboard: model, update, panels and screens, quiz mode, live feeds, and real terminals (tmux).
//!
//! One test binary per layer; each module was a test file of its own.

#[path = "../util/mod.rs"]
pub mod util;

mod live;
mod live_tmux;
mod model;
mod panels;
mod quiz;
mod screens;
mod tmux;
mod update;
