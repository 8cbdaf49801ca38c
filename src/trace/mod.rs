//! Traces: the record types, and (to come) the writer, reader, live link, step gate and
//! exporters.

pub mod record;

pub use record::{Body, Header, Record};
