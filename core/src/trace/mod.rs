//! The producer side of traces: the record types ([`Record`], JSON Lines version 5, plain or
//! zstd-compressed), the [`Recorder`] observer and its sinks, the live link's protocol with its
//! step [`Gate`], and the `EVSCOPE_TRACE` spec. Reading, checking and explaining traces is the
//! `evscope` crate's.
//!
//! `docs/trace-format.md` documents the format field by field.

mod compress;
mod encode;
mod gate;
mod handoff;
mod implied;
pub mod link;
mod link_frame;
mod link_sink;
mod link_token;
mod record;
mod record_json;
mod recorder;
mod schema;
mod sink;
mod spec;
mod wire;
mod writer;

pub use compress::{compressed_name, TraceIn, TraceOut, Unfinished};
pub use encode::encode_line;
pub use gate::Gate;
pub use implied::{
    activated_what, usual_cause, IdHasher, IdMap, Implied, ACTIVATED_WHAT, USUAL_CAUSES,
};
pub use link::{Control, LinkMsg, Status, Stream};
pub use link_frame::{
    frame_as_lines, unpack, FrameEncoder, FrameHead, MAX_FRAME_BYTES, MAX_FRAME_RECORDS,
    MAX_FRAME_TEXT,
};
pub use link_sink::{LinkSink, FINISH_TIMEOUT, MAX_VIEWERS, OUTBOX_BYTES};
pub use link_token::{follow_token_paths, token_paths, LinkToken, FOLLOW_TOKEN_ENV, TOKEN_ENV};
pub use record::{bev_event_names, what_names, Header, Record, FORMAT, OLDEST_VERSION, VERSION};
pub use record_json::Lenient;
pub use recorder::{child_path, Recorder};
pub use schema::{Body, Levels};
pub use sink::Sink;
pub(crate) use spec::observer_from_env;
pub use spec::{flush_process_trace, TraceSpec};
pub use wire::Absent;
pub use writer::{write_all, Writer};
