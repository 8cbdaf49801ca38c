//! The trace's record types (JSON Lines, version 2; version 1 is still read): one header line,
//! then one [`Record`] per line. `docs/trace-format.md` documents every field.

use std::borrow::Cow;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::ev::{BevEvents, State, What};

/// The `format` field of every header.
pub const FORMAT: &str = "evscope-trace";
/// The trace format version this build writes (and the newest it reads).
pub const VERSION: u32 = 2;
/// The oldest version this build reads: version 1 is version 2 with one base (every record
/// of base 0) and no `base_new` records.
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
/// Its JSON is written and read by hand (`record_json.rs`) rather than through
/// `#[serde(flatten)]`, which buffers every field and made reading several times slower.
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

/// The kinds of record, tagged by `kind` in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// `event_new` created event `ev`.
    EventNew {
        ev: u64,
        fd: Option<i32>,
        #[serde(with = "what_names")]
        what: What,
        #[serde(default)]
        label: String,
    },
    /// Event `ev` changed state.
    Transition {
        ev: u64,
        fd: Option<i32>,
        from: State,
        to: State,
        /// Written by the library as one of a fixed set, so it is usually borrowed.
        cause: Cow<'static, str>,
    },
    /// A callback starts; `what` is what fired.
    CallbackBegin {
        ev: u64,
        #[serde(with = "what_names")]
        what: What,
    },
    /// A callback returned after `dur_us`.
    CallbackEnd {
        ev: u64,
        #[serde(with = "what_names")]
        what: What,
        dur_us: u64,
    },
    /// The loop starts iteration `n`; `thread` names the thread running it when that is not
    /// the thread last named for this base (the header's or `base_new`'s, or an earlier
    /// iteration's).
    LoopIteration {
        n: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<u64>,
    },
    /// The loop waits in the backend (`timeout_us` null: no timeout).
    PollBegin {
        backend: String,
        timeout_us: Option<u64>,
    },
    /// The backend returned `ready` fds.
    PollEnd { ready: u64 },
    /// `n` timeouts expired this iteration.
    TimersExpired { n: u64 },
    /// The loop runs the active queue of `priority`, holding `queued` callbacks.
    RunActive { priority: u8, queued: u64 },
    /// A bufferevent was created.
    BevNew {
        bev: u64,
        fd: Option<i32>,
        #[serde(default)]
        label: String,
    },
    /// A bufferevent's fill levels after a change.
    Buffer {
        bev: u64,
        input: u64,
        output: u64,
        read_low: u64,
        read_high: u64,
        write_low: u64,
        write_high: u64,
        #[serde(with = "what_names")]
        enabled: What,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_in: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_out: Option<u64>,
    },
    /// A bufferevent's event callback was told `events`.
    BevEvent {
        bev: u64,
        #[serde(with = "bev_event_names")]
        events: BevEvents,
    },
    /// A bufferevent was freed.
    BevFree { bev: u64 },
    /// A listener accepted `fd` from `peer`.
    Accept {
        listener: u64,
        fd: i32,
        peer: Option<String>,
    },
    /// Free text from the program.
    Note { text: String },
    /// A lossy recorder dropped `count` records before this one.
    Dropped { count: u64 },
    /// The record's base was made, on `backend`, by thread `thread` (the first record of every
    /// base but base 0, which the header describes).
    BaseNew { backend: String, thread: u64 },
}

impl Body {
    /// Every `kind` name, in the order of the variants.
    pub const KINDS: [&'static str; 17] = [
        "event_new",
        "transition",
        "callback_begin",
        "callback_end",
        "loop_iteration",
        "poll_begin",
        "poll_end",
        "timers_expired",
        "run_active",
        "bev_new",
        "buffer",
        "bev_event",
        "bev_free",
        "accept",
        "note",
        "dropped",
        "base_new",
    ];

    /// The record's `kind` as written in the trace.
    pub const fn kind(&self) -> &'static str {
        match self {
            Body::EventNew { .. } => "event_new",
            Body::Transition { .. } => "transition",
            Body::CallbackBegin { .. } => "callback_begin",
            Body::CallbackEnd { .. } => "callback_end",
            Body::LoopIteration { .. } => "loop_iteration",
            Body::PollBegin { .. } => "poll_begin",
            Body::PollEnd { .. } => "poll_end",
            Body::TimersExpired { .. } => "timers_expired",
            Body::RunActive { .. } => "run_active",
            Body::BevNew { .. } => "bev_new",
            Body::Buffer { .. } => "buffer",
            Body::BevEvent { .. } => "bev_event",
            Body::BevFree { .. } => "bev_free",
            Body::Accept { .. } => "accept",
            Body::Note { .. } => "note",
            Body::Dropped { .. } => "dropped",
            Body::BaseNew { .. } => "base_new",
        }
    }

    /// The event this record is about, if any (`ev`).
    pub const fn ev(&self) -> Option<u64> {
        match self {
            Body::EventNew { ev, .. }
            | Body::Transition { ev, .. }
            | Body::CallbackBegin { ev, .. }
            | Body::CallbackEnd { ev, .. } => Some(*ev),
            _ => None,
        }
    }

    /// The bufferevent this record is about, if any (`bev`).
    pub const fn bev(&self) -> Option<u64> {
        match self {
            Body::BevNew { bev, .. }
            | Body::Buffer { bev, .. }
            | Body::BevEvent { bev, .. }
            | Body::BevFree { bev } => Some(*bev),
            _ => None,
        }
    }
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

            pub fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                let names = v.names();
                let mut seq = s.serialize_seq(Some(names.len()))?;
                for n in names {
                    seq.serialize_element(n)?;
                }
                seq.end()
            }

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
