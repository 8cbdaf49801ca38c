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
        /// The event's id in the trace.
        ev: u64,
        /// Its descriptor; the signal number for a `SIGNAL` event; None for a pure timer.
        fd: Option<i32>,
        /// The flags it was created with, e.g. `READ | PERSIST`.
        #[serde(with = "what_names")]
        what: What,
        /// A name the program gave it (may be empty).
        #[serde(default)]
        label: String,
    },
    /// Event `ev` changed state.
    Transition {
        /// The event.
        ev: u64,
        /// Its descriptor, as in `EventNew`.
        fd: Option<i32>,
        /// The state it was in (the state the trace last left it in).
        from: State,
        /// The state it is in now.
        to: State,
        /// The mechanism that made the transition (one of the causes `docs/trace-format.md`
        /// lists). Written by the library as one of a fixed set, so it is usually borrowed.
        cause: Cow<'static, str>,
    },
    /// A callback starts; `what` is what fired.
    CallbackBegin {
        /// The event whose callback runs.
        ev: u64,
        /// What fired: `READ`, `WRITE`, `TIMEOUT`, `SIGNAL`, …
        #[serde(with = "what_names")]
        what: What,
    },
    /// A callback returned after `dur_us`.
    CallbackEnd {
        /// The event whose callback returned.
        ev: u64,
        /// What had fired, as in its `CallbackBegin`.
        #[serde(with = "what_names")]
        what: What,
        /// How long the callback ran, in microseconds.
        dur_us: u64,
    },
    /// The loop starts iteration `n`; `thread` names the thread running it when that is not
    /// the thread last named for this base (the header's or `base_new`'s, or an earlier
    /// iteration's).
    LoopIteration {
        /// The iteration's number in its base.
        n: u64,
        /// The OS thread id running the loop, when it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<u64>,
    },
    /// The loop waits in the backend (`timeout_us` null: no timeout).
    PollBegin {
        /// The backend it waits in (`epoll`, `poll`, `select`).
        backend: String,
        /// The longest it will wait, in microseconds; None waits until an fd is ready.
        timeout_us: Option<u64>,
    },
    /// The backend returned `ready` fds.
    PollEnd {
        /// How many descriptors the backend reported ready.
        ready: u64,
    },
    /// `n` timeouts expired this iteration.
    TimersExpired {
        /// How many timers expired.
        n: u64,
    },
    /// The loop runs the active queue of `priority`, holding `queued` callbacks.
    RunActive {
        /// The queue's priority (0 runs first).
        priority: u8,
        /// Callbacks queued in it.
        queued: u64,
    },
    /// A bufferevent was created.
    BevNew {
        /// The bufferevent's id in the trace.
        bev: u64,
        /// Its socket; None when it has none (a pair's end, a filter).
        fd: Option<i32>,
        /// A name the program gave it (may be empty).
        #[serde(default)]
        label: String,
    },
    /// A bufferevent's fill levels after a change.
    Buffer {
        /// The bufferevent.
        bev: u64,
        /// Bytes held in its input buffer.
        input: u64,
        /// Bytes held in its output buffer.
        output: u64,
        /// Its read low watermark.
        read_low: u64,
        /// Its read high watermark (0: unlimited).
        read_high: u64,
        /// Its write low watermark.
        write_low: u64,
        /// Its write high watermark (0: unlimited).
        write_high: u64,
        /// The directions enabled: `READ`, `WRITE`.
        #[serde(with = "what_names")]
        enabled: What,
        /// Bytes the kernel holds unread for its socket (FIONREAD), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_in: Option<u64>,
        /// Bytes the kernel holds unsent for its socket (SIOCOUTQ), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_out: Option<u64>,
    },
    /// A bufferevent's event callback was told `events`.
    BevEvent {
        /// The bufferevent.
        bev: u64,
        /// What its event callback was told: `EOF`, `ERROR`, `TIMEOUT`, `CONNECTED`, …
        #[serde(with = "bev_event_names")]
        events: BevEvents,
    },
    /// A bufferevent was freed.
    BevFree {
        /// The bufferevent.
        bev: u64,
    },
    /// A listener accepted `fd` from `peer`.
    Accept {
        /// The listener's id in the trace.
        listener: u64,
        /// The accepted connection's descriptor.
        fd: i32,
        /// The peer's address, e.g. `127.0.0.1:50312`, when it has one.
        peer: Option<String>,
    },
    /// Free text from the program.
    Note {
        /// The text.
        text: String,
    },
    /// A lossy recorder dropped `count` records before this one.
    Dropped {
        /// How many records were dropped.
        count: u64,
    },
    /// The record's base was made, on `backend`, by thread `thread` (the first record of every
    /// base but base 0, which the header describes).
    BaseNew {
        /// The base's backend (`epoll`, `poll`, `select`).
        backend: String,
        /// The OS thread id that made it.
        thread: u64,
    },
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
