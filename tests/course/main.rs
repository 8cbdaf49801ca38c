//! The course: lessons against the real output they quote and the commands they give, the C
//! track's programs, recordings against their lessons, and the teacher's kit.
//!
//! One test binary per layer; each module was a test file of its own.

#[path = "../util/mod.rs"]
pub mod util;

mod c_track;
mod lessons;
mod recordings;
mod teacher_kit;
