//! The record kinds, each defined once: its `kind` name, its fields in the order they are
//! written, their types, and what a reader does when one is missing (`wire.rs` explains the
//! modes `req`, `opt`, `omit`, `flat`). [`Body`], `Body::KINDS`, the fast encoder, serde's
//! writer and reader, and the checks on required fields all follow from this table;
//! `docs/trace-format.md` lists the same kinds and fields (a test holds them together).
//!
//! Adding a field to a kind is one line here, plus the code that produces its value (the
//! observer hook) and the code that uses it (the dashboard, explain).

use std::borrow::Cow;

use super::wire::{group, records};
use crate::ev::{BevEvents, State, What};

group! {
    /// A bufferevent's fill levels, watermarks and enabled directions: what the observer is
    /// told after each change (`Observer::buffer`), what a `buffer` record carries (its fields
    /// are the record's), and what the dashboard shows of the bufferevent.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Levels {
        /// Bytes in the input buffer.
        req input: u64,
        /// Bytes in the output buffer.
        req output: u64,
        /// Read low watermark (0: none).
        opt read_low: u64,
        /// Read high watermark (0: unlimited).
        opt read_high: u64,
        /// Write low watermark.
        opt write_low: u64,
        /// Write high watermark (0: unlimited).
        opt write_high: u64,
        /// Which directions are enabled (`READ`, `WRITE`).
        opt enabled: What,
        /// Bytes the kernel holds unread for this socket (FIONREAD), when known.
        omit kernel_in: Option<u64>,
        /// Bytes the kernel holds unsent for this socket (SIOCOUTQ), when known.
        omit kernel_out: Option<u64>,
    }
}

records! {
    /// What a record says happened, tagged by `kind` in JSON.
    #[derive(Clone, Debug, PartialEq)]
    pub enum Body {
        /// `event_new` created event `ev`.
        event_new => EventNew {
            /// The event's id in the trace.
            req ev: u64,
            /// Its descriptor; the signal number for a `SIGNAL` event; None for a pure timer.
            opt fd: Option<i32>,
            /// The flags it was created with, e.g. `READ | PERSIST`.
            req what: What,
            /// A name the program gave it (may be empty).
            opt label: String,
        },
        /// Event `ev` changed state.
        transition => Transition {
            /// The event.
            req ev: u64,
            /// Its descriptor, as in `EventNew`.
            opt fd: Option<i32>,
            /// The state it was in (the state the trace last left it in).
            req from: State,
            /// The state it is in now.
            req to: State,
            /// Written by the library as one of a fixed set, so it is usually borrowed.
            opt cause: Cow<'static, str>,
        },
        /// A callback starts; `what` is what fired.
        callback_begin => CallbackBegin {
            /// The event whose callback runs.
            req ev: u64,
            /// What fired: `READ`, `WRITE`, `TIMEOUT`, `SIGNAL`, …
            req what: What,
        },
        /// A callback returned after `dur_us`.
        callback_end => CallbackEnd {
            /// The event whose callback returned.
            req ev: u64,
            /// What had fired, as in its `CallbackBegin`.
            req what: What,
            /// How long the callback ran, in microseconds.
            req dur_us: u64,
        },
        /// The loop starts iteration `n`; `thread` names the thread running it when that is not
        /// the thread last named for this base (the header's or `base_new`'s, or an earlier
        /// iteration's).
        loop_iteration => LoopIteration {
            /// The iteration's number in its base.
            req n: u64,
            /// The OS thread id running the loop, when it changed.
            omit thread: Option<u64>,
        },
        /// The loop waits in the backend (`timeout_us` null: no timeout).
        poll_begin => PollBegin {
            /// The backend it waits in (`epoll`, `poll`, `select`): the library's own name,
            /// borrowed, so that the loop allocates nothing for it.
            opt backend: Cow<'static, str>,
            /// The longest it will wait, in microseconds; None waits until an fd is ready.
            opt timeout_us: Option<u64>,
        },
        /// The backend returned `ready` fds.
        poll_end => PollEnd {
            /// How many descriptors the backend reported ready.
            req ready: u64,
        },
        /// `n` timeouts expired this iteration.
        timers_expired => TimersExpired {
            /// How many timers expired.
            req n: u64,
        },
        /// The loop runs the active queue of `priority`, holding `queued` callbacks.
        run_active => RunActive {
            /// The queue's priority (0 runs first).
            req priority: u8,
            /// Callbacks queued in it.
            req queued: u64,
        },
        /// A bufferevent was created.
        bev_new => BevNew {
            /// The bufferevent's id in the trace.
            req bev: u64,
            /// Its socket; None when it has none (a pair's end, a filter).
            opt fd: Option<i32>,
            /// A name the program gave it (may be empty).
            opt label: String,
        },
        /// A bufferevent's fill levels after a change.
        buffer => Buffer {
            /// The bufferevent.
            req bev: u64,
            /// Its fill levels, watermarks and enabled directions, written flat into the record.
            flat levels: Levels,
        },
        /// A bufferevent's event callback was told `events`.
        bev_event => BevEvent {
            /// The bufferevent.
            req bev: u64,
            /// What its event callback was told: `EOF`, `ERROR`, `TIMEOUT`, `CONNECTED`, …
            req events: BevEvents,
        },
        /// A bufferevent was freed.
        bev_free => BevFree {
            /// The bufferevent.
            req bev: u64,
        },
        /// A listener accepted `fd` from `peer`.
        accept => Accept {
            /// The listener's id in the trace.
            req listener: u64,
            /// The accepted connection's descriptor.
            req fd: i32,
            /// The peer's address, e.g. `127.0.0.1:50312`, when it has one.
            opt peer: Option<String>,
        },
        /// Free text from the program.
        note => Note {
            /// The text.
            opt text: String,
        },
        /// A lossy recorder dropped `count` records before this one.
        dropped => Dropped {
            /// How many records were dropped.
            req count: u64,
        },
        /// The record's base was made, on `backend`, by thread `thread` (the first record of
        /// every base but base 0, which the header describes).
        base_new => BaseNew {
            /// The base's backend (`epoll`, `poll`, `select`).
            opt backend: String,
            /// The OS thread id that made it.
            req thread: u64,
        },
    }
}

impl Body {
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
