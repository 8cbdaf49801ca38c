//! What the observed program did, folded from records: no drawing here (no ratatui imports).
//!
//! A [`Timeline`] holds the records with checkpoints; a [`Session`] is a cursor into it with the
//! [`Snapshot`] at that position; [`explain`] says a record in plain words.

mod bev_row;
mod event_row;
pub mod explain;
mod lang;
mod phase;
mod session;
mod snapshot;
mod timeline;

pub use bev_row::BevRow;
pub use event_row::EventRow;
pub use lang::Lang;
pub use phase::{IterationInfo, Phase};
pub use session::Session;
pub use snapshot::{state_index, LastTransition, Snapshot};
pub use timeline::Timeline;
