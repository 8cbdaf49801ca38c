//! [`Checker`]: the rules every record of a trace must follow, applied one record at a time so
//! files, live links and tests share them.

use std::collections::HashMap;

use crate::ev::State;
use evscope_core::trace::{Body, IdMap, Record};

/// Counts of what a trace held, for summaries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records after the header.
    pub records: u64,
    /// `event_new` records.
    pub events: u64,
    /// `bev_new` records.
    pub bufferevents: u64,
    /// Records a lossy recorder said it dropped.
    pub dropped: u64,
    /// `t_us` of the first and last record.
    pub first_t_us: Option<u64>,
    /// `t_us` of the last record.
    pub last_t_us: u64,
    /// Bases the records belong to (1 for a trace of one base).
    pub bases: u64,
}

impl Stats {
    /// Microseconds from the base's start to the last record.
    pub fn duration_us(&self) -> u64 {
        self.last_t_us
    }
}

/// Checks a stream of records, each base on its own: `seq` at least 1 and strictly increasing,
/// `t_us` never going back, each event's first record is its `event_new`, every transition
/// legal (`State::can_go_to`) and starting from the state the event was in, bufferevents used
/// only between `bev_new` and `bev_free`. Base 0 is the header's, and every later base's first
/// record is its `base_new`; bases are numbered in the order they were made, but their records
/// may come in any order (each base's loop hands its records over in batches).
///
/// After a `dropped` record some records are missing (of any base: a live viewer that fell
/// behind skips whatever came), so the checker stops requiring what it can no longer know
/// (earlier states, first records, a base's `base_new`) and keeps checking legality.
#[derive(Default)]
pub struct Checker {
    /// Indexed by base id; None for an id not seen yet.
    /// By base number; a map, so a line naming an absurd base number costs one entry.
    bases: HashMap<usize, BaseCheck>,
    /// A `dropped` record was seen.
    gap: bool,
    stats: Stats,
}

/// What the checker knows of one base.
#[derive(Default)]
struct BaseCheck {
    last_seq: Option<u64>,
    last_t_us: u64,
    /// Each event's state; `None` when unknown after a gap.
    events: IdMap<Option<State>>,
    /// Live bufferevents (true) and freed ones (false).
    bevs: IdMap<bool>,
    gap: bool,
}

impl Checker {
    /// A checker expecting the first record of a trace.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// What has been checked so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// How many bases the records checked so far belong to (at least 1 once a record of base 0
    /// was checked).
    pub fn bases(&self) -> usize {
        self.bases.len()
    }

    /// The state event `ev` of base 0 is in after the records checked so far, when known.
    pub fn state_of(&self, ev: u64) -> Option<State> {
        self.state_in(0, ev)
    }

    /// The state event `ev` of base `base` is in after the records checked so far, when known.
    pub fn state_in(&self, base: u32, ev: u64) -> Option<State> {
        self.bases
            .get(&(base as usize))?
            .events
            .get(&ev)
            .copied()
            .flatten()
    }

    /// Checks one record; on error says what was wrong (without a line number).
    pub fn check(&mut self, rec: &Record) -> Result<(), String> {
        let b = rec.base as usize;
        let new_base = matches!(rec.body, Body::BaseNew { .. });
        if new_base && b == 0 {
            return Err("a base_new record for base 0: the header describes base 0".into());
        }
        let known = self.bases.contains_key(&b);
        match (known, new_base) {
            (true, true) if !self.gap => {
                return Err(format!("base_new for base {b}, which was made already"));
            }
            // Base 0 needs no base_new; after a gap, a base's base_new may be among what was
            // dropped.
            (false, false) if b != 0 && !self.gap => {
                return Err(format!(
                    "a record of base {b} before that base's base_new record"
                ));
            }
            _ => {}
        }
        if !known {
            self.bases.insert(
                b,
                BaseCheck {
                    gap: self.gap,
                    ..BaseCheck::default()
                },
            );
            self.stats.bases += 1;
        }
        if let Body::Dropped { .. } = rec.body {
            self.gap = true;
            for other in self.bases.values_mut() {
                other.forget();
            }
        }
        let Some(base) = self.bases.get_mut(&b) else {
            return Err(format!("base {b} is not known"));
        };
        if rec.seq == 0 {
            return Err("seq 0 is not a record number: seq counts from 1".to_string());
        }
        if let Some(last) = base.last_seq {
            if rec.seq <= last {
                return Err(format!(
                    "seq {} does not increase (the record of base {b} before had seq {last})",
                    rec.seq
                ));
            }
        }
        if rec.t_us < base.last_t_us {
            return Err(format!(
                "t_us {} goes back in time (the record of base {b} before had t_us {})",
                rec.t_us, base.last_t_us
            ));
        }
        base.check_body(&rec.body, &mut self.stats)?;
        base.last_seq = Some(rec.seq);
        base.last_t_us = rec.t_us;
        let s = &mut self.stats;
        s.records += 1;
        s.first_t_us.get_or_insert(rec.t_us);
        s.last_t_us = s.last_t_us.max(rec.t_us);
        Ok(())
    }
}

impl BaseCheck {
    /// Records of this base may be missing from here on: earlier states are unknown.
    fn forget(&mut self) {
        self.gap = true;
        for state in self.events.values_mut() {
            *state = None;
        }
    }

    fn check_body(&mut self, body: &Body, stats: &mut Stats) -> Result<(), String> {
        match body {
            Body::EventNew { ev, .. } => {
                if let Some(Some(state)) = self.events.get(ev) {
                    if *state != State::Freed {
                        return Err(format!(
                            "event {ev} is created again while it still exists (it is {state})"
                        ));
                    }
                }
                self.events.insert(*ev, Some(State::New));
                stats.events += 1;
            }
            Body::Transition {
                ev,
                from,
                to,
                cause,
                ..
            } => {
                match self.events.get(ev) {
                    None if !self.gap => {
                        return Err(format!(
                            "event {ev} has a transition before its event_new record"
                        ))
                    }
                    Some(Some(now)) if now != from => {
                        return Err(format!(
                            "event {ev} goes from {from} to {to}, but it was {now}, not {from}"
                        ))
                    }
                    _ => {}
                }
                if !from.can_go_to(*to) {
                    return Err(format!(
                        "illegal transition {from} -> {to} for event {ev} (cause {cause:?})"
                    ));
                }
                self.events.insert(*ev, Some(*to));
            }
            Body::CallbackBegin { ev, .. } | Body::CallbackEnd { ev, .. } => {
                if !self.gap && !self.events.contains_key(ev) {
                    return Err(format!(
                        "event {ev} has a {} record before its event_new record",
                        body.kind()
                    ));
                }
                if let (Body::CallbackBegin { .. }, Some(Some(now))) = (body, self.events.get(ev)) {
                    if *now != State::Callback {
                        return Err(format!(
                            "event {ev}'s callback begins while it is {now}, not callback"
                        ));
                    }
                }
            }
            Body::BevNew { bev, .. } => {
                if self.bevs.get(bev) == Some(&true) {
                    return Err(format!(
                        "bufferevent {bev} is created again while it still exists"
                    ));
                }
                self.bevs.insert(*bev, true);
                stats.bufferevents += 1;
            }
            Body::Buffer { bev, .. } | Body::BevEvent { bev, .. } | Body::BevFree { bev } => {
                match self.bevs.get(bev) {
                    None if !self.gap => {
                        return Err(format!(
                            "bufferevent {bev} has a {} record before its bev_new record",
                            body.kind()
                        ))
                    }
                    Some(false) => {
                        return Err(format!(
                            "bufferevent {bev} has a {} record after its bev_free record",
                            body.kind()
                        ))
                    }
                    _ => {}
                }
                if matches!(body, Body::BevFree { .. }) {
                    self.bevs.insert(*bev, false);
                }
            }
            Body::Dropped { count } => stats.dropped += count,
            _ => {}
        }
        Ok(())
    }
}
