//! The trace's envelope (JSON Lines, version 5; versions 1 to 4 are still read): one header
//! line, then one [`Record`] per line, whose [`Body`] (`schema.rs`) says what happened. A
//! line of version 3, 4 or 5 may leave out what the lines before it imply (`implied.rs`), and
//! a version 5 `callback_begin` line also says the record before it.
//! `docs/trace-format.md` documents every field.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::schema::Body;
use crate::ev::{BevEvents, State, What};

/// The `format` field of every header.
pub const FORMAT: &str = "evscope-trace";
/// The trace format version this build writes (and the newest it reads).
pub const VERSION: u32 = 5;
/// The oldest version this build reads: version 1 is version 2 with one base (every record
/// of base 0) and no `base_new` records; version 2 is version 3 with every field of every
/// record written; version 3 is version 4 with every transition's `from` and `cause` written;
/// version 4 is version 5 with every `callback_begin`'s `what` and every transition's line.
pub const OLDEST_VERSION: u32 = 1;

/// Line 1 of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `"evscope-trace"`.
    pub format: String,
    /// The format version ([`VERSION`] when written by this build).
    pub version: u32,
    /// Base 0's backend (`epoll`, `poll`, `select`); each later base names its own in its
    /// `base_new` record.
    #[serde(default)]
    pub backend: String,
    /// What was observed: a demo name, a program path, …
    #[serde(default)]
    pub program: String,
    /// The observed process id.
    #[serde(default)]
    pub pid: u32,
    /// Wall-clock start, microseconds since the Unix epoch (for display only; `t_us` is
    /// monotonic).
    #[serde(default)]
    pub start_unix_us: u64,
    /// The thread that made base 0 (the OS thread id, as `gettid` returns it), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<u64>,
}

impl Header {
    /// A header of this build's version.
    pub fn new(backend: &str, program: &str) -> Header {
        let start_unix_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        Header {
            format: FORMAT.to_string(),
            version: VERSION,
            backend: backend.to_string(),
            program: program.to_string(),
            pid: std::process::id(),
            start_unix_us,
            thread: None,
        }
    }
}

/// One line after the header: `{"seq":…,"t_us":…,"kind":…, …the body's fields}`.
///
/// Its JSON is one flat object, written and read from the schema (`record_json.rs`) rather than
/// through `#[serde(flatten)]`, which buffers every field and made reading several times slower.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Strictly increasing from 1 among the records of one base.
    pub seq: u64,
    /// Microseconds since the trace started (base 0 was made), on the monotonic clock; never
    /// decreasing among the records of one base.
    pub t_us: u64,
    /// The base the record is about: 0 for the process's first observed base, then 1, 2, … in
    /// the order the bases were made (written only when not 0).
    pub base: u32,
    /// What happened.
    pub body: Body,
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = State;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a state: new, pending, active, callback, non_pending or freed")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<State, E> {
                State::from_name(v).ok_or_else(|| E::custom(format!("unknown state {v:?}")))
            }
        }
        d.deserialize_str(V)
    }
}

macro_rules! flag_names {
    ($module:ident, $ty:ty, $empty:expr, $what:literal) => {
        /// Serde for a flag set written as a list of names, e.g. `["READ","PERSIST"]`.
        pub mod $module {
            use super::*;

            /// Writes the set as a list of its flags' names.
            pub fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                let names = v.names();
                let mut seq = s.serialize_seq(Some(names.len()))?;
                for n in names {
                    seq.serialize_element(n)?;
                }
                seq.end()
            }

            /// Reads a list of flag names; an unknown name is an error.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str(concat!("a list of ", $what, " names"))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<$ty, A::Error> {
                        let mut acc = $empty;
                        while let Some(name) = a.next_element::<&str>()? {
                            let flag = <$ty>::from_name(name).ok_or_else(|| {
                                de::Error::custom(format!(
                                    concat!("unknown ", $what, " {:?}"),
                                    name
                                ))
                            })?;
                            acc |= flag;
                        }
                        Ok(acc)
                    }
                }
                d.deserialize_seq(V)
            }
        }
    };
}

flag_names!(what_names, What, What::NONE, "event flag");
flag_names!(
    bev_event_names,
    BevEvents,
    BevEvents::empty(),
    "bufferevent event"
);
