//! The course: recordings against their lessons, and the teacher's kit.
//!
//! One test binary per layer; each module was a test file of its own.

#[path = "../util/mod.rs"]
pub mod util;

mod recordings;
mod teacher_kit;
