//! What the observed program did, folded from records: no drawing here (no ratatui imports).
//!
//! A [`Timeline`] holds the records with checkpoints (and explains them in plain words, through
//! the trace layer's [`crate::trace::Explainer`]); a [`Session`] is a cursor into it with the
//! [`Snapshot`] at that position.

mod bev_row;
mod event_row;
mod phase;
mod positions;
mod session;
mod snapshot;
mod store;
#[cfg(test)]
mod test_traces;
mod timeline;

pub use crate::demos::shown_label;
pub use crate::trace::id_text;
pub use bev_row::BevRow;
pub use event_row::EventRow;
pub use phase::{IterationInfo, Phase};
pub use session::Session;
pub use snapshot::{state_index, Changes, LastTransition, Snapshot, Undo};
pub use store::{ReadError, RecordRef, Records};
pub use timeline::Timeline;

/// The language of explanations and labels (`--lang en|zh`): the trace layer's.
pub use crate::trace::Lang;
