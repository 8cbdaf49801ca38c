//! Traces: records and their causes, the format, the checking reader, the step gate, the live link.
//!
//! One test binary per layer; each module was a test file of its own.

#[path = "../util/mod.rs"]
pub mod util;

mod causes;
mod echo;
mod format;
mod fuzz;
mod gate;
mod labels;
mod link_class;
mod link_fault;
mod link_fuzz;
mod link_owner;
mod record;
mod v3;
mod v4;
mod v5;
