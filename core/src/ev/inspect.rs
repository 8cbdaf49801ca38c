//! libevent's base controls and queries beyond the loop itself: the running event
//! (`event_base_get_running_event`), `event_base_loopcontinue`, the time cache
//! (`event_base_update_cache_time`), and activating every event of an fd or a signal as the
//! backend would (`event_base_active_by_fd`, `event_base_active_by_signal`).

use std::os::fd::RawFd;
use std::time::Instant;

use super::base::EventBase;
use super::flags::What;
use super::handle::EventId;
use super::state::Cause;

impl EventBase {
    /// The event whose callback is running now (libevent's `event_base_get_running_event`);
    /// None outside callbacks, in a finalizer and in deferred callbacks.
    pub fn get_running_event(&self) -> Option<EventId> {
        self.running_event
    }

    /// libevent's `event_base_loopcontinue`: the loop stops running the current priority's
    /// queue after the callback now running, and checks for new events before it runs the
    /// rest. Outside a loop it has no effect (each iteration starts by clearing it).
    pub fn loopcontinue(&mut self) {
        self.event_continue = true;
    }

    /// libevent's `event_base_update_cache_time`: while the loop runs, the cached time becomes
    /// the current time; otherwise nothing changes.
    pub fn update_cache_time(&mut self) {
        if self.running_loop {
            self.time_cache = Some(Instant::now());
        }
    }

    /// The time cached for this loop iteration, if the loop runs (libevent's `tv_cache`).
    pub fn gettimeofday_cached(&self) -> Option<Instant> {
        self.time_cache
    }

    /// libevent's `event_base_active_by_fd`: every event added on `fd` for any of `what`'s
    /// `READ`, `WRITE`, `CLOSED` becomes active for those of them it waits for, newest first,
    /// as when the backend reports the fd ready. With `TIMEOUT` in `what` instead, every event
    /// on `fd` whose timeout is armed becomes active for `TIMEOUT`, soonest first.
    pub fn active_by_fd(&mut self, fd: RawFd, what: What) {
        if what.contains(What::TIMEOUT) {
            let mut armed: Vec<(Instant, u32)> = self
                .event_ids()
                .into_iter()
                .filter_map(|id| {
                    let ev = self.data(id.index());
                    // A pure timer's fd is -1, a signal event's its signal, as in libevent.
                    let is_fd = ev.fd.unwrap_or(-1) == fd;
                    (is_fd && ev.timer_armed && ev.finalizing.is_none())
                        .then(|| (ev.deadline.unwrap_or_else(Instant::now), id.index()))
                })
                .collect();
            armed.sort();
            for (_, slot) in armed {
                self.queue_insert_active(slot, What::TIMEOUT, 1);
                self.sync_state(slot, Cause::Activate);
            }
            return;
        }
        let wanted = what & (What::READ | What::WRITE | What::CLOSED);
        let watching: Vec<u32> = self.io.events(fd).iter().rev().map(|(s, _)| *s).collect();
        for slot in watching {
            let ev = self.data(slot);
            let fired = ev.what & wanted;
            if fired.is_empty() || ev.finalizing.is_some() {
                continue;
            }
            self.queue_insert_active(slot, fired, 1);
            self.sync_state(slot, Cause::Ready(fired));
        }
    }

    /// libevent's `event_base_active_by_signal`: every event added for `sig` becomes active
    /// for `SIGNAL`, newest first, as when the signal arrives once.
    pub fn active_by_signal(&mut self, sig: libc::c_int) {
        let watching = self
            .signals
            .as_ref()
            .map(|s| s.watchers(sig))
            .unwrap_or_default();
        for slot in watching.into_iter().rev() {
            if self.data(slot).finalizing.is_some() {
                continue;
            }
            self.queue_insert_active(slot, What::SIGNAL, 1);
            self.sync_state(slot, Cause::Signal);
        }
    }
}
