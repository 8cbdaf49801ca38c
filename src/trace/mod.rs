//! Traces: the record types ([`Record`], JSON Lines version 2, plain or zstd-compressed), the [`Recorder`] observer and
//! its sinks, the checking [`Reader`], the live link with its step [`Gate`], the plain-language
//! [`explain`] of each record, and the Chrome trace [`export`].
//!
//! `docs/trace-format.md` documents the format field by field.

mod check;
mod compress;
mod encode;
mod error;
mod escape;
pub mod explain;
pub mod export;
mod gap;
mod gate;
mod handoff;
pub mod link;
mod link_client;
mod link_sink;
mod link_token;
mod reader;
mod record;
mod record_json;
mod recorder;
mod sink;
mod spec;
mod writer;

pub use check::{Checker, Stats};
pub use compress::{compressed_name, TraceIn, TraceOut, Unfinished};
pub use encode::encode_line;
pub use error::TraceError;
pub use escape::{escape_header, escape_record, escape_text};
pub use explain::{id_text, is_known_cause, Explainer, Lang};
pub use gap::trimmed_history;
pub use gate::Gate;
pub use link::{Control, LinkMsg, Status, Stream};
pub use link_client::{ControlSender, LinkClient, ViewerListener};
pub use link_sink::{LinkSink, FINISH_TIMEOUT, OUTBOX_BYTES};
pub use link_token::{token_paths, LinkToken, TOKEN_ENV};
pub use reader::{read_all, Reader, MAX_LINE};
pub use record::{bev_event_names, what_names, Body, Header, Record, FORMAT, VERSION};
pub use recorder::{child_path, Recorder};
pub use sink::Sink;
pub use spec::{flush_process_trace, observer_from_env, TraceSpec};
pub use writer::{write_all, Writer};
