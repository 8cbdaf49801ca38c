//! [`Implied`]: what a line of version 3, 4 or 5 leaves out because the lines before it already
//! say it, kept the same way by the writer (which leaves a field out only when the reader will
//! know it) and by the reader (which puts it back). Both follow only the lines written, so they
//! agree whatever was dropped before the writer saw it.
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
//! A version 4 line also leaves out ("Version 4"):
//!
//! - a `transition`'s `from` when it is the event's state as last written (`new` after its
//!   `event_new`, then its previous transition's `to`);
//! - a `transition`'s `cause` when it is the usual cause of that move ([`USUAL_CAUSES`]).
//!
//! A version 5 line also leaves out ("Version 5"):
//!
//! - a `callback_begin`'s `what` when the cause of its event's last move to `active` says it
//!   ([`ACTIVATED_WHAT`]);
//! - the whole `transition` line `active → callback` (cause `dispatch`) that comes just before
//!   its event's `callback_begin`: a `callback_begin` without `seq` whose event is `active` as
//!   last written says that move first ([`Implied::encode_lines`] leaves it out,
//!   [`Implied::fill`] gives it back).
//!
//! Everything else is written whole. A record written whole is a valid version 3, 4 or 5 line
//! too: a live link writes every record whole, since a viewer may have records skipped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::encode::encode_line_skipping;
use super::record::{Record, VERSION};
use super::schema::{Body, Levels};
use super::wire::{bit, needs, Absent, Group, IMPLIED};
use crate::ev::{Cause, State, What};

/// What a callback is called with when the cause that made its event active says it alone
/// (`Cause::Ready`'s names for the fd's readiness, a timeout, a signal): a version 5
/// `callback_begin` leaves out its `what` when it is this for the cause of its event's last
/// move to `active`. `event_active` says nothing of it (the program chooses).
pub const ACTIVATED_WHAT: [(&str, What); 6] = [
    ("fd_readable", What::READ),
    ("fd_writable", What::WRITE),
    (
        "fd_ready",
        What::from_bits_truncate(What::READ.bits() | What::WRITE.bits()),
    ),
    ("fd_closed", What::CLOSED),
    ("timeout", What::TIMEOUT),
    ("signal", What::SIGNAL),
];

/// What a callback of an event made active by `cause` is called with, if the cause says it
/// ([`ACTIVATED_WHAT`]).
pub fn activated_what(cause: &str) -> Option<What> {
    ACTIVATED_WHAT
        .iter()
        .find(|(c, _)| *c == cause)
        .map(|(_, what)| *what)
}

const SEQ: u32 = bit("seq");
const T_US: u32 = bit("t_us");
const FD: u32 = bit("fd");
const WHAT: u32 = bit("what");
const FROM: u32 = bit("from");
const CAUSE: u32 = bit("cause");
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

/// Not a field: `BaseSoFar::note` says with it that a `callback_begin`'s event is `active` as
/// last written, so that no line said its move to `callback`.
const UNSAID: u32 = 1 << 31;
const _: () = assert!(IMPLIED.len() < 31, "UNSAID is no field's bit");

/// The fields a version 3 line may leave out: all but a transition's `from` and `cause`.
const VERSION_3: u32 = !(FROM | CAUSE);

/// The usual cause of a move, which a version 4 transition line leaves out: `(from, to, cause)`.
/// Each is the cause the library gives when nothing else happened: the loop starts a callback
/// by `dispatch` alone, and a callback ends `callback_returned` unless `event_add` or
/// `event_del` (the program's or a bufferevent's, e.g. a write event's `bev_output_empty`) ran
/// inside it (`EventBase::finish_callback`). Other moves have several usual causes
/// (`pending → active`: `fd_readable`, `fd_writable`, `timeout`, …) and always write theirs.
pub const USUAL_CAUSES: [(State, State, Cause); 3] = [
    (State::Active, State::Callback, Cause::Dispatch),
    (State::Callback, State::Pending, Cause::Returned),
    (State::Callback, State::NonPending, Cause::Returned),
];

/// The usual cause of `from → to` ([`USUAL_CAUSES`]), if it has one.
pub fn usual_cause(from: State, to: State) -> Option<&'static str> {
    USUAL_CAUSES
        .iter()
        .find(|(f, t, _)| *f == from && *t == to)
        .map(|(_, _, cause)| cause.as_str())
}

/// What the lines so far imply, for each base.
pub struct Implied {
    /// The fields the version may leave out (a mask of [`IMPLIED`] bits).
    leaves: u32,
    /// Version 5: a `callback_begin` may leave out its `what` and say its event's move to
    /// `callback`.
    begins: bool,
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
    /// Its state as last written (`new` by its `event_new`, then each transition's `to`); None
    /// when no line said.
    state: Option<State>,
    /// What fired for its last `callback_begin`.
    fired: Option<What>,
    /// What the cause of its last move to `active` says fired ([`activated_what`]).
    activated: Option<What>,
}

impl Default for Implied {
    fn default() -> Implied {
        Implied::new()
    }
}

impl Implied {
    /// Nothing written or read yet, for lines of this build's version ([`VERSION`]).
    pub fn new() -> Implied {
        Implied {
            leaves: !0,
            begins: true,
            zero: None,
            bases: IdMap::default(),
        }
    }

    /// Nothing written or read yet, for lines of `version`: None for versions 1 and 2, whose
    /// lines leave nothing out; version 3 leaves out less than version 4, and version 4 less
    /// than version 5.
    pub fn of_version(version: u32) -> Option<Implied> {
        const _: () = assert!(VERSION == 5, "a new version says here what it leaves out");
        let leaves = match version {
            0..=2 => return None,
            3 => VERSION_3,
            _ => !0,
        };
        Some(Implied {
            leaves,
            begins: version >= 5,
            ..Implied::new()
        })
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

    /// Writer: appends `rec` as a line of its version, leaving out what the lines before
    /// imply.
    pub fn encode_line(&mut self, rec: &Record, out: &mut Vec<u8>) {
        let (leaves, begins) = (self.leaves, self.begins);
        let (b, first) = self.base(rec.base);
        let mut skip = 0;
        if rec.seq == b.seq + 1 {
            skip |= SEQ;
        }
        if !first && rec.t_us == b.t_us {
            skip |= T_US;
        }
        let mut noted = b.note(rec);
        if noted & UNSAID != 0 {
            // A callback_begin whose move to `callback` was written nowhere (its line is not
            // just before it): with `seq` written, a version 5 reader does not make one up.
            skip &= !SEQ;
        }
        if !begins && matches!(rec.body, Body::CallbackBegin { .. }) {
            // Only version 5 leaves out a callback_begin's `what`.
            noted &= !WHAT;
        }
        encode_line_skipping(rec, (skip | noted) & leaves & !UNSAID, out);
    }

    /// Writer: appends `recs` as lines of its version, as [`Implied::encode_line`] does each,
    /// except that version 5 leaves out the line of a move `active → callback` (cause
    /// `dispatch`) that the next record, its event's `callback_begin`, implies.
    pub fn encode_lines(&mut self, recs: &[Record], out: &mut Vec<u8>) {
        for (i, rec) in recs.iter().enumerate() {
            let said = self.begins
                && recs.get(i + 1).is_some_and(|next| {
                    next.base == rec.base
                        && next.seq == rec.seq + 1
                        && self.base(rec.base).0.said_by_begin(rec, next)
                });
            if !said {
                self.encode_line(rec, out);
            }
        }
    }

    /// Reader: completes a record read from a line of version 3, 4 or 5 (`Lenient`), whose
    /// left-out fields are in `absent`, from the lines before it; or says which field it lacks.
    /// Returns the line's records in order: the record, or, when the line also says the record
    /// before it (a version 5 `callback_begin`, its event's move to `callback`), that one and
    /// then the record.
    pub fn fill(
        &mut self,
        mut rec: Record,
        absent: &Absent,
    ) -> Result<(Record, Option<Record>), String> {
        Ok(match self.fill_fields(&mut rec, absent)? {
            Some(before) => (before, Some(rec)),
            None => (rec, None),
        })
    }

    /// [`Implied::fill`]'s work on `rec`; returns the record its line says came before it.
    fn fill_fields(&mut self, rec: &mut Record, absent: &Absent) -> Result<Option<Record>, String> {
        let leaves = self.leaves;
        let begins = self.begins;
        let (b, first) = self.base(rec.base);
        let kind = rec.body.kind();
        let mut missing = absent.req;
        let before = match &rec.body {
            Body::CallbackBegin { ev, .. } if begins && missing & SEQ != 0 => {
                b.begin_implies(rec.base, *ev)?
            }
            _ => None,
        };
        // A field the version never leaves out (a version 3 transition's `from`) is missing.
        if missing & !leaves != 0 {
            return Err(needs(
                kind,
                IMPLIED[(missing & !leaves).trailing_zeros() as usize],
            ));
        }
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
            Body::Transition {
                ev,
                fd,
                from,
                to,
                cause,
            } => {
                let known = b.events.get(ev);
                if absent.opt & FD != 0 {
                    *fd = known_or(known.and_then(|e| e.fd), kind, "fd", || {
                        format!("event {ev}'s descriptor is not known from the lines before")
                    })?;
                }
                if missing & FROM != 0 {
                    *from = known_or(known.and_then(|e| e.state), kind, "from", || {
                        format!("event {ev}'s state is not known from the lines before")
                    })?;
                    missing &= !FROM;
                }
                if absent.opt & CAUSE & leaves != 0 {
                    let usual = known_or(usual_cause(*from, *to), kind, "cause", || {
                        format!("{from} → {to} has no usual cause to leave out")
                    })?;
                    *cause = Cow::Borrowed(usual);
                }
            }
            Body::CallbackEnd { ev, what, .. } if missing & WHAT != 0 => {
                *what = known_or(b.events.get(ev).and_then(|e| e.fired), kind, "what", || {
                    format!("no callback_begin of event {ev} comes before it")
                })?;
                missing &= !WHAT;
            }
            Body::CallbackBegin { ev, what } if begins && missing & WHAT != 0 => {
                *what = known_or(
                    b.events.get(ev).and_then(|e| e.activated),
                    kind,
                    "what",
                    || format!("no cause of event {ev}'s move to active says what fired"),
                )?;
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
        Ok(before)
    }
}

/// `value`, or the error that a `kind` record needs `field`, which the lines before it do not
/// give: `why`.
fn known_or<T>(
    value: Option<T>,
    kind: &str,
    field: &str,
    why: impl FnOnce() -> String,
) -> Result<T, String> {
    value.ok_or_else(|| format!("{}: {}", needs(kind, field), why()))
}

impl BaseSoFar {
    /// True, having noted `rec`, when `next`'s `callback_begin` line (written without `seq`
    /// right after the lines so far) says all of `rec`: its event's move `active → callback`
    /// by `dispatch`, numbered, timed and with the descriptor as the lines before say.
    fn said_by_begin(&mut self, rec: &Record, next: &Record) -> bool {
        let (
            Body::Transition {
                ev,
                fd,
                from: State::Active,
                to: State::Callback,
                cause,
            },
            Body::CallbackBegin { ev: begins, .. },
        ) = (&rec.body, &next.body)
        else {
            return false;
        };
        if begins != ev
            || rec.seq != self.seq + 1
            || rec.t_us != self.t_us
            || cause != Cause::Dispatch.as_str()
        {
            return false;
        }
        match self.events.get_mut(ev) {
            Some(e) if e.state == Some(State::Active) && e.fd == Some(*fd) => {
                e.state = Some(State::Callback);
                self.seq = rec.seq;
                true
            }
            _ => false,
        }
    }

    /// The move `active → callback` a version 5 `callback_begin` line of event `ev` without
    /// `seq` says came just before it, when the lines so far left the event `active` (noted
    /// here, as if read from its own line); None when they did not.
    fn begin_implies(&mut self, base: u32, ev: u64) -> Result<Option<Record>, String> {
        let Some(e) = self.events.get(&ev) else {
            return Ok(None);
        };
        if e.state != Some(State::Active) {
            return Ok(None);
        }
        let fd = known_or(e.fd, "transition", "fd", || {
            format!("event {ev} is active, but its descriptor is not known from the lines before")
        })?;
        let rec = Record {
            seq: self.seq + 1,
            t_us: self.t_us,
            base,
            body: Body::Transition {
                ev,
                fd,
                from: State::Active,
                to: State::Callback,
                cause: Cow::Borrowed(Cause::Dispatch.as_str()),
            },
        };
        self.note(&rec);
        Ok(Some(rec))
    }

    /// What `rec` says, for the lines after it; returns which of its body's fields the lines
    /// before it imply (a transition's `fd`, `from` and usual `cause`, a callback_end's `what`,
    /// a buffer record's unchanged levels), which the writer leaves out (those its version
    /// may). Each event or bufferevent is looked up once.
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
                        state: Some(State::New),
                        fired: None,
                        activated: None,
                    },
                );
            }
            Body::Transition {
                ev,
                fd,
                from,
                to,
                cause,
            } => {
                let (known_fd, known_state) = if *to == State::Freed {
                    self.events
                        .remove(ev)
                        .map_or((None, None), |e| (e.fd, e.state))
                } else {
                    let e = self.events.entry(*ev).or_default();
                    if *to == State::Active {
                        e.activated = activated_what(cause);
                    }
                    (e.fd.replace(*fd), e.state.replace(*to))
                };
                if known_fd == Some(*fd) {
                    implied |= FD;
                }
                if known_state == Some(*from) {
                    implied |= FROM;
                }
                if usual_cause(*from, *to).is_some_and(|usual| usual == cause) {
                    implied |= CAUSE;
                }
            }
            Body::CallbackBegin { ev, what } => {
                let e = self.events.entry(*ev).or_default();
                e.fired = Some(*what);
                if e.activated == Some(*what) {
                    implied |= WHAT;
                }
                if e.state == Some(State::Active) {
                    implied |= UNSAID;
                }
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
