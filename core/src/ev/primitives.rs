//! The named primitives through which every state change passes (libevent's
//! `event_queue_insert_*` / `event_queue_remove_*`): each checks its precondition, flips one
//! flag, updates one container, and [`EventBase::sync_state`] tells the observer.

use std::os::fd::RawFd;
use std::time::Instant;

use super::base::EventBase;
use super::error::Result;
use super::flags::What;
use super::handle::EventId;
use super::signal::Signals;
use super::state::{Cause, State};

impl EventBase {
    /// The one place a displayed state changes: derive the state from the flags, and tell the
    /// observer if it moved.
    pub(super) fn sync_state(&mut self, slot: u32, cause: Cause) {
        self.update_live(slot);
        let generation = self.events.generation(slot);
        let ev = self.data_mut(slot);
        let to = ev.derived_state();
        let from = ev.state;
        if from == to {
            return;
        }
        debug_assert!(from.can_go_to(to), "illegal transition {from} -> {to}");
        ev.state = to;
        let fd = ev.fd;
        self.tell_transition(EventId::new(slot, generation), fd, from, to, cause);
    }

    pub(super) fn tell_transition(
        &mut self,
        id: EventId,
        fd: Option<RawFd>,
        from: State,
        to: State,
        cause: Cause,
    ) {
        if let Some(o) = self.observer.as_deref_mut() {
            o.transition(id, fd, from, to, cause);
        }
    }

    /// Keeps `n_live` (libevent's `event_count`) equal to the number of live events.
    pub(super) fn update_live(&mut self, slot: u32) {
        self.update_counts(slot);
        let ev = self.data_mut(slot);
        let live = ev.is_live();
        if live != ev.counted_live {
            ev.counted_live = live;
            if live {
                self.n_live += 1;
            } else {
                self.n_live -= 1;
            }
        }
    }

    /// `event_queue_insert_inserted` for an fd event: register its interest with the backend.
    pub(super) fn insert_io(&mut self, slot: u32, fd: RawFd) -> Result<()> {
        let interest = self.data(slot).io_interest();
        let (old, new) = self.io.with_added(fd, interest);
        if old != new {
            self.backend.update(fd, old, new)?;
        }
        self.io.add(fd, slot, interest);
        self.data_mut(slot).inserted = true;
        Ok(())
    }

    /// `event_queue_insert_inserted` for a signal event.
    pub(super) fn insert_signal(&mut self, slot: u32, sig: libc::c_int) -> Result<()> {
        if self.signals.is_none() {
            let signals = Signals::new()?;
            let (old, new) = self.io.with_added(signals.read_fd(), What::READ);
            self.backend.update(signals.read_fd(), old, new)?;
            self.signals = Some(signals);
        }
        if let Some(signals) = self.signals.as_mut() {
            signals.add(sig, slot)?;
        }
        self.data_mut(slot).inserted = true;
        Ok(())
    }

    /// `event_queue_remove_inserted`: stop watching the fd or signal, as the loop does for an
    /// event that fired or timed out. A backend's refusal is warned of (libevent ignores the
    /// result of that `event_del`); the event is no longer inserted either way.
    pub(super) fn remove_inserted(&mut self, slot: u32) {
        let removed = self.try_remove_inserted(slot);
        self.warn_on("event_del", removed);
    }

    pub(super) fn try_remove_inserted(&mut self, slot: u32) -> Result<()> {
        let ev = self.data(slot);
        if !ev.inserted {
            return Ok(());
        }
        let fd = ev.fd.unwrap_or(-1);
        let is_signal = ev.what.contains(What::SIGNAL);
        self.data_mut(slot).inserted = false;
        if is_signal {
            if let Some(signals) = self.signals.as_mut() {
                signals.remove(fd, slot)?;
            }
        } else {
            let (old, new) = self.io.remove(fd, slot);
            if old != new {
                self.backend.update(fd, old, new)?;
            }
        }
        Ok(())
    }

    /// `event_queue_insert_timeout`: arm (or re-arm) the timer.
    pub(super) fn queue_insert_timeout(&mut self, slot: u32, deadline: Instant) {
        self.timers.insert(slot, deadline);
        let ev = self.data_mut(slot);
        ev.timer_armed = true;
        ev.deadline = Some(deadline);
    }

    /// `event_queue_remove_timeout`: disarm the timer.
    pub(super) fn queue_remove_timeout(&mut self, slot: u32) {
        let ev = self.data_mut(slot);
        if ev.timer_armed {
            ev.timer_armed = false;
            self.timers.remove(slot);
        }
    }

    /// `event_queue_insert_active`: queue the event to run with `res`, or add `res` to its
    /// queued activation.
    pub(super) fn queue_insert_active(&mut self, slot: u32, res: What, ncalls: u32) {
        let ev = self.data_mut(slot);
        ev.ncalls = ev.ncalls.saturating_add(ncalls);
        match ev.active.as_mut() {
            Some(queued) => *queued |= res,
            None => {
                ev.active = Some(res);
                ev.active_token = ev.active_token.wrapping_add(1);
                let entry = (slot, ev.active_token);
                let priority = (ev.priority as usize).min(self.active.len() - 1);
                self.n_active += 1;
                self.active[priority].push_back(entry);
                self.note_activation(priority);
            }
        }
    }

    /// `event_queue_remove_active`: take the event off the active queue (its queue entry goes
    /// stale and is skipped).
    pub(super) fn queue_remove_active(&mut self, slot: u32) {
        let ev = self.data_mut(slot);
        if ev.active.take().is_some() {
            ev.ncalls = 0;
            self.n_active -= 1;
        }
    }

    pub(super) fn remove_everywhere(&mut self, slot: u32) -> Result<()> {
        self.queue_remove_active(slot);
        self.queue_remove_timeout(slot);
        self.try_remove_inserted(slot)
    }
}
