//! All records of a session, with checkpoints: snapshots taken every [`Timeline::EVERY`] records
//! (or less often when the program has so many events that a snapshot every `EVERY` records
//! would cost more than [`CHECKPOINT_BUDGET`] bytes per record; each block start without one
//! keeps the rows that changed in the block before it), so the state at any position is the
//! snapshot at its block's start plus the records after it; and the trace layer's explainers, which
//! learn names as records arrive (a name never changes, so what they know at the end serves
//! every position).
//!
//! The records themselves are held compactly in a [`RecordStore`] (compressed blocks, decoded on
//! demand), so a long session costs a few bytes per record.

use std::collections::HashMap;
use std::ops::Range;

use super::positions::Positions;
use super::store::{ReadError, RecordRef, RecordStore, Records};
use super::{Changes, Lang, Snapshot, Undo};
use crate::trace::{
    escape_header, escape_record, trimmed_history, Body, Explainer, Header, Record,
};

/// Bytes of checkpoint a record may cost: a checkpoint is taken at the first multiple of
/// [`Timeline::EVERY`] records at which the snapshot's bytes are at most this many per record
/// since the last one.
pub const CHECKPOINT_BUDGET: usize = 32;

/// The records of one trace or live session, in order, and what is needed to seek in them.
#[derive(Clone, Debug)]
pub struct Timeline {
    header: Header,
    records: RecordStore,
    /// The first record (a live session's may stand for a history trimmed before it joined).
    first: Option<Record>,
    /// True while every record is of base 0.
    only_base_0: bool,
    /// Snapshots at multiples of `EVERY` records, in order (`applied` says where; the first
    /// is the empty one).
    checkpoints: Vec<Snapshot>,
    /// At each multiple of `EVERY` records with no checkpoint, in order: the rows that changed
    /// in the block before it, and the figures there, so that the snapshot at any block start
    /// is a checkpoint caught up with the changes since.
    deltas: Vec<Changes>,
    /// The events and the bufferevents the records since the last multiple of `EVERY` touched
    /// (with repeats).
    touched: (Vec<u64>, Vec<u64>),
    /// The snapshot after every record (grows as records are pushed).
    tail: Snapshot,
    /// For each event: the indices of its records (creation, transitions, callbacks).
    history: HashMap<u64, Positions>,
    /// Indices of the `loop_iteration` records.
    iterations: Positions,
    /// Explanations in English and in Chinese (`l` switches between them at any time).
    explainers: [Explainer; 2],
}

impl Timeline {
    /// Records between checkpoints.
    pub const EVERY: usize = 1024;

    /// An empty timeline for the trace `header` describes.
    ///
    /// Text from the trace is escaped as it comes in (`trace::escape_text`), so that no panel
    /// ever draws a control code or a bidi override: they show as `\u{1b}` and the like.
    pub fn new(header: Header) -> Timeline {
        let header = escape_header(header);
        let mut explainers = [Explainer::new(Lang::En), Explainer::new(Lang::Zh)];
        for e in &mut explainers {
            e.learn_header(&header);
        }
        Timeline {
            header,
            explainers,
            records: RecordStore::default(),
            first: None,
            only_base_0: true,
            checkpoints: vec![Snapshot::default()],
            deltas: Vec::new(),
            touched: (Vec::new(), Vec::new()),
            tail: Snapshot::default(),
            history: HashMap::new(),
            iterations: Positions::default(),
        }
    }

    /// A timeline holding `records`.
    pub fn from_records(header: Header, records: impl IntoIterator<Item = Record>) -> Timeline {
        let mut t = Timeline::new(header);
        for r in records {
            t.push(r);
        }
        t
    }

    /// Appends one record, folding it into the tail and taking a checkpoint when due.
    pub fn push(&mut self, r: Record) {
        let r = escape_record(r);
        let index = self.records.len();
        self.tail.apply(index, &r);
        for e in &mut self.explainers {
            e.learn(&r);
        }
        let at = index as u64;
        match &r.body {
            Body::EventNew { ev, .. }
            | Body::Transition { ev, .. }
            | Body::CallbackBegin { ev, .. }
            | Body::CallbackEnd { ev, .. } => self.history.entry(*ev).or_default().push(at),
            Body::LoopIteration { .. } => self.iterations.push(at),
            _ => {}
        }
        if let Some(ev) = r.body.ev() {
            self.touched.0.push(ev);
        } else if let Some(bev) = r.body.bev() {
            self.touched.1.push(bev);
        }
        if index == 0 {
            self.first = Some(r.clone());
        }
        self.only_base_0 &= r.base == 0;
        self.records.push(r);
        let len = self.records.len();
        if len.is_multiple_of(Self::EVERY) {
            let since = self.checkpoints.last().map_or(len, |c| len - c.applied);
            let (events, bevs) = &mut self.touched;
            if self.tail.held_bytes() <= since.saturating_mul(CHECKPOINT_BUDGET) {
                self.checkpoints.push(self.tail.clone());
            } else {
                for ids in [&mut *events, &mut *bevs] {
                    ids.sort_unstable();
                    ids.dedup();
                }
                self.deltas.push(self.tail.changes(events, bevs));
            }
            events.clear();
            bevs.clear();
        }
    }

    /// Replaces the header (a live link reads it after the session started).
    pub fn set_header(&mut self, header: Header) {
        let header = escape_header(header);
        for e in &mut self.explainers {
            e.learn_header(&header);
        }
        self.header = header;
    }

    /// `r` (a record of this timeline) in plain words, in `lang`.
    pub fn explain(&self, r: &Record, lang: Lang) -> String {
        let i = match lang {
            Lang::En => 0,
            Lang::Zh => 1,
        };
        // The first record of a live session may stand for a history trimmed before it joined.
        let first = self.first.as_ref() == Some(r);
        if let Some(text) = first.then(|| trimmed_history(r, 0, lang)).flatten() {
            return text;
        }
        self.explainers[i].explain_only(r)
    }

    /// The header and the records, given up (the rest is derived from them); records that
    /// cannot be read back end them with the error.
    pub fn into_parts(self) -> (Header, impl Iterator<Item = Result<Record, ReadError>>) {
        (self.header, self.records.into_records())
    }

    /// True when every record is of base 0.
    pub fn only_base_0(&self) -> bool {
        self.only_base_0
    }

    /// The trace's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record `i` (dereferences to a [`Record`]), if there is one.
    pub fn record(&self, i: usize) -> Option<RecordRef<'_>> {
        self.records.get(i)
    }

    /// Every record, in order.
    pub fn records(&self) -> Records<'_> {
        self.records.range(0..self.records.len())
    }

    /// The records at positions `range` (clamped to the length), in order.
    pub fn range(&self, range: Range<usize>) -> Records<'_> {
        self.records.range(range)
    }

    /// The position just after the last record made at or before `t_us` (a base's records
    /// are in time order).
    pub fn position_at_time(&self, t_us: u64) -> usize {
        self.records.partition_by_time(t_us)
    }

    /// The first records that could not be read back (their block in memory or in the
    /// temporary file was damaged), if any.
    pub fn read_error(&self) -> Option<ReadError> {
        self.records.error()
    }

    /// Has the records a cursor at `pos` may step to next decoded ahead, off this thread.
    pub fn prefetch(&self, pos: usize) {
        self.records.prefetch(pos);
    }

    /// True when the records of block `k` (positions `k * EVERY..`) are decoded and kept.
    #[cfg(test)]
    pub(crate) fn block_is_decoded(&self, k: usize) -> bool {
        self.records.is_decoded(k)
    }

    /// Bytes of records moved to the temporary file (not held in memory).
    pub fn spilled_bytes(&self) -> u64 {
        self.records.spilled_bytes()
    }

    /// Bytes this timeline holds: the records (compressed), the checkpoints and the indexes
    /// (an estimate from the containers' sizes; the explainers' names are not counted).
    pub fn held_bytes(&self) -> usize {
        let history: usize = self
            .history
            .values()
            .map(|v| v.held_bytes() + std::mem::size_of::<(u64, Positions)>() + 8)
            .sum();
        self.records.held_bytes()
            + self
                .checkpoints
                .iter()
                .map(Snapshot::held_bytes)
                .sum::<usize>()
            + self.checkpoints.capacity() * std::mem::size_of::<Snapshot>()
            + self.deltas.iter().map(Changes::held_bytes).sum::<usize>()
            + self.deltas.capacity() * std::mem::size_of::<Changes>()
            + self.tail.held_bytes()
            + history
            + self.iterations.held_bytes()
    }

    /// The snapshot after all records.
    pub fn last(&self) -> &Snapshot {
        &self.tail
    }

    /// The snapshot after the first `pos` records (clamped to the length): the snapshot at
    /// the start of its block, then the records after it.
    pub fn snapshot_at(&self, pos: usize) -> Snapshot {
        let pos = pos.min(self.records.len());
        if pos == self.records.len() {
            return self.tail.clone();
        }
        let mut snap = self.block_start(pos);
        self.fold(&mut snap, pos);
        snap
    }

    /// The checkpoint nearest before or at `pos` (the empty snapshot at worst).
    pub fn checkpoint_before(&self, pos: usize) -> &Snapshot {
        let at = self.checkpoints.partition_point(|c| c.applied <= pos);
        &self.checkpoints[at.saturating_sub(1)]
    }

    /// True when the snapshot at `pos` is kept whole (a checkpoint).
    pub fn has_checkpoint_at(&self, pos: usize) -> bool {
        self.checkpoint_before(pos).applied == pos
    }

    /// The snapshot at the start of the block holding position `pos` (the last multiple of
    /// `EVERY` at or before it, clamped to the length): the checkpoint there, or the one before
    /// it caught up with the rows changed in each block since. No record is read.
    pub fn block_start(&self, pos: usize) -> Snapshot {
        let start = pos.min(self.records.len()) / Self::EVERY * Self::EVERY;
        let checkpoint = self.checkpoint_before(start);
        let mut snap = checkpoint.clone();
        let from = self
            .deltas
            .partition_point(|d| d.applied() <= checkpoint.applied);
        let to = self.deltas.partition_point(|d| d.applied() <= start);
        for delta in &self.deltas[from..to] {
            snap.catch_up(delta);
        }
        snap
    }

    /// Brings `snap` forward to `pos` by folding the records between (nothing if it is at or
    /// past `pos`).
    pub fn fold(&self, snap: &mut Snapshot, pos: usize) {
        let pos = pos.min(self.records.len());
        if snap.applied >= pos {
            return;
        }
        for (i, r) in (snap.applied..pos).zip(self.records.range(snap.applied..pos)) {
            snap.apply(i, &r);
        }
    }

    /// [`Timeline::fold`], appending to `undo` what each record folded changed
    /// ([`Snapshot::apply_keeping`]).
    pub fn fold_keeping(&self, snap: &mut Snapshot, pos: usize, undo: &mut Vec<Undo>) {
        let pos = pos.min(self.records.len());
        if snap.applied >= pos {
            return;
        }
        undo.reserve(pos - snap.applied);
        for (i, r) in (snap.applied..pos).zip(self.records.range(snap.applied..pos)) {
            undo.push(snap.apply_keeping(i, &r));
        }
    }

    /// The indices of event `ev`'s records before position `pos`.
    pub fn history(&self, ev: u64, pos: usize) -> Vec<u64> {
        self.history_tail(ev, pos, usize::MAX)
    }

    /// The indices of the last `n` of event `ev`'s records before position `pos`, in order.
    pub fn history_tail(&self, ev: u64, pos: usize, n: usize) -> Vec<u64> {
        self.history
            .get(&ev)
            .map_or_else(Vec::new, |all| all.last_before(pos as u64, n))
    }

    /// The position just after the next `loop_iteration` record at or after `pos`, i.e. with
    /// that iteration's start shown; `None` if there is none.
    pub fn next_iteration(&self, pos: usize) -> Option<usize> {
        let i = self.iterations.first_from(pos as u64)?;
        Some(i as usize + 1)
    }

    /// The position just after the `loop_iteration` record before the one shown at `pos`.
    pub fn prev_iteration(&self, pos: usize) -> Option<usize> {
        // The iterations at `i` with `i + 1 < pos`, i.e. `i < pos - 1`.
        let before = self.iterations.last_before(pos.saturating_sub(1) as u64, 1);
        before.first().map(|&i| i as usize + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_traces::varied;
    use super::*;

    #[test]
    fn every_block_start_without_a_checkpoint_is_the_fold_from_the_start() {
        let t = varied(30 * Timeline::EVERY + 5);
        let mut folded = Snapshot::default();
        let mut caught_up = 0;
        for k in 0..=30 {
            let start = k * Timeline::EVERY;
            t.fold(&mut folded, start);
            caught_up += usize::from(!t.has_checkpoint_at(start));
            assert_eq!(t.block_start(start + 3), folded, "block {k}");
            let mut later = folded.clone();
            t.fold(&mut later, start + 3);
            assert_eq!(t.snapshot_at(start + 3), later, "block {k}");
        }
        assert!(caught_up >= 15, "the checkpoints are sparse: {caught_up}");
        assert!(folded.anomalies > 0 && folded.dropped == 7 && !folded.bevs.is_empty());
        let mut end = folded.clone();
        t.fold(&mut end, t.len());
        assert_eq!(t.snapshot_at(t.len() - 1).applied, t.len() - 1);
        assert_eq!(&end, t.last());
    }
}
