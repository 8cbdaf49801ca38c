//! libevent's `event.h` calls on an [`EventBase`]: making, adding, deleting, freeing and
//! activating events, priorities, and the queries (`event_pending`, `event_base_dump_events`).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::base::{EventBase, MAX_PRIORITIES};
use super::error::{Error, Result};
use super::event::{Callback, EventData};
use super::flags::What;
use super::handle::EventId;
use super::labeled::Labeled;
use super::state::{Cause, State};
use super::sys;

impl EventBase {
    /// Creates an event (libevent's `event_new`). `fd` is a descriptor, a signal number with
    /// `What::SIGNAL`, or `None` for a pure timer. The event starts `new`: not pending. Name it
    /// for the dashboard with [`EventBase::labeled`].
    pub fn event_new<F>(
        &mut self,
        fd: impl Into<Option<RawFd>>,
        what: What,
        cb: F,
    ) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.labeled("").event_new(fd, what, cb)
    }

    /// A pure timer (libevent's `evtimer_new`).
    pub fn evtimer_new<F>(&mut self, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.labeled("").evtimer_new(cb)
    }

    /// A persistent signal event (libevent's `evsignal_new`).
    pub fn evsignal_new<F>(&mut self, signal: libc::c_int, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.labeled("").evsignal_new(signal, cb)
    }

    /// An event without the checks `event_new` makes of its fd (libevent's `event_assign`,
    /// which takes fd -1 for any event): a bufferevent's `ev_read` and `ev_write` before it
    /// has a socket.
    pub(crate) fn event_new_unchecked(
        &mut self,
        fd: Option<RawFd>,
        what: What,
        label: &str,
        cb: Callback,
    ) -> Result<EventId> {
        let mut data = EventData::new(fd, what, cb, label.to_string());
        data.priority = (self.active.len() / 2) as u8;
        Ok(self.insert_event(data))
    }

    /// Gives a non-pending event another fd (libevent's `event_assign` over an event that is
    /// not added).
    pub(crate) fn event_set_fd(&mut self, id: EventId, fd: Option<RawFd>) -> Result<()> {
        let ev = self.get_mut(id)?;
        if ev.inserted {
            return Err(Error::Invalid(format!(
                "{id} is pending; delete it before it changes fd"
            )));
        }
        ev.fd = fd;
        Ok(())
    }

    pub(crate) fn event_new_boxed(
        &mut self,
        fd: Option<RawFd>,
        what: What,
        label: &str,
        cb: Callback,
    ) -> Result<EventId> {
        if what.contains(What::SIGNAL) {
            if what.intersects(What::READ | What::WRITE | What::CLOSED | What::ET) {
                return Err(Error::Invalid(
                    "EV_SIGNAL cannot be combined with EV_READ, EV_WRITE, EV_CLOSED or EV_ET"
                        .into(),
                ));
            }
            match fd {
                Some(sig) if sig > 0 && (sig as usize) < sys::signal::NSIG => {}
                _ => return Err(Error::Invalid(format!("{fd:?} is not a signal number"))),
            }
        } else if let Some(fd) =
            fd.filter(|_| what.intersects(What::READ | What::WRITE | What::CLOSED))
        {
            // No fd (libevent's -1) is allowed, as libevent allows it: the event is inserted
            // watching nothing, and only its timeout or event_active wakes it.
            if fd < 0 {
                return Err(Error::Invalid(format!(
                    "fd {fd}: EV_READ / EV_WRITE events take a descriptor (fd >= 0) or none"
                )));
            }
        }
        let mut data = EventData::new(fd, what, cb, label.to_string());
        data.priority = (self.active.len() / 2) as u8;
        Ok(self.insert_event(data))
    }

    fn insert_event(&mut self, data: EventData) -> EventId {
        let (fd, what) = (data.fd, data.what);
        let (index, generation) = self.events.insert(data);
        let id = EventId::new(index, generation);
        if let Some(o) = self.observer.as_deref_mut() {
            let label = &self.events.at(index).expect("just inserted").label;
            o.event_new(id, fd, what, label);
        }
        id
    }

    /// Makes the event pending (libevent's `event_add`): watch its fd or signal, and arm its
    /// timeout if `timeout` is given. Adding a pending event again re-arms its timeout.
    pub fn event_add(&mut self, id: EventId, timeout: Option<Duration>) -> Result<()> {
        self.add_because(id, timeout, Cause::Add)
    }

    /// `event_add` made by `cause` (the program, or a bufferevent for its own events).
    pub(crate) fn add_because(
        &mut self,
        id: EventId,
        timeout: Option<Duration>,
        cause: Cause,
    ) -> Result<()> {
        let now = self.now();
        let ev = self.get(id)?;
        if ev.finalizing.is_some() {
            return Err(Error::Invalid(format!("{id} is being finalized")));
        }
        let (fd, is_io, is_signal, inserted) = (
            ev.fd,
            ev.is_io(),
            ev.what.contains(What::SIGNAL),
            ev.inserted,
        );
        // Interest in an fd it does not have yet (a bufferevent's event before its connect):
        // inserted as libevent inserts fd -1, watching nothing.
        let no_fd = !is_io && !is_signal && ev.what.intersects(What::READ | What::WRITE);
        let slot = id.index();
        let was_waiting = ev.is_waiting();
        if !inserted {
            if is_io {
                self.insert_io(slot, fd.unwrap_or(-1))?;
            } else if is_signal {
                self.insert_signal(slot, fd.unwrap_or(0))?;
            } else if no_fd {
                self.data_mut(slot).inserted = true;
            }
        }
        if let Some(tv) = timeout {
            let ev = self.data(slot);
            // Rescheduling a timeout before its callback ran takes the timeout off the active
            // queue, as libevent does.
            if ev.active.is_some_and(|r| r.contains(What::TIMEOUT)) {
                self.queue_remove_active(slot);
            }
            self.data_mut(slot).interval = Some(tv);
            self.queue_insert_timeout(slot, now + tv);
        }
        self.note_cb_cause(slot, was_waiting, cause);
        self.sync_state(slot, cause);
        Ok(())
    }

    /// While its callback runs an event shows `callback`; what made it pending or not pending
    /// meanwhile is kept for the transition shown when the callback returns.
    fn note_cb_cause(&mut self, slot: u32, was_waiting: bool, cause: Cause) {
        let ev = self.data_mut(slot);
        if ev.running && ev.is_waiting() != was_waiting {
            ev.cb_cause = Some(cause);
        }
    }

    /// Makes the event non-pending (libevent's `event_del`): stop watching, disarm, and take
    /// it off the active queue.
    pub fn event_del(&mut self, id: EventId) -> Result<()> {
        self.del_because(id, Cause::Del)
    }

    /// `event_del` made by `cause` (the program, or a bufferevent for its own events).
    pub(crate) fn del_because(&mut self, id: EventId, cause: Cause) -> Result<()> {
        let ev = self.get(id)?;
        if ev.finalizing.is_some() {
            // libevent leaves a finalizing event to its finalizer.
            return Ok(());
        }
        let was_waiting = ev.is_waiting();
        let slot = id.index();
        // A backend that refuses to forget the fd (libevent's `evsel->del` returning -1) still
        // leaves the event non-pending, as libevent's `event_del` does: the state is told, then
        // the failure returned.
        let removed = self.remove_everywhere(slot);
        self.note_cb_cause(slot, was_waiting, cause);
        self.sync_state(slot, cause);
        removed
    }

    /// True while the event waits for its fd, signal or timeout (added, not yet fired or
    /// deleted).
    pub(crate) fn is_waiting(&self, id: EventId) -> bool {
        self.get(id).is_ok_and(|ev| ev.is_waiting())
    }

    /// Deletes and frees the event (libevent's `event_free`); its handle becomes stale. Freeing
    /// an event inside its own callback is allowed.
    pub fn event_free(&mut self, id: EventId) -> Result<()> {
        self.get(id)?;
        let slot = id.index();
        let removed = self.remove_everywhere(slot);
        self.update_live(slot);
        let ev = self.data(slot);
        let (fd, from) = (ev.fd, ev.state);
        self.tell_transition(id, fd, from, State::Freed, Cause::Free);
        self.events.remove(slot, id.generation());
        // libevent's `event_free` frees whatever its `event_del` returned: the event is gone
        // either way, and a backend's refusal is only worth a warning.
        self.warn_on("event_del", removed);
        Ok(())
    }

    /// Disarms the event's timeout and forgets its interval, leaving its fd or signal watched
    /// (libevent's `event_remove_timer`).
    pub fn event_remove_timer(&mut self, id: EventId) -> Result<()> {
        self.get(id)?;
        let slot = id.index();
        self.queue_remove_timeout(slot);
        let ev = self.data_mut(slot);
        ev.interval = None;
        ev.deadline = None;
        self.sync_state(slot, Cause::Del);
        Ok(())
    }

    /// Makes the event active as if `what` had happened (libevent's `event_active`), whether or
    /// not it is pending.
    pub fn event_active(&mut self, id: EventId, what: What) -> Result<()> {
        if self.get(id)?.finalizing.is_some() {
            return Ok(());
        }
        self.queue_insert_active(id.index(), what, 1);
        self.sync_state(id.index(), Cause::Activate);
        Ok(())
    }

    /// Which of `what` the event is pending or active for, and its timeout deadline if armed
    /// (libevent's `event_pending`).
    pub fn event_pending(&self, id: EventId, what: What) -> Result<(What, Option<Instant>)> {
        let ev = self.get(id)?;
        let mut flags = What::NONE;
        if ev.inserted {
            flags |= ev.what & (What::READ | What::WRITE | What::CLOSED | What::SIGNAL);
        }
        if let Some(res) = ev.active {
            flags |= res;
        }
        if ev.timer_armed {
            flags |= What::TIMEOUT;
        }
        let deadline = if ev.timer_armed && what.contains(What::TIMEOUT) {
            ev.deadline
        } else {
            None
        };
        Ok((flags & what, deadline))
    }

    /// The event's libevent list flags one by one: inserted (`EVLIST_INSERTED`), timeout armed
    /// (`EVLIST_TIMEOUT`), and what it is queued to run with (`EVLIST_ACTIVE` and `ev_res`).
    /// [`EventBase::event_pending`] folds them together, as `event_pending` does; the C library
    /// writes them apart into a program's `struct event`.
    pub fn event_lists(&self, id: EventId) -> Result<(bool, bool, Option<What>)> {
        let ev = self.get(id)?;
        Ok((ev.inserted, ev.timer_armed, ev.active))
    }

    /// Runs `cb` once when `what` happens on `fd` or `timeout` passes, then frees the event
    /// (libevent's `event_base_once`). `PERSIST` and `SIGNAL` are not allowed.
    pub fn once<F>(
        &mut self,
        fd: impl Into<Option<RawFd>>,
        what: What,
        timeout: Option<Duration>,
        cb: F,
    ) -> Result<EventId>
    where
        F: FnOnce(&mut EventBase, What) + 'static,
    {
        if what.intersects(What::PERSIST | What::SIGNAL) {
            return Err(Error::Invalid(
                "event_base_once does not take EV_PERSIST or EV_SIGNAL".into(),
            ));
        }
        let mut cb = Some(cb);
        let id = self
            .labeled("once")
            .event_new(fd, what, move |base, _id, fired| {
                if let Some(cb) = cb.take() {
                    cb(base, fired);
                }
            })?;
        self.data_mut(id.index()).once = true;
        // With neither fd interest nor timeout, libevent activates it at once.
        let is_wait = self.data(id.index()).is_io();
        if !is_wait && timeout.is_none() {
            self.event_active(id, What::TIMEOUT)?;
        } else if let Err(e) = self.event_add(id, timeout) {
            let freed = self.event_free(id);
            debug_assert!(freed.is_ok(), "freeing the event just made: {freed:?}");
            return Err(e);
        }
        Ok(id)
    }

    /// Sets how many priority queues there are (libevent's `event_base_priority_init`).
    /// Not allowed while events are active. New events get priority `n / 2`.
    pub fn priority_init(&mut self, n: usize) -> Result<()> {
        if self.n_active > 0 {
            return Err(Error::Invalid(
                "priority_init is not allowed while events are active".into(),
            ));
        }
        if n == 0 || n > MAX_PRIORITIES {
            return Err(Error::Invalid(format!(
                "priority count must be between 1 and {MAX_PRIORITIES}, not {n}"
            )));
        }
        self.active = (0..n).map(|_| VecDeque::new()).collect();
        for ev in self.events.values_mut() {
            ev.priority = ev.priority.min((n - 1) as u8);
        }
        Ok(())
    }

    /// How many priority queues there are.
    pub fn get_npriorities(&self) -> usize {
        self.active.len()
    }

    /// Sets the event's priority; 0 runs first (libevent's `event_priority_set`). Not allowed
    /// while the event is active.
    pub fn event_priority_set(&mut self, id: EventId, priority: usize) -> Result<()> {
        let n = self.active.len();
        let ev = self.get_mut(id)?;
        if ev.active.is_some() {
            return Err(Error::Invalid(format!(
                "{id} is active; its priority cannot change until it has run"
            )));
        }
        if priority >= n {
            return Err(Error::Invalid(format!(
                "priority {priority} is out of range: the base has {n} priorities"
            )));
        }
        ev.priority = priority as u8;
        Ok(())
    }

    /// The event's displayed state.
    pub fn event_state(&self, id: EventId) -> Result<State> {
        Ok(self.get(id)?.state)
    }

    /// The event's fd (or signal number) (libevent's `event_get_fd`).
    pub fn event_get_fd(&self, id: EventId) -> Result<Option<RawFd>> {
        Ok(self.get(id)?.fd)
    }

    /// What the event was created to wait for (libevent's `event_get_events`).
    pub fn event_get_events(&self, id: EventId) -> Result<What> {
        Ok(self.get(id)?.what)
    }

    /// The event's label.
    pub fn event_label(&self, id: EventId) -> Result<&str> {
        Ok(&self.get(id)?.label)
    }

    /// The event's priority (libevent's `event_get_priority`).
    pub fn event_get_priority(&self, id: EventId) -> Result<usize> {
        Ok(self.get(id)?.priority as usize)
    }

    /// True while `id` names a live event (libevent's `event_initialized` for a handle).
    pub fn event_is_live(&self, id: EventId) -> bool {
        self.get(id).is_ok()
    }

    /// Every live event's handle, in slot order.
    pub fn event_ids(&self) -> Vec<EventId> {
        self.events
            .iter()
            .map(|(index, generation, _)| EventId::new(index, generation))
            .collect()
    }

    /// libevent's `event_base_dump_events`: the inserted events, then the active ones.
    pub fn dump_events(&self) -> String {
        let now = self.now();
        // Writing into a String cannot fail: the `let _ = write!` below drop an always-Ok.
        let mut out = String::from("Inserted events:\n");
        for id in self.event_ids() {
            let ev = self.data(id.index());
            if !(ev.inserted || ev.timer_armed) {
                continue;
            }
            let place = match ev.fd {
                Some(sig) if ev.what.contains(What::SIGNAL) => format!("sig {sig}"),
                Some(fd) => format!("fd {fd}"),
                None => "timer".to_string(),
            };
            let _ = write!(out, "  {id} [{place}] {}", ev.what);
            if let (true, Some(d)) = (ev.timer_armed, ev.deadline) {
                let left = d.saturating_duration_since(now);
                let _ = write!(out, " Timeout=T+{:.6}", left.as_secs_f64());
            }
            if !ev.label.is_empty() {
                let _ = write!(out, " \"{}\"", ev.label);
            }
            out.push('\n');
        }
        out.push_str("Active events:\n");
        for id in self.event_ids() {
            let ev = self.data(id.index());
            if let Some(res) = ev.active {
                let place = ev.fd.map_or("timer".to_string(), |fd| format!("fd {fd}"));
                let _ = write!(
                    out,
                    "  {id} [{place}, priority={}] {res} active",
                    ev.priority
                );
                if !ev.label.is_empty() {
                    let _ = write!(out, " \"{}\"", ev.label);
                }
                out.push('\n');
            }
        }
        out
    }
}

impl Labeled<'_> {
    /// [`EventBase::event_new`], labelled.
    pub fn event_new<F>(self, fd: impl Into<Option<RawFd>>, what: What, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.base
            .event_new_boxed(fd.into(), what, self.label, Box::new(cb))
    }

    /// [`EventBase::evtimer_new`], labelled.
    pub fn evtimer_new<F>(self, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.event_new(None, What::NONE, cb)
    }

    /// [`EventBase::evsignal_new`], labelled.
    pub fn evsignal_new<F>(self, signal: libc::c_int, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.event_new(signal, What::SIGNAL | What::PERSIST, cb)
    }
}
