//! libevent's event counts (`event_base_get_num_events`, `event_base_get_max_events`): how
//! many events are added and active now, and the most there have been.
//!
//! libevent counts each list an event is on: an event that is inserted and has a timeout
//! counts twice in `event_count`, once more while it is active. Deferred callbacks (a
//! bufferevent's, `event_base_loopexit`'s one-shot) count as active events, and a pending
//! `loopexit` timer as an added one, since libevent makes each of them an event.

use super::base::EventBase;

/// Which of libevent's counts (`EVENT_BASE_COUNT_*`); they can be summed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CountKind {
    /// `EVENT_BASE_COUNT_ACTIVE`: callbacks queued to run.
    pub active: bool,
    /// `EVENT_BASE_COUNT_VIRTUAL`: virtual events (none on this platform).
    pub virtual_: bool,
    /// `EVENT_BASE_COUNT_ADDED`: one per list (inserted, timeout, active) each event is on.
    pub added: bool,
}

impl CountKind {
    /// From the C flags `EVENT_BASE_COUNT_ACTIVE` (1), `_VIRTUAL` (2), `_ADDED` (4).
    pub const fn from_bits(bits: u32) -> CountKind {
        CountKind {
            active: bits & 1 != 0,
            virtual_: bits & 2 != 0,
            added: bits & 4 != 0,
        }
    }
}

/// The counts the slots add up to, and the maxima of the totals.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EventCounts {
    /// Sum of the slots' `counted_added`.
    slots_added: usize,
    /// Slots counted active.
    slots_active: usize,
    added_max: usize,
    active_max: usize,
}

impl EventBase {
    /// Keeps the slot's part of the counts equal to its lists (called from `update_live`,
    /// after every state change), and the maxima up to date.
    pub(super) fn update_counts(&mut self, slot: u32) {
        let ev = self.data_mut(slot);
        let added =
            u8::from(ev.inserted) + u8::from(ev.timer_armed) + u8::from(ev.active.is_some());
        let active = ev.active.is_some();
        let (old_added, old_active) = (ev.counted_added, ev.counted_active);
        ev.counted_added = added;
        ev.counted_active = active;
        let c = &mut self.counts;
        c.slots_added = c.slots_added + usize::from(added) - usize::from(old_added);
        c.slots_active = c.slots_active + usize::from(active) - usize::from(old_active);
        if added > old_added || (active && !old_active) {
            self.note_counts();
        }
    }

    /// Raises the maxima to the current totals after a count went up (libevent takes its
    /// maxima as counts increase only: a maximum cleared stays 0 while counts fall).
    pub(super) fn note_counts(&mut self) {
        let (added, active) = (self.added_now(), self.active_now());
        let c = &mut self.counts;
        c.added_max = c.added_max.max(added);
        c.active_max = c.active_max.max(active);
    }

    fn deferred_now(&self) -> usize {
        self.deferred.len() + self.deferred_later.len()
    }

    fn added_now(&self) -> usize {
        self.counts.slots_added + self.deferred_now() + self.exit_at.len()
    }

    fn active_now(&self) -> usize {
        self.counts.slots_active + self.deferred_now()
    }

    /// libevent's `event_base_get_num_events`: the sum of the counts `kind` names.
    pub fn get_num_events(&self, kind: CountKind) -> usize {
        let mut n = 0;
        if kind.active {
            n += self.active_now();
        }
        if kind.added {
            n += self.added_now();
        }
        n
    }

    /// libevent's `event_base_get_max_events`: the sum of the maxima `kind` names, each reset
    /// to 0 (not to the current count, as libevent does) when `clear` is set.
    pub fn get_max_events(&mut self, kind: CountKind, clear: bool) -> usize {
        let mut n = 0;
        let c = &mut self.counts;
        if kind.active {
            n += c.active_max;
            if clear {
                c.active_max = 0;
            }
        }
        if kind.added {
            n += c.added_max;
            if clear {
                c.added_max = 0;
            }
        }
        n
    }
}
