//! A timeline and a cursor into it: the position the screen shows and the snapshot there.

use super::{Snapshot, Timeline};

/// What the dashboard is looking at: records `0..pos` of the timeline have been folded.
#[derive(Clone, Debug)]
pub struct Session {
    timeline: Timeline,
    pos: usize,
    snap: Snapshot,
}

impl Session {
    /// A session at the start of `timeline`.
    pub fn new(timeline: Timeline) -> Session {
        Session {
            timeline,
            pos: 0,
            snap: Snapshot::default(),
        }
    }

    /// The timeline.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Replaces the timeline's header.
    pub fn set_header(&mut self, header: crate::trace::Header) {
        self.timeline.set_header(header);
    }

    /// How many records are shown as applied.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The snapshot at the cursor.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// True when the cursor is after the last record.
    pub fn at_end(&self) -> bool {
        self.pos == self.timeline.len()
    }

    /// Moves the cursor to `pos` (clamped). Forward by less than a checkpoint interval folds
    /// the records in between; anything else restores the nearest checkpoint and folds from it.
    pub fn seek(&mut self, pos: usize) {
        let pos = pos.min(self.timeline.len());
        if pos >= self.pos && pos - self.pos < Timeline::EVERY {
            self.timeline.fold(&mut self.snap, pos);
        } else {
            self.snap = self.timeline.snapshot_at(pos);
        }
        self.pos = pos;
    }

    /// Adds a record at the end (live sessions). A cursor at the end stays at the end only if
    /// `follow` is set.
    pub fn push(&mut self, r: crate::trace::Record, follow: bool) {
        let was_end = self.at_end();
        self.timeline.push(r);
        if follow && was_end {
            self.seek(self.timeline.len());
        }
    }
}
