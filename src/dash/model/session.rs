//! What the dashboard is looking at: one timeline and a cursor into it per base of the trace,
//! one base shown at a time.

use super::{ReadError, Snapshot, Timeline, Undo};
use crate::trace::{Body, Header, Record};

/// Records `0..pos` of the shown base's timeline have been folded. A process with several
/// bases (memcached: a listener base and one per worker thread) has one timeline per base;
/// [`Session::next_base`] switches between them, each keeping its own cursor.
#[derive(Clone, Debug)]
pub struct Session {
    bases: Vec<BaseView>,
    /// Index into `bases` of the base shown.
    shown: usize,
    /// Records of a trace of several bases that could not be read back when it was split.
    lost: Option<ReadError>,
}

/// One base of the trace: its timeline and the cursor into it.
#[derive(Clone, Debug)]
struct BaseView {
    info: BaseInfo,
    timeline: Timeline,
    pos: usize,
    snap: Snapshot,
    /// The cursor goes no further back than this: a live view that skipped records starts its
    /// history again at the skip.
    floor: usize,
    /// Snapshots at block starts (multiples of `Timeline::EVERY`) the cursor was in, where the
    /// timeline keeps no checkpoint (they are sparse when the program has thousands of events):
    /// a step back in the same block starts from one, not from the checkpoint caught up with
    /// the changes since. At most [`MARKS`].
    marks: Vec<Snapshot>,
    /// What each record from `undo_from` up to the cursor changed (`Snapshot::apply_keeping`),
    /// while `snap` is right after the last of them: a step back takes the last one back
    /// instead of folding from the block's start again. Empty when not kept (a live view
    /// following the program keeps none); at most [`UNDO`].
    undo: Vec<Undo>,
    undo_from: usize,
    /// Where the next step back that `undo` cannot take goes, made while the screen waited
    /// ([`BaseView::prepare`]).
    prepared: Option<Box<Made>>,
}

/// A cursor's state made away from the cursor: the snapshot at `pos`, and what the records
/// from `undo_from` up to it changed.
#[derive(Clone, Debug)]
struct Made {
    pos: usize,
    snap: Snapshot,
    undo: Vec<Undo>,
    undo_from: usize,
}

/// Block-start snapshots a base view keeps.
const MARKS: usize = 16;

/// Most records a base view keeps the changes of, for stepping back.
const UNDO: usize = 2 * Timeline::EVERY;

/// Records before the cursor whose changes a seek keeps (the rest of the way back to the
/// block's start is folded without keeping them: a long walk back folds again every `KEEP`
/// steps, a seek pays little for it).
const KEEP: usize = 256;

/// What the trace says of a base, for the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseInfo {
    /// Its id in the trace (0: the header's base).
    pub id: u32,
    /// Its backend.
    pub backend: String,
    /// The thread last seen running it (or that made it), when known.
    pub thread: Option<u64>,
}

impl BaseView {
    fn new(info: BaseInfo, timeline: Timeline) -> BaseView {
        BaseView {
            info,
            timeline,
            pos: 0,
            snap: Snapshot::default(),
            floor: 0,
            marks: Vec::new(),
            undo: Vec::new(),
            undo_from: 0,
            prepared: None,
        }
    }

    fn at_end(&self) -> bool {
        self.pos == self.timeline.len()
    }

    fn seek(&mut self, pos: usize) {
        let pos = pos.min(self.timeline.len()).max(self.floor);
        let kept = self.kept();
        if kept && pos < self.pos && pos >= self.undo_from && self.snap.applied == self.pos {
            // Back within what is kept: take the records back, newest first.
            for undo in self.undo.drain(pos - self.undo_from..).rev() {
                self.snap.take_back(&undo);
            }
        } else if pos >= self.pos && pos - self.pos < Timeline::EVERY {
            if kept && self.undo.len() + (pos - self.pos) <= UNDO {
                self.timeline
                    .fold_keeping(&mut self.snap, pos, &mut self.undo);
            } else {
                self.undo.clear();
                self.timeline.fold(&mut self.snap, pos);
            }
        } else if pos == self.timeline.len() {
            self.undo.clear();
            self.snap = self.timeline.snapshot_at(pos);
        } else {
            let made = match self.prepared.take() {
                Some(p) if p.pos == pos => *p,
                _ => self.made_at(pos),
            };
            self.snap = made.snap;
            self.undo = made.undo;
            self.undo_from = made.undo_from;
        }
        self.pos = pos;
    }

    /// True when `undo` holds what the records just before `snap` changed.
    fn kept(&self) -> bool {
        !self.undo.is_empty() && self.undo_from + self.undo.len() == self.snap.applied
    }

    /// While the screen waits for the next key: makes what the next step back needs when what
    /// is kept cannot take it (the step that crosses into the block before, with thousands of
    /// events, folds a whole block from a snapshot that is itself costly to copy). Nothing at
    /// the end of a live view (it moves on) or when made already.
    fn prepare(&mut self) {
        if self.at_end() {
            return;
        }
        let kept = self.kept() && self.snap.applied == self.pos;
        let reach = if kept { self.undo_from } else { self.pos };
        let Some(target) = reach.checked_sub(1).filter(|&t| t >= self.floor) else {
            return;
        };
        if self.prepared.as_ref().is_none_or(|p| p.pos != target) {
            let made = self.made_at(target);
            self.prepared = Some(Box::new(made));
        }
    }

    /// The state at `pos` (before the end): the snapshot at its block's start (a mark, or the
    /// timeline's, kept as a mark when it is not a checkpoint), then the records after it,
    /// keeping what the last [`KEEP`] of them changed.
    fn made_at(&mut self, pos: usize) -> Made {
        let start = pos / Timeline::EVERY * Timeline::EVERY;
        let mut snap = match self.marks.iter().find(|m| m.applied == start) {
            Some(mark) => mark.clone(),
            None => {
                let snap = self.timeline.block_start(start);
                if !self.timeline.has_checkpoint_at(start) {
                    if self.marks.len() == MARKS {
                        // Drop the one farthest from where the cursor goes.
                        let far = self
                            .marks
                            .iter()
                            .enumerate()
                            .max_by_key(|(_, m)| m.applied.abs_diff(pos));
                        if let Some((i, _)) = far {
                            self.marks.swap_remove(i);
                        }
                    }
                    self.marks.push(snap.clone());
                }
                snap
            }
        };
        // What the last records before `pos` changed is kept; further back, a step folds
        // from the block's start again, keeping the records before that.
        let keep_from = pos.saturating_sub(KEEP).max(start);
        self.timeline.fold(&mut snap, keep_from);
        let mut undo = Vec::new();
        self.timeline.fold_keeping(&mut snap, pos, &mut undo);
        Made {
            pos,
            snap,
            undo,
            undo_from: keep_from,
        }
    }

    /// Makes the next step from the cursor quick either way: the records it may step to are
    /// decoded ahead on a background thread, except, at a block start, the block before: that
    /// is decoded now (a seek may take milliseconds, a step back should not).
    fn ready_to_step(&self) {
        if self.pos > self.floor && self.pos.is_multiple_of(Timeline::EVERY) {
            let _ = self.timeline.record(self.pos - 1);
        }
        self.timeline.prefetch(self.pos);
    }

    fn push(&mut self, r: Record, follow: bool) {
        match &r.body {
            Body::LoopIteration {
                thread: Some(t), ..
            } => self.info.thread = Some(*t),
            Body::BaseNew {
                backend, thread, ..
            } => {
                self.info.backend.clone_from(backend);
                self.info.thread = Some(*thread);
            }
            _ => {}
        }
        let was_end = self.at_end();
        self.timeline.push(r);
        if follow && was_end {
            self.seek(self.timeline.len());
        }
    }
}

impl Session {
    /// A session at the start of `timeline`; a timeline of several bases' records is split
    /// into one per base, base 0 shown.
    pub fn new(timeline: Timeline) -> Session {
        if timeline.only_base_0() {
            let info = BaseInfo {
                id: 0,
                backend: timeline.header().backend.clone(),
                thread: timeline.header().thread,
            };
            return Session {
                bases: vec![BaseView::new(info, timeline)],
                shown: 0,
                lost: None,
            };
        }
        let (header, records) = timeline.into_parts();
        let mut s = Session::new(Timeline::new(header));
        for r in records {
            match r {
                Ok(r) => s.push(r, false),
                Err(e) => s.lost = Some(e),
            }
        }
        s
    }

    /// The first records of the history that could not be read back (a damaged block in
    /// memory or in the temporary file), if any: what is shown stops before them.
    pub fn read_error(&self) -> Option<ReadError> {
        let held = || self.bases.iter().find_map(|b| b.timeline.read_error());
        self.lost.clone().or_else(held)
    }

    /// Records as if lost when the trace was split (for tests of how a loss is shown).
    #[cfg(test)]
    pub(crate) fn lose(&mut self, e: ReadError) {
        self.lost = Some(e);
    }

    /// The shown base's view.
    fn view(&self) -> &BaseView {
        &self.bases[self.shown]
    }

    fn view_mut(&mut self) -> &mut BaseView {
        &mut self.bases[self.shown]
    }

    /// The shown base's timeline.
    pub fn timeline(&self) -> &Timeline {
        &self.view().timeline
    }

    /// Replaces base 0's header (a live link reads it after the session started).
    pub fn set_header(&mut self, header: Header) {
        let base0 = &mut self.bases[0];
        base0.info.backend.clone_from(&header.backend);
        base0.info.thread = header.thread;
        base0.timeline.set_header(header);
    }

    /// How many records of the shown base are shown as applied.
    pub fn pos(&self) -> usize {
        self.view().pos
    }

    /// The snapshot at the shown base's cursor.
    pub fn snapshot(&self) -> &Snapshot {
        &self.view().snap
    }

    /// True when the shown base's cursor is after its last record.
    pub fn at_end(&self) -> bool {
        self.view().at_end()
    }

    /// Moves the shown base's cursor to `pos` (clamped). Forward by less than a checkpoint
    /// interval folds the records in between; anything else restores the nearest checkpoint
    /// and folds from it.
    pub fn seek(&mut self, pos: usize) {
        let view = self.view_mut();
        view.seek(pos);
        view.ready_to_step();
    }

    /// Makes ahead, while the screen waits for the next key, what the next step back from the
    /// shown base's cursor needs, so that the step itself stays quick.
    pub fn prepare_step_back(&mut self) {
        self.view_mut().prepare();
    }

    /// Adds a record at the end of its base's timeline (live sessions), making the base's
    /// timeline when it is the first record of that base. A cursor at the end stays at the
    /// end only if `follow` is set.
    pub fn push(&mut self, r: Record, follow: bool) {
        let i = match self.bases.iter().position(|b| b.info.id == r.base) {
            Some(i) => i,
            None => {
                let mut header = self.bases[0].timeline.header().clone();
                if let Body::BaseNew { backend, .. } = &r.body {
                    header.backend.clone_from(backend);
                }
                let info = BaseInfo {
                    id: r.base,
                    backend: String::new(),
                    thread: None,
                };
                self.bases.push(BaseView::new(info, Timeline::new(header)));
                self.bases.len() - 1
            }
        };
        self.bases[i].push(r, follow);
    }

    /// A live view skipped records of `base` (its last record says how many): stepping back now
    /// stops just after that record, where the history held again starts; a cursor before it
    /// moves there. (A first record that says so stands for history trimmed before the viewer
    /// joined: there is nothing before it anyway.)
    pub fn start_at_skip(&mut self, base: u32) {
        let found = self.bases.iter_mut().find(|b| b.info.id == base);
        if let Some(view) = found.filter(|v| v.timeline.len() > 1) {
            view.floor = view.timeline.len();
            if view.pos < view.floor {
                view.seek(view.floor);
            }
        }
    }

    /// The first position the shown base's cursor can reach (0, or just after a live skip).
    pub fn floor(&self) -> usize {
        self.view().floor
    }

    /// How many bases the trace has shown so far.
    pub fn bases(&self) -> usize {
        self.bases.len()
    }

    /// The shown base: its place among the bases (0-based) and what is known of it.
    pub fn shown_base(&self) -> (usize, &BaseInfo) {
        (self.shown, &self.view().info)
    }

    /// Shows the next base (after the last, the first again), at the same moment: at its end
    /// when the base shown was at its end (a live view following the program), otherwise after
    /// its last record made by the moment shown. True if the shown base changed.
    pub fn next_base(&mut self) -> bool {
        let before = self.shown;
        let at_end = self.at_end();
        let now = (self.pos() > 0).then(|| self.snapshot().t_us);
        self.shown = (self.shown + 1) % self.bases.len();
        let view = self.view_mut();
        if at_end {
            view.seek(view.timeline.len());
        } else if let Some(t) = now {
            let pos = view.timeline.position_at_time(t);
            view.seek(pos);
            view.ready_to_step();
        }
        self.shown != before
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_traces::varied;
    use super::*;
    use crate::ev::{State, What};

    /// 400 events made, then transitions of them in turn: a snapshot too big for a checkpoint
    /// every block.
    fn many_events(n: usize) -> Timeline {
        let mut t = Timeline::new(Header::new("epoll", "test"));
        let body = |i: usize| -> Body {
            let ev = (i % 400) as u64;
            if i < 400 {
                Body::EventNew {
                    ev,
                    fd: None,
                    what: What::READ,
                    label: format!("ev{ev}"),
                }
            } else {
                let up = (i / 400) % 2 == 1;
                let (from, to) = if up {
                    (State::New, State::Pending)
                } else {
                    (State::Pending, State::New)
                };
                Body::Transition {
                    ev,
                    fd: None,
                    from,
                    to,
                    cause: "test".to_string().into(),
                }
            }
        };
        for i in 0..n {
            t.push(Record {
                seq: i as u64 + 1,
                t_us: i as u64,
                base: 0,
                body: body(i),
            });
        }
        t
    }

    #[test]
    fn any_walk_of_steps_and_jumps_shows_the_fold_from_the_start() {
        let n = 6 * Timeline::EVERY + 300;
        let t = varied(n);
        let mut s = Session::new(t.clone());
        let mut rng = 12345u64;
        for step in 0..400 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (rng >> 33) as usize;
            let p = s.pos();
            let to = match r % 10 {
                0..=3 => p.saturating_sub(1),
                4 => p.saturating_sub(1 + r % 40),
                5 | 6 => p + 1,
                7 => p + r % 30,
                8 => (p / Timeline::EVERY) * Timeline::EVERY,
                _ => r % n,
            };
            if r.is_multiple_of(3) {
                // The screen waited for the next key.
                s.prepare_step_back();
            }
            s.seek(to);
            let mut want = Snapshot::default();
            t.fold(&mut want, s.pos());
            assert_eq!(s.snapshot(), &want, "step {step}: to {to}");
        }
        assert!(s.bases[0].undo.len() <= UNDO);
        // A long walk back, past what a seek keeps, and across two block starts.
        s.seek(3 * Timeline::EVERY + 700);
        for step in 0..1500usize {
            if step.is_multiple_of(2) {
                s.prepare_step_back();
            }
            s.seek(s.pos() - 1);
            if step % 7 == 0 || s.pos() % Timeline::EVERY > Timeline::EVERY - 3 {
                let mut want = Snapshot::default();
                t.fold(&mut want, s.pos());
                assert_eq!(s.snapshot(), &want, "back at {}", s.pos());
            }
        }
    }

    #[test]
    fn the_step_into_the_block_before_is_made_while_waiting() {
        let t = varied(6 * Timeline::EVERY + 300);
        let mut s = Session::new(t.clone());
        let start = 4 * Timeline::EVERY;
        s.seek(start + 3);
        s.prepare_step_back();
        assert_eq!(s.bases[0].prepared.as_ref().map(|p| p.pos), Some(start - 1));
        for _ in 0..4 {
            s.seek(s.pos() - 1);
        }
        assert_eq!(s.pos(), start - 1);
        assert!(s.bases[0].prepared.is_none(), "taken");
        let mut want = Snapshot::default();
        t.fold(&mut want, start - 1);
        assert_eq!(s.snapshot(), &want);
        // And the steps after it take back what it kept.
        s.seek(start - 5);
        let mut want = Snapshot::default();
        t.fold(&mut want, start - 5);
        assert_eq!(s.snapshot(), &want);
    }

    #[test]
    fn a_seek_to_a_block_start_has_the_block_before_decoded_at_once() {
        let t = many_events(20 * Timeline::EVERY + 100);
        let mut s = Session::new(t);
        assert!(!s.timeline().block_is_decoded(3));
        s.seek(4 * Timeline::EVERY);
        // Without waiting for the background thread: the seek itself decoded it.
        assert!(s.timeline().block_is_decoded(3));
        s.seek(5 * Timeline::EVERY + 1);
        assert_eq!(s.pos(), 5 * Timeline::EVERY + 1);
    }

    #[test]
    fn stepping_back_over_sparse_checkpoints_gives_the_fold_from_the_start() {
        let n = 12 * Timeline::EVERY + 100;
        let t = many_events(n);
        let from_start = |pos: usize| {
            let mut snap = Snapshot::default();
            t.fold(&mut snap, pos);
            snap
        };
        assert!(
            t.checkpoint_before(Timeline::EVERY).applied == 0,
            "the checkpoints are sparse"
        );
        let mut s = Session::new(t.clone());
        s.seek(9 * Timeline::EVERY + 3);
        assert_eq!(s.snapshot(), &from_start(9 * Timeline::EVERY + 3));
        for _ in 0..2 * Timeline::EVERY + 10 {
            let p = s.pos() - 1;
            s.seek(p);
            let near_boundary = (p + 1) % Timeline::EVERY < 3;
            if p.is_multiple_of(97) || near_boundary {
                assert_eq!(s.snapshot(), &from_start(p), "at {p}");
            }
        }
        assert!(s.bases[0].marks.len() <= MARKS);
        s.seek(5);
        assert_eq!(s.snapshot(), &from_start(5));
    }
}
