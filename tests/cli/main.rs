//! The command line: every subcommand, the demos and the examples, run as a user runs them.
//!
//! One test binary per layer; each module was a test file of its own.

#[path = "../util/mod.rs"]
pub mod util;

mod demo;
mod demos;
mod escape;
mod examples;
mod run;
mod trace_commands;
