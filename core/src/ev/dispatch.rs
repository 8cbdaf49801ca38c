//! The loop (libevent's `event_base_loop`), one function per step of libevent's list: compute
//! the timeout, wait in the backend, activate ready fds, expire timers, run the active queue.

use std::time::{Duration, Instant};

use super::base::{Deferred, EventBase, Exit, DEFERRED, MAX_DEFERREDS_QUEUED};
use super::error::{Error, Result};
use super::flags::{LoopFlags, What};
use super::handle::EventId;
use super::state::{Cause, State};

impl EventBase {
    /// Runs until no events remain, or exit / break (libevent's `event_base_dispatch`).
    pub fn dispatch(&mut self) -> Result<Exit> {
        self.loop_(LoopFlags::NONE)
    }

    /// The loop (libevent's `event_base_loop`). Each iteration reads as libevent's step list:
    /// compute the timeout, wait in the backend, activate ready fds, expire timers, run the
    /// highest-priority active queue.
    pub fn loop_(&mut self, flags: LoopFlags) -> Result<Exit> {
        if self.running_loop {
            return Err(Error::Invalid(
                "the loop is already running (reentrant event_base_loop)".into(),
            ));
        }
        self.running_loop = true;
        self.remote_open();
        // libevent clears event_gotterm and event_break as a loop starts: a loopbreak made
        // before it has no effect. Pending loopexits are events, and stay.
        self.got_exit = false;
        self.got_break
            .store(false, std::sync::atomic::Ordering::Release);
        let result = self.run_loop(flags);
        self.remote_close();
        self.running_loop = false;
        self.time_cache = None;
        result
    }

    pub(super) fn run_loop(&mut self, flags: LoopFlags) -> Result<Exit> {
        loop {
            self.event_continue = false;
            self.n_deferreds_queued = 0;
            if self.got_exit || self.break_requested() {
                return Ok(Exit::Finished);
            }
            let timeout = self.compute_timeout(flags);
            if !flags.contains(LoopFlags::NO_EXIT_ON_EMPTY) && !self.has_events() {
                return Ok(Exit::NoEvents);
            }
            self.iteration += 1;
            if let Some(o) = self.observer.as_deref_mut() {
                o.loop_iteration(self.iteration);
            }
            self.activate_later();
            self.wait_backend(timeout)?;
            self.activate_ready();
            self.expire_timers();
            let mut done = false;
            if self.n_active > 0 {
                let ran = self.process_active();
                done = flags.contains(LoopFlags::ONCE)
                    && self.n_active == 0
                    && self.deferred_later.is_empty()
                    && ran > 0;
            } else if flags.contains(LoopFlags::NONBLOCK) {
                done = true;
            }
            if done {
                return Ok(Exit::Finished);
            }
        }
    }

    /// Stops the loop after `delay`; with no delay, once the callbacks already active have run
    /// (libevent's `event_base_loopexit`). Each call is its own timer, as libevent's one-shot
    /// event is: one the loop did not reach stops the next loop. Called before the loop starts,
    /// it applies to the next loop, which then runs one iteration.
    pub fn loopexit(&mut self, delay: Option<Duration>) {
        match delay {
            None | Some(Duration::ZERO) => self.defer(Deferred::LoopExit),
            Some(delay) => {
                let at = self.now() + delay;
                let i = self.exit_at.partition_point(|t| *t <= at);
                self.exit_at.insert(i, at);
                self.note_counts();
            }
        }
    }

    /// Stops the loop after the callback now running (libevent's `event_base_loopbreak`).
    /// [`EventBase::got_break`] is true at once; a loop that starts later clears it, so a
    /// loopbreak made while no loop runs has no effect.
    pub fn loopbreak(&mut self) {
        self.break_handle().loopbreak();
    }

    /// True when the last loop ended through `loopexit` (libevent's `event_base_got_exit`).
    pub fn got_exit(&self) -> bool {
        self.got_exit
    }

    /// True when the last loop ended through `loopbreak` (libevent's `event_base_got_break`).
    pub fn got_break(&self) -> bool {
        self.break_requested()
    }

    pub(super) fn has_events(&self) -> bool {
        self.n_live > 0
            || !self.deferred.is_empty()
            || !self.deferred_later.is_empty()
            || !self.exit_at.is_empty()
    }

    /// Queues `work` to run from the active queue of the middle priority, after the callbacks
    /// already queued there (libevent's `event_callback_activate_`).
    pub(crate) fn defer(&mut self, work: Deferred) {
        self.deferred.push_back(work);
        let priority = self.active.len() / 2;
        self.active[priority].push_back((DEFERRED, 0));
        self.n_active += 1;
        self.note_activation(priority);
        self.note_counts();
    }

    /// Queues a bufferevent's deferred callback (libevent's `event_deferred_cb_schedule_`): as
    /// [`EventBase::defer`], but past [`MAX_DEFERREDS_QUEUED`] in one iteration it waits for
    /// the next one, so bufferevents that keep rescheduling each other (a pair handing data
    /// over a few bytes at a time) cannot keep the loop from polling.
    pub(crate) fn schedule_deferred(&mut self, work: Deferred) {
        if self.n_deferreds_queued > MAX_DEFERREDS_QUEUED {
            self.deferred_later.push_back(work);
            self.note_counts();
        } else {
            self.n_deferreds_queued += 1;
            self.defer(work);
        }
    }

    /// The deferred callbacks held back in the last iteration join the active queue, before
    /// the backend wait (libevent's `event_queue_make_later_events_active`).
    fn activate_later(&mut self) {
        while let Some(work) = self.deferred_later.pop_front() {
            self.n_deferreds_queued += 1;
            self.defer(work);
        }
    }

    /// An activation at `priority` while a lower priority's queue runs stops that queue, so the
    /// higher priority runs next (libevent's `event_continue`).
    pub(super) fn note_activation(&mut self, priority: usize) {
        if self
            .running_priority
            .is_some_and(|running| priority < running)
        {
            self.event_continue = true;
        }
    }

    /// Runs the oldest deferred callback.
    fn run_deferred(&mut self) {
        self.n_active -= 1;
        match self.deferred.pop_front() {
            Some(Deferred::FinalizeBev(id)) => self.bev_destroy(id),
            Some(Deferred::BevCallbacks(id)) => self.bev_run_deferred(id),
            Some(Deferred::BevEvent(id, events)) => self.bev_run_eventcb(id, events),
            Some(Deferred::LoopExit) => self.got_exit = true,
            Some(Deferred::Call(id)) => self.run_deferred_call(id),
            None => debug_assert!(false, "an active-queue entry without its deferred work"),
        }
    }

    /// Step 1: how long the backend may block.
    pub(super) fn compute_timeout(&self, flags: LoopFlags) -> Option<Duration> {
        if self.n_active > 0
            || !self.deferred_later.is_empty()
            || flags.contains(LoopFlags::NONBLOCK)
        {
            return Some(Duration::ZERO);
        }
        let next = match (
            self.timers.peek().map(|(d, _)| d),
            self.exit_at.first().copied(),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        next.map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Step 2: wait in the backend.
    pub(super) fn wait_backend(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.time_cache = None;
        if let Some(o) = self.observer.as_deref_mut() {
            o.poll_begin(self.backend.name(), timeout);
        }
        self.ready.clear();
        let res = self.backend.wait(timeout, &mut self.ready);
        let now = Instant::now();
        self.time_cache = Some(now);
        if let Some(o) = self.observer.as_deref_mut() {
            o.poll_end(self.ready.len(), now);
        }
        res
    }

    /// Step 3: activate the events whose fds are ready.
    pub(super) fn activate_ready(&mut self) {
        let mut ready = std::mem::take(&mut self.ready);
        self.remote_ready(&mut ready);
        let sig_fd = self.signals.as_ref().map(|s| s.read_fd());
        for &(fd, res) in &ready {
            if Some(fd) == sig_fd {
                self.activate_signals();
                continue;
            }
            // Newest first, as libevent's evmap keeps an fd's events (LIST_INSERT_HEAD): the
            // event added last is queued, and so runs, first.
            let mut i = self.io.events(fd).len();
            while i > 0 {
                i -= 1;
                let Some(&(slot, interest)) = self.io.events(fd).get(i) else {
                    continue;
                };
                let fired = res & interest & (What::READ | What::WRITE | What::CLOSED);
                if !fired.is_empty() {
                    self.queue_insert_active(slot, fired, 1);
                    self.sync_state(slot, Cause::Ready(fired));
                }
            }
        }
        self.ready = ready;
    }

    pub(super) fn activate_signals(&mut self) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        for (slot, count) in signals.deliveries() {
            self.queue_insert_active(slot, What::SIGNAL, count);
            self.sync_state(slot, Cause::Signal);
        }
    }

    /// Step 4: expire timers (libevent's `timeout_process`).
    pub(super) fn expire_timers(&mut self) {
        let now = self.now();
        let mut expired = 0;
        let due = self.exit_at.partition_point(|t| *t <= now);
        self.exit_at.drain(..due);
        for _ in 0..due {
            self.defer(Deferred::LoopExit);
        }
        let mut common = Vec::new();
        while let Some(slot) = self.timers.pop_expired(now) {
            expired += 1;
            match self.data(slot).common_timeout {
                Some(queue) => common.push((queue, slot)),
                None => self.time_out(slot),
            }
        }
        for slot in super::common_timeout::queue_order(common) {
            self.time_out(slot);
        }
        if expired > 0 {
            if let Some(o) = self.observer.as_deref_mut() {
                o.timers_expired(expired);
            }
        }
    }

    /// A timer expired: libevent deletes a timed-out event entirely (fd or signal, and any
    /// activation the wait just made), then activates it for the timeout alone; a persistent
    /// event's fd is watched again when its callback is dispatched.
    fn time_out(&mut self, slot: u32) {
        self.data_mut(slot).timer_armed = false;
        self.queue_remove_active(slot);
        self.remove_inserted(slot);
        self.queue_insert_active(slot, What::TIMEOUT, 1);
        self.sync_state(slot, Cause::Timeout);
    }

    /// Step 5: run the highest-priority non-empty active queue (libevent's
    /// `event_process_active`). Returns how many callbacks ran.
    pub(super) fn process_active(&mut self) -> usize {
        let end = self.dispatch_end();
        for priority in 0..self.active.len() {
            if self.active[priority].is_empty() {
                continue;
            }
            if let Some(o) = self.observer.as_deref_mut() {
                o.run_active(priority as u8, self.active[priority].len());
            }
            let mut ran = 0;
            self.running_priority = Some(priority);
            let budget = self.queue_budget(priority, end);
            while let Some((slot, token)) = self.active[priority].pop_front() {
                let counted = if slot == DEFERRED {
                    self.run_deferred();
                    true
                } else {
                    self.run_one(slot, token)
                };
                ran += usize::from(counted);
                if self.break_requested()
                    || (counted && self.budget_spent(&budget, ran))
                    || self.event_continue
                {
                    break;
                }
            }
            self.running_priority = None;
            if ran > 0 || self.break_requested() {
                return ran;
            }
        }
        0
    }

    /// Runs one queued activation, if its entry is still current.
    pub(super) fn run_one(&mut self, slot: u32, token: u32) -> bool {
        let Some(ev) = self.events.at_mut(slot) else {
            return false;
        };
        if ev.active_token != token || ev.active.is_none() {
            return false;
        }
        if ev.finalizing.is_some() {
            return self.run_finalizer(slot);
        }
        let res = ev.active.take().unwrap_or(What::NONE);
        let ncalls = std::mem::take(&mut ev.ncalls).max(1);
        self.n_active -= 1;
        let persist = ev.what.contains(What::PERSIST);
        if persist && ev.what.contains(What::SIGNAL) {
            // libevent's event_signal_closure re-adds nothing: a persistent signal event stays
            // watched unless its timeout deleted it.
        } else if persist {
            // libevent's event_persist_closure: with a timeout, add the event again (fd and
            // timer) before the callback runs.
            if let Some(interval) = ev.interval {
                if !ev.inserted && ev.is_io() {
                    let fd = ev.fd.unwrap_or(-1);
                    // libevent's event_persist_closure ignores its event_add's result; a fd
                    // closed meanwhile is refused by the backend, and that is warned of.
                    let watched = self.insert_io(slot, fd);
                    self.warn_on("event_add", watched);
                }
                let now = self.now();
                let ev = self.data(slot);
                let base_time = if res.contains(What::TIMEOUT) {
                    ev.deadline.unwrap_or(now)
                } else {
                    now
                };
                let mut deadline = base_time + interval;
                if deadline < now {
                    deadline = now + interval;
                }
                self.queue_insert_timeout(slot, deadline);
            }
        } else {
            self.remove_inserted(slot);
            self.queue_remove_timeout(slot);
        }
        self.update_live(slot);
        let id = self.event_id(slot);
        let ev = self.data_mut(slot);
        ev.running = true;
        ev.cb_cause = None;
        self.sync_state(slot, Cause::Dispatch);
        let calls = if res.contains(What::SIGNAL) {
            ncalls
        } else {
            1
        };
        let outer = self.running_event.replace(id);
        for _ in 0..calls {
            if !self.event_is_live(id) {
                break;
            }
            self.call(id, res);
        }
        self.running_event = outer;
        self.finish_callback(id);
        true
    }

    /// Calls the event's callback with the callback taken out of its slot, so the callback can
    /// do anything to the base, then puts it back if the event still exists.
    pub(super) fn call(&mut self, id: EventId, res: What) {
        let Some(mut cb) = self.get_mut(id).ok().and_then(|ev| ev.cb.take()) else {
            return;
        };
        let began = self.callback_begins(id, res);
        cb(self, id, res);
        self.callback_ends(id, res, began);
        if let Ok(ev) = self.get_mut(id) {
            if ev.cb.is_none() {
                ev.cb = Some(cb);
            }
        }
    }

    /// Tells the observer a callback of `id` begins, returning the clock reading it is timed
    /// from. The clock is read only for an observer: no cost on the unobserved hot path. The
    /// observer is handed the reading, so a callback costs two reads of the base's clock in
    /// all (`clock.rs`: the processor's counter where it can be trusted).
    pub(super) fn callback_begins(&mut self, id: EventId, res: What) -> Option<Instant> {
        let o = self.observer.as_deref_mut()?;
        let began = self.clock.now();
        o.callback_begin(id, res, began);
        Some(began)
    }

    /// Tells the observer the callback of `id` that began at `began` returned.
    pub(super) fn callback_ends(&mut self, id: EventId, res: What, began: Option<Instant>) {
        if let (Some(o), Some(began)) = (self.observer.as_deref_mut(), began) {
            let ended = self.clock.now();
            o.callback_end(id, res, ended.saturating_duration_since(began), ended);
        }
    }

    pub(super) fn finish_callback(&mut self, id: EventId) {
        let Ok(ev) = self.get_mut(id) else {
            return; // freed inside its callback
        };
        ev.running = false;
        if ev.once {
            let freed = self.event_free(id);
            debug_assert!(freed.is_ok(), "freeing a live event: {freed:?}");
            return;
        }
        let slot = id.index();
        // An event_add or event_del inside the callback is why it ends as it does; otherwise
        // its flags decide (persistent: pending again; one-shot: non-pending).
        let cause = ev.cb_cause.take().unwrap_or(Cause::Returned);
        if ev.active.is_some() {
            // Activated again inside its callback: show the return first, then the activation,
            // so every step is a legal transition.
            let fd = ev.fd;
            let rest = if ev.is_waiting() {
                State::Pending
            } else {
                State::NonPending
            };
            self.data_mut(slot).state = rest;
            self.tell_transition(id, fd, State::Callback, rest, cause);
            self.sync_state(slot, Cause::Activate);
        } else {
            self.sync_state(slot, cause);
        }
    }
}
