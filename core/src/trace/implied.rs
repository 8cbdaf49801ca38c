//! [`Implied`]: what a line of version 3 leaves out because the lines before it already say
//! it, kept the same way by the writer (which leaves a field out only when the reader will know
//! it) and by the reader (which puts it back). Both follow only the lines written, so they agree
//! whatever was dropped before the writer saw it.
//!
//! A version 3 line leaves out (`docs/trace-format.md`, "Version 3"):
//!
//! - `seq` when it is one more than the base's previous record's (1 for a base's first);
//! - `t_us` when it is the base's previous record's;
//! - a `transition`'s `fd` when it is the event's descriptor as last written (by its
//!   `event_new` or its previous transition);
//! - a `callback_end`'s `what` when it is its `callback_begin`'s;
//! - a `buffer` record's fields that did not change since the bufferevent's previous `buffer`
//!   record (or, for its first, that are zero, `[]` or unknown).
//!
//! Everything else is written whole. A record written whole is a valid version 3 line too: a
//! live link writes every record whole, since a viewer may have records skipped.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::encode::encode_line_skipping;
use super::record::Record;
use super::schema::{Body, Levels};
use super::wire::{bit, needs, Absent, Group, IMPLIED};
use crate::ev::{State, What};

const SEQ: u32 = bit("seq");
const T_US: u32 = bit("t_us");
const FD: u32 = bit("fd");
const WHAT: u32 = bit("what");
/// The bits of the buffer record's fields.
const LEVELS: u32 = bit("input")
    | bit("output")
    | bit("read_low")
    | bit("read_high")
    | bit("write_low")
    | bit("write_high")
    | bit("enabled")
    | bit("kernel_in")
    | bit("kernel_out");

/// What the lines so far imply, for each base.
#[derive(Default)]
pub struct Implied {
    /// Base 0, the base of nearly every line, without a lookup (None until a line of it).
    zero: Option<BaseSoFar>,
    /// The other bases by id (a map, so that a line naming base 4,000,000,000 costs one entry).
    bases: IdMap<BaseSoFar>,
}

/// What the lines so far said of one base.
#[derive(Default)]
struct BaseSoFar {
    seq: u64,
    t_us: u64,
    events: IdMap<EventSoFar>,
    bevs: IdMap<Levels>,
}

/// What the lines so far said of one event.
#[derive(Default)]
struct EventSoFar {
    /// Its descriptor as last written; None when no line said.
    fd: Option<Option<i32>>,
    /// What fired for its last `callback_begin`.
    fired: Option<What>,
}

impl Implied {
    /// Nothing written or read yet.
    pub fn new() -> Implied {
        Implied::default()
    }

    /// The base's entry, and whether it is new (no line of that base came before).
    fn base(&mut self, base: u32) -> (&mut BaseSoFar, bool) {
        if base == 0 {
            let first = self.zero.is_none();
            return (self.zero.get_or_insert_with(BaseSoFar::default), first);
        }
        let mut first = false;
        let b = self.bases.entry(u64::from(base)).or_insert_with(|| {
            first = true;
            BaseSoFar::default()
        });
        (b, first)
    }

    /// Writer: appends `rec` as a version 3 line, leaving out what the lines before imply.
    pub fn encode_line(&mut self, rec: &Record, out: &mut Vec<u8>) {
        let (b, first) = self.base(rec.base);
        let mut skip = 0;
        if rec.seq == b.seq + 1 {
            skip |= SEQ;
        }
        if !first && rec.t_us == b.t_us {
            skip |= T_US;
        }
        skip |= b.note(rec);
        encode_line_skipping(rec, skip, out);
    }

    /// Reader: completes a record read from a version 3 line (`Lenient`), whose left-out
    /// fields are in `absent`, from the lines before it; or says which field it lacks.
    pub fn fill(&mut self, rec: &mut Record, absent: &Absent) -> Result<(), String> {
        let (b, first) = self.base(rec.base);
        let kind = rec.body.kind();
        let mut missing = absent.req;
        if missing & SEQ != 0 {
            rec.seq = b.seq + 1;
            missing &= !SEQ;
        }
        if missing & T_US != 0 {
            if first {
                return Err(format!(
                    "the first record of base {} needs the field `t_us` (no record before it \
                     says the time)",
                    rec.base
                ));
            }
            rec.t_us = b.t_us;
            missing &= !T_US;
        }
        match &mut rec.body {
            Body::Transition { ev, fd, .. } if absent.opt & FD != 0 => {
                match b.events.get(ev).and_then(|e| e.fd) {
                    Some(known) => *fd = known,
                    None => {
                        return Err(format!(
                            "{}: event {ev}'s descriptor is not known from the lines before",
                            needs(kind, "fd")
                        ))
                    }
                }
            }
            Body::CallbackEnd { ev, what, .. } if missing & WHAT != 0 => {
                match b.events.get(ev).and_then(|e| e.fired) {
                    Some(fired) => *what = fired,
                    None => {
                        return Err(format!(
                            "{}: no callback_begin of event {ev} comes before it",
                            needs(kind, "what")
                        ))
                    }
                }
                missing &= !WHAT;
            }
            Body::Buffer { bev, levels } => {
                let prev = b.bevs.get(bev).copied().unwrap_or_default();
                levels.fill_from(&prev, (missing | absent.opt) & LEVELS);
                missing &= !LEVELS;
            }
            _ => {}
        }
        if missing != 0 {
            let name = IMPLIED[missing.trailing_zeros() as usize];
            return Err(needs(kind, name));
        }
        b.note(rec);
        Ok(())
    }
}

impl BaseSoFar {
    /// What `rec` says, for the lines after it; returns which of its body's fields the lines
    /// before it imply (a transition's `fd`, a callback_end's `what`, a buffer record's
    /// unchanged levels), which the writer leaves out. Each event or bufferevent is looked up
    /// once.
    fn note(&mut self, rec: &Record) -> u32 {
        self.seq = rec.seq;
        self.t_us = rec.t_us;
        let mut implied = 0;
        match &rec.body {
            Body::EventNew { ev, fd, .. } => {
                self.events.insert(
                    *ev,
                    EventSoFar {
                        fd: Some(*fd),
                        fired: None,
                    },
                );
            }
            Body::Transition { ev, fd, to, .. } => {
                let known = if *to == State::Freed {
                    self.events.remove(ev).and_then(|e| e.fd)
                } else {
                    self.events.entry(*ev).or_default().fd.replace(*fd)
                };
                if known == Some(*fd) {
                    implied |= FD;
                }
            }
            Body::CallbackBegin { ev, what } => {
                self.events.entry(*ev).or_default().fired = Some(*what);
            }
            Body::CallbackEnd { ev, what, .. }
                if self.events.get(ev).is_some_and(|e| e.fired == Some(*what)) =>
            {
                implied |= WHAT;
            }
            Body::BevNew { bev, .. } => {
                self.bevs.insert(*bev, Levels::default());
            }
            Body::Buffer { bev, levels } => {
                let prev = self.bevs.entry(*bev).or_default();
                implied |= levels.same_as(prev) & LEVELS;
                *prev = *levels;
            }
            Body::BevFree { bev } => {
                self.bevs.remove(bev);
            }
            _ => {}
        }
        implied
    }
}

/// A fast hasher for trace ids (small integers written by the library, not keys an attacker
/// chooses to collide), for the maps the trace's readers keep by event, bufferevent or base.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by trace id, with [`IdHasher`].
pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
