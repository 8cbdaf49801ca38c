//! Traces: everything `evscope-core`'s producer side has (the record types, the [`Recorder`] and
//! its sinks, the link protocol and its [`Gate`], `EVSCOPE_TRACE`), re-exported, and the reading
//! side: the checking [`Reader`], the live link's client, the plain-language [`explain`] of each
//! record, and the Chrome trace [`export`].
//!
//! `docs/trace-format.md` documents the format field by field.

mod check;
mod error;
mod escape;
pub mod explain;
pub mod export;
mod gap;
mod link_client;
mod reader;
mod tee;

pub use evscope_core::trace::*;

pub use check::{Checker, Stats};
pub use error::TraceError;
pub use escape::{escape_header, escape_record, escape_text};
pub use explain::{id_text, is_known_cause, state_term_zh, Explainer, Lang};
pub use gap::trimmed_history;
pub use link_client::{ControlSender, LinkClient, ViewerListener};
pub use reader::{read_all, Reader, MAX_LINE};
pub use tee::Tee;
