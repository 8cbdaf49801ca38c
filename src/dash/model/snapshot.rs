//! The fold: everything the dashboard shows at one position, built by applying records in order.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{BevRow, EventRow, IterationInfo, Phase};
use crate::ev::{BevEvents, State, What};
use crate::trace::{Body, Record};

/// The transition taken most recently, for the state diagram's highlighted arrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastTransition {
    /// The event that moved.
    pub ev: u64,
    /// Where it was.
    pub from: State,
    /// Where it went.
    pub to: State,
    /// Index of the transition record.
    pub at: usize,
}

/// The state of the observed program after some number of records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// How many records were folded in.
    pub applied: usize,
    /// `seq` of the last record folded (0 before any).
    pub seq: u64,
    /// `t_us` of the last record folded.
    pub t_us: u64,
    /// Every event seen, by trace id (freed ones stay, as `freed`).
    pub events: BTreeMap<u64, EventRow>,
    /// How many events are in each state, in [`State::ALL`] order.
    pub counts: [usize; 6],
    /// The transition taken most recently.
    pub last_transition: Option<LastTransition>,
    /// Every bufferevent seen, by trace id.
    pub bevs: BTreeMap<u64, BevRow>,
    /// The loop iteration (0 before the first).
    pub iteration: u64,
    /// Where the loop is within the iteration.
    pub phase: Phase,
    /// The figures of the current iteration so far.
    pub this_iteration: IterationInfo,
    /// Connections accepted by listeners.
    pub accepts: u64,
    /// Records a `dropped` record said are missing (a lossy recorder, or a live viewer that
    /// fell behind a free-running program).
    pub dropped: u64,
    /// Index of the latest `note` record.
    pub last_note: Option<usize>,
    /// Records that did not fit what came before (a transition from a state the event was not
    /// in, an id never created): shown, never fatal. Once records were skipped, only illegal
    /// transitions count: what was skipped may explain the rest.
    pub anomalies: u64,
}

/// What [`Snapshot::changes`] keeps: the figures at a position and the rows that changed since
/// an earlier one.
#[derive(Clone, Debug)]
pub struct Changes {
    /// The snapshot's figures, without rows.
    figures: Snapshot,
    events: Box<[EventRow]>,
    bevs: Box<[BevRow]>,
}

impl Changes {
    /// The position they bring a snapshot to.
    pub fn applied(&self) -> usize {
        self.figures.applied
    }

    /// Bytes held beyond their own size.
    pub fn held_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.events) + std::mem::size_of_val(&*self.bevs)
    }
}

/// What folding one record changed ([`Snapshot::apply_keeping`]): the figures before it and
/// the row it touched as it was.
#[derive(Clone, Debug)]
pub struct Undo {
    figures: Snapshot,
    row: Prior,
}

/// The row a record touched, before it (None: the record made it).
#[derive(Clone, Debug)]
enum Prior {
    Nothing,
    Event(u64, Option<EventRow>),
    Bev(u64, Option<BevRow>),
}

/// Position of a state in [`State::ALL`] (and in [`Snapshot::counts`]).
pub fn state_index(s: State) -> usize {
    match s {
        State::New => 0,
        State::Pending => 1,
        State::Active => 2,
        State::Callback => 3,
        State::NonPending => 4,
        State::Freed => 5,
    }
}

impl Snapshot {
    /// How many events are in `state`.
    pub fn count(&self, state: State) -> usize {
        self.counts[state_index(state)]
    }

    /// The events in the order the table lists them: the living in id order, then the freed
    /// (so what can still change stays in view).
    pub fn events_listed(&self) -> impl Iterator<Item = &EventRow> {
        let alive = self.events.values().filter(|e| e.state != State::Freed);
        alive.chain(self.events.values().filter(|e| e.state == State::Freed))
    }

    /// The bufferevents in the order the buffers panel lists them: the living, then the freed.
    pub fn bevs_listed(&self) -> impl Iterator<Item = &BevRow> {
        let alive = self.bevs.values().filter(|b| !b.freed);
        alive.chain(self.bevs.values().filter(|b| b.freed))
    }

    /// Bytes this snapshot holds beyond its own size, estimated from its maps (a map's nodes
    /// are counted half full; labels are shared between snapshots and not counted).
    pub fn held_bytes(&self) -> usize {
        let event = std::mem::size_of::<(u64, EventRow)>();
        let bev = std::mem::size_of::<(u64, BevRow)>();
        2 * (self.events.len() * event + self.bevs.len() * bev)
    }

    /// Folds one record in. `index` is its position in the timeline. Never panics: records that
    /// contradict the snapshot are applied as well as they can be and counted in `anomalies`.
    pub fn apply(&mut self, index: usize, r: &Record) {
        self.applied = index + 1;
        self.seq = r.seq;
        self.t_us = r.t_us;
        match &r.body {
            Body::EventNew {
                ev,
                fd,
                what,
                label,
            } => {
                if let Some(old) = self.events.get(ev) {
                    self.counts[state_index(old.state)] -= 1;
                    self.anomalies += 1;
                }
                self.counts[state_index(State::New)] += 1;
                self.events.insert(
                    *ev,
                    EventRow {
                        id: *ev,
                        label: Arc::from(label.as_str()),
                        fd: *fd,
                        what: *what,
                        state: State::New,
                        activations: 0,
                        last_callback_us: None,
                        changed_at: index,
                    },
                );
            }
            Body::Transition {
                ev, fd, from, to, ..
            } => {
                let row = self.events.entry(*ev).or_insert_with(|| EventRow {
                    id: *ev,
                    label: Arc::from(""),
                    fd: *fd,
                    what: What::NONE,
                    state: *from,
                    activations: 0,
                    last_callback_us: None,
                    changed_at: index,
                });
                // After a skip (`dropped`) an event may have been made, or moved, in what was
                // skipped: only an illegal transition is odd then.
                let gap = self.dropped > 0;
                if row.changed_at == index {
                    // First seen here: it was never created.
                    self.counts[state_index(*from)] += 1;
                    self.anomalies += u64::from(!gap);
                }
                if (row.state != *from && !gap) || !from.can_go_to(*to) {
                    self.anomalies += 1;
                }
                self.counts[state_index(row.state)] -= 1;
                self.counts[state_index(*to)] += 1;
                row.state = *to;
                row.changed_at = index;
                if *to == State::Active {
                    row.activations += 1;
                }
                self.last_transition = Some(LastTransition {
                    ev: *ev,
                    from: *from,
                    to: *to,
                    at: index,
                });
            }
            Body::CallbackBegin { .. } => {}
            Body::CallbackEnd { ev, dur_us, .. } => match self.events.get_mut(ev) {
                Some(row) => row.last_callback_us = Some(*dur_us),
                None => self.anomalies += u64::from(self.dropped == 0),
            },
            Body::LoopIteration { n, .. } => {
                self.iteration = *n;
                self.phase = Phase::Begin;
                self.this_iteration = IterationInfo::default();
            }
            Body::PollBegin { timeout_us, .. } => {
                self.phase = Phase::Waiting;
                self.this_iteration.timeout_us = Some(*timeout_us);
            }
            Body::PollEnd { ready } => {
                self.phase = Phase::FdsReady;
                self.this_iteration.ready = Some(*ready);
            }
            Body::TimersExpired { n } => {
                self.phase = Phase::TimersExpired;
                self.this_iteration.expired = Some(*n);
            }
            Body::RunActive { priority, queued } => {
                self.phase = Phase::RunningActive;
                self.this_iteration.active = Some((*priority, *queued));
            }
            Body::BevNew { bev, fd, label } => {
                self.bevs.insert(
                    *bev,
                    BevRow {
                        id: *bev,
                        label: Arc::from(label.as_str()),
                        fd: *fd,
                        ..BevRow::default()
                    },
                );
            }
            Body::Buffer { bev, levels } => {
                let row = self.bev_mut(*bev);
                row.levels = *levels;
                row.input_peak = row.input_peak.max(levels.input);
                row.output_peak = row.output_peak.max(levels.output);
            }
            Body::BevEvent { bev, events } => {
                let row = self.bev_mut(*bev);
                row.last_events = *events;
                if events.contains(BevEvents::CONNECTED) {
                    row.connected = true;
                }
                if events.contains(BevEvents::EOF) {
                    row.eof = true;
                }
                if events.contains(BevEvents::ERROR) {
                    row.error = true;
                }
            }
            Body::BevFree { bev } => self.bev_mut(*bev).freed = true,
            Body::Accept { .. } => self.accepts += 1,
            Body::Note { .. } => self.last_note = Some(index),
            Body::Dropped { count } => self.dropped += count,
            Body::BaseNew { .. } => {}
        }
    }

    /// The rows of `events` and `bevs` (ids; those it does not hold are left out) and the
    /// figures: what [`Snapshot::catch_up`] needs to bring the snapshot of an earlier position
    /// here, when only those rows changed in between.
    pub fn changes(&self, events: &[u64], bevs: &[u64]) -> Changes {
        fn pick<R: Clone>(ids: &[u64], map: &BTreeMap<u64, R>) -> Box<[R]> {
            ids.iter().filter_map(|id| map.get(id).cloned()).collect()
        }
        Changes {
            figures: self.figures(),
            events: pick(events, &self.events),
            bevs: pick(bevs, &self.bevs),
        }
    }

    /// Brings this snapshot to the position of `changes`, which hold every row that changed
    /// in between: their figures are taken and their rows put in place (a fold never removes
    /// a row).
    pub fn catch_up(&mut self, changes: &Changes) {
        self.take_figures(&changes.figures);
        for row in &changes.events {
            self.events.insert(row.id, row.clone());
        }
        for row in &changes.bevs {
            self.bevs.insert(row.id, row.clone());
        }
    }

    /// Folds one record in ([`Snapshot::apply`]), keeping what it changed, so that
    /// [`Snapshot::take_back`] can undo it.
    pub fn apply_keeping(&mut self, index: usize, r: &Record) -> Undo {
        let figures = self.figures();
        let row = match (r.body.ev(), r.body.bev()) {
            (Some(ev), _) => Prior::Event(ev, self.events.get(&ev).cloned()),
            (_, Some(bev)) => Prior::Bev(bev, self.bevs.get(&bev).cloned()),
            _ => Prior::Nothing,
        };
        self.apply(index, r);
        Undo { figures, row }
    }

    /// Undoes the last record folded in, `undo` being what [`Snapshot::apply_keeping`] kept
    /// of it.
    pub fn take_back(&mut self, undo: &Undo) {
        self.take_figures(&undo.figures);
        match &undo.row {
            Prior::Nothing => {}
            Prior::Event(id, Some(row)) => {
                self.events.insert(*id, row.clone());
            }
            Prior::Event(id, None) => {
                self.events.remove(id);
            }
            Prior::Bev(id, Some(row)) => {
                self.bevs.insert(*id, row.clone());
            }
            Prior::Bev(id, None) => {
                self.bevs.remove(id);
            }
        }
    }

    /// Takes `other`'s figures, keeping these rows.
    fn take_figures(&mut self, other: &Snapshot) {
        let events = std::mem::take(&mut self.events);
        let bevs = std::mem::take(&mut self.bevs);
        *self = Snapshot {
            events,
            bevs,
            ..other.figures()
        };
    }

    /// Everything but the rows.
    fn figures(&self) -> Snapshot {
        let Snapshot {
            applied,
            seq,
            t_us,
            events: _,
            counts,
            last_transition,
            bevs: _,
            iteration,
            phase,
            this_iteration,
            accepts,
            dropped,
            last_note,
            anomalies,
        } = self;
        Snapshot {
            applied: *applied,
            seq: *seq,
            t_us: *t_us,
            events: BTreeMap::new(),
            counts: *counts,
            last_transition: *last_transition,
            bevs: BTreeMap::new(),
            iteration: *iteration,
            phase: *phase,
            this_iteration: *this_iteration,
            accepts: *accepts,
            dropped: *dropped,
            last_note: *last_note,
            anomalies: *anomalies,
        }
    }

    fn bev_mut(&mut self, bev: u64) -> &mut BevRow {
        if !self.bevs.contains_key(&bev) && self.dropped == 0 {
            self.anomalies += 1;
        }
        self.bevs.entry(bev).or_insert_with(|| BevRow {
            id: bev,
            ..BevRow::default()
        })
    }
}
