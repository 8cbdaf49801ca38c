//! [`EventBase`]: the loop, the event table, and the named primitives through which every state
//! change passes (libevent's `event_queue_insert_*` / `event_queue_remove_*`).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::os::fd::RawFd;
use std::str::FromStr;
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::event::{Callback, EventData};
use super::flags::{LoopFlags, What};
use super::handle::EventId;
use super::observer::{BaseInfo, Observer};
use super::registry::Registry;
use super::signal::Signals;
use super::state::{Cause, State};
use super::sys::{self, Backend};
use super::timer::TimerHeap;

/// The readiness backends, chosen at run time (libevent's "methods").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BackendKind {
    /// Linux epoll: O(ready) per wait.
    Epoll,
    /// poll(2): O(watched fds) per wait.
    Poll,
    /// select(2): O(highest fd) per wait, and fds below `FD_SETSIZE` only.
    Select,
}

impl BackendKind {
    /// Every backend, fastest first.
    pub const ALL: [BackendKind; 3] = [BackendKind::Epoll, BackendKind::Poll, BackendKind::Select];

    /// The name libevent's `event_base_get_method` would give.
    pub const fn name(self) -> &'static str {
        match self {
            BackendKind::Epoll => "epoll",
            BackendKind::Poll => "poll",
            BackendKind::Select => "select",
        }
    }

    /// The backend named by `EVSCOPE_BACKEND`, or epoll when it is unset.
    pub fn from_env() -> Result<BackendKind> {
        match std::env::var("EVSCOPE_BACKEND") {
            Ok(name) if !name.is_empty() => name.parse(),
            _ => Ok(BackendKind::Epoll),
        }
    }
}

impl FromStr for BackendKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<BackendKind> {
        BackendKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| Error::UnknownBackend(s.to_string()))
    }
}

/// How a call to [`EventBase::loop_`] ended (libevent's return value 0 or 1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exit {
    /// The loop ran and stopped: exit, break, `ONCE` or `NONBLOCK` (libevent: 0).
    Finished,
    /// Nothing was pending or active, so there was nothing to wait for (libevent: 1).
    NoEvents,
}

const MAX_PRIORITIES: usize = 256;

struct Slot {
    generation: u32,
    data: Option<EventData>,
}

/// The event loop and everything registered with it (libevent's `struct event_base`).
///
/// Callbacks receive `&mut EventBase`, so they can add, delete and free any event, including
/// their own.
pub struct EventBase {
    backend: Box<dyn Backend>,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    io: Registry,
    timers: TimerHeap<Instant>,
    /// One FIFO per priority of (slot, activation token).
    active: Vec<VecDeque<(u32, u32)>>,
    n_active: usize,
    /// Events that are inserted, armed or active (libevent's `event_count`).
    n_live: usize,
    ready: Vec<(RawFd, What)>,
    signals: Option<Signals>,
    observer: Option<Box<dyn Observer>>,
    started: Instant,
    /// The time read after the last wait, used while the loop runs (libevent's time cache).
    time_cache: Option<Instant>,
    iteration: u64,
    running_loop: bool,
    exit_at: Option<Instant>,
    /// `loopexit` with no delay: exit once this iteration's callbacks have run.
    exit_after_iteration: bool,
    break_requested: bool,
    got_exit: bool,
    got_break: bool,
}

impl EventBase {
    /// A base on the backend `EVSCOPE_BACKEND` names (default epoll), with the observer
    /// `EVSCOPE_TRACE` asks for, if any (libevent's `event_base_new`).
    pub fn new() -> Result<EventBase> {
        let mut base = EventBase::with_backend(BackendKind::from_env()?)?;
        let info = base.info();
        if let Some(observer) = crate::observer_from_env(&info)? {
            base.set_observer(observer);
        }
        Ok(base)
    }

    /// A base on a chosen backend, with no observer (libevent's `event_base_new_with_config`
    /// with the other methods avoided).
    pub fn with_backend(kind: BackendKind) -> Result<EventBase> {
        let backend: Box<dyn Backend> = match kind {
            BackendKind::Epoll => Box::new(sys::epoll::Epoll::new()?),
            BackendKind::Poll => Box::new(sys::poll::Poll::new()),
            BackendKind::Select => Box::new(sys::select::Select::new()),
        };
        Ok(EventBase {
            backend,
            slots: Vec::new(),
            free_slots: Vec::new(),
            io: Registry::default(),
            timers: TimerHeap::new(),
            active: vec![VecDeque::new()],
            n_active: 0,
            n_live: 0,
            ready: Vec::new(),
            signals: None,
            observer: None,
            started: Instant::now(),
            time_cache: None,
            iteration: 0,
            running_loop: false,
            exit_at: None,
            exit_after_iteration: false,
            break_requested: false,
            got_exit: false,
            got_break: false,
        })
    }

    /// The backend's name (libevent's `event_base_get_method`).
    pub fn method(&self) -> &'static str {
        self.backend.name()
    }

    /// When the base was created (trace times count from here).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// What an observer is told about this base when installed.
    pub fn info(&self) -> BaseInfo {
        BaseInfo {
            backend: self.backend.name(),
            started: self.started,
        }
    }

    /// Installs `observer`, replacing any other; it is told [`BaseInfo`] at once.
    pub fn set_observer(&mut self, mut observer: Box<dyn Observer>) {
        observer.attached(&self.info());
        self.observer = Some(observer);
    }

    /// Removes and returns the observer.
    pub fn take_observer(&mut self) -> Option<Box<dyn Observer>> {
        self.observer.take()
    }

    /// The installed observer, for the library's other parts (bufferevents, listeners).
    #[allow(dead_code)] // used by bufferevents and listeners
    pub(crate) fn observer(&mut self) -> Option<&mut (dyn Observer + 'static)> {
        self.observer.as_deref_mut()
    }

    /// Tells the observer a free-text note (lessons narrate with these).
    pub fn note(&mut self, text: &str) {
        if let Some(o) = self.observer.as_deref_mut() {
            o.note(text);
        }
    }

    /// The loop's iteration count so far.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The current time: cached while the loop processes one iteration, like libevent's
    /// `event_base_gettimeofday_cached`.
    pub fn now(&self) -> Instant {
        self.time_cache.unwrap_or_else(Instant::now)
    }

    // ----- events: libevent's event.h ---------------------------------------------------------

    /// Creates an event (libevent's `event_new`). `fd` is a descriptor, a signal number with
    /// `What::SIGNAL`, or `None` for a pure timer. The event starts `new`: not pending.
    pub fn event_new<F>(
        &mut self,
        fd: impl Into<Option<RawFd>>,
        what: What,
        cb: F,
    ) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.event_new_labeled(fd, what, "", cb)
    }

    /// [`EventBase::event_new`] with a label the dashboard shows.
    pub fn event_new_labeled<F>(
        &mut self,
        fd: impl Into<Option<RawFd>>,
        what: What,
        label: &str,
        cb: F,
    ) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.event_new_boxed(fd.into(), what, label, Box::new(cb))
    }

    /// A pure timer (libevent's `evtimer_new`).
    pub fn evtimer_new<F>(&mut self, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.event_new(None, What::NONE, cb)
    }

    /// A persistent signal event (libevent's `evsignal_new`).
    pub fn evsignal_new<F>(&mut self, signal: libc::c_int, cb: F) -> Result<EventId>
    where
        F: FnMut(&mut EventBase, EventId, What) + 'static,
    {
        self.event_new(signal, What::SIGNAL | What::PERSIST, cb)
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
        } else if what.intersects(What::READ | What::WRITE | What::CLOSED) {
            match fd {
                Some(fd) if fd >= 0 => {}
                _ => {
                    return Err(Error::Invalid(
                        "EV_READ / EV_WRITE events need a descriptor (fd >= 0)".into(),
                    ))
                }
            }
        }
        let mut data = EventData::new(fd, what, cb, label.to_string());
        data.priority = (self.active.len() / 2) as u8;
        let index = match self.free_slots.pop() {
            Some(i) => {
                self.slots[i as usize].data = Some(data);
                i
            }
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    data: Some(data),
                });
                (self.slots.len() - 1) as u32
            }
        };
        let id = EventId::new(index, self.slots[index as usize].generation);
        if let Some(o) = self.observer.as_deref_mut() {
            o.event_new(id, fd, what, label);
        }
        Ok(id)
    }

    /// Makes the event pending (libevent's `event_add`): watch its fd or signal, and arm its
    /// timeout if `timeout` is given. Adding a pending event again re-arms its timeout.
    pub fn add(&mut self, id: EventId, timeout: Option<Duration>) -> Result<()> {
        let now = self.now();
        let ev = self.get(id)?;
        let (fd, is_io, is_signal, inserted) = (
            ev.fd,
            ev.is_io(),
            ev.what.contains(What::SIGNAL),
            ev.inserted,
        );
        if !is_io && !is_signal && timeout.is_none() && !ev.timer_armed {
            return Err(Error::Invalid(format!(
                "{id} has nothing to wait for: no fd interest, no signal and no timeout"
            )));
        }
        let slot = id.index();
        if !inserted {
            if is_io {
                self.insert_io(slot, fd.unwrap_or(-1))?;
            } else if is_signal {
                self.insert_signal(slot, fd.unwrap_or(0))?;
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
        self.sync_state(slot, Cause::Add);
        Ok(())
    }

    /// Makes the event non-pending (libevent's `event_del`): stop watching, disarm, and take
    /// it off the active queue.
    pub fn del(&mut self, id: EventId) -> Result<()> {
        self.get(id)?;
        self.remove_everywhere(id.index())?;
        self.sync_state(id.index(), Cause::Del);
        Ok(())
    }

    /// Deletes and frees the event (libevent's `event_free`); its handle becomes stale. Freeing
    /// an event inside its own callback is allowed.
    pub fn free(&mut self, id: EventId) -> Result<()> {
        self.get(id)?;
        let slot = id.index();
        self.remove_everywhere(slot)?;
        self.update_live(slot);
        let ev = self.data(slot);
        let (fd, from) = (ev.fd, ev.state);
        self.tell_transition(id, fd, from, State::Freed, Cause::Free);
        let s = &mut self.slots[slot as usize];
        s.data = None;
        s.generation = s.generation.wrapping_add(1);
        self.free_slots.push(slot);
        Ok(())
    }

    /// Makes the event active as if `what` had happened (libevent's `event_active`), whether or
    /// not it is pending.
    pub fn active(&mut self, id: EventId, what: What) -> Result<()> {
        self.get(id)?;
        self.queue_insert_active(id.index(), what, 1);
        self.sync_state(id.index(), Cause::Activate);
        Ok(())
    }

    /// Which of `what` the event is pending or active for, and its timeout deadline if armed
    /// (libevent's `event_pending`).
    pub fn pending(&self, id: EventId, what: What) -> Result<(What, Option<Instant>)> {
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
        let id = self.event_new_labeled(fd, what, "once", move |base, _id, fired| {
            if let Some(cb) = cb.take() {
                cb(base, fired);
            }
        })?;
        self.data_mut(id.index()).once = true;
        // With neither fd interest nor timeout, libevent activates it at once.
        let is_wait = self.data(id.index()).is_io();
        if !is_wait && timeout.is_none() {
            self.active(id, What::TIMEOUT)?;
        } else if let Err(e) = self.add(id, timeout) {
            let _ = self.free(id);
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
        for s in self.slots.iter_mut() {
            if let Some(ev) = s.data.as_mut() {
                ev.priority = ev.priority.min((n - 1) as u8);
            }
        }
        Ok(())
    }

    /// How many priority queues there are.
    pub fn priorities(&self) -> usize {
        self.active.len()
    }

    /// Sets the event's priority; 0 runs first (libevent's `event_priority_set`). Not allowed
    /// while the event is active.
    pub fn priority_set(&mut self, id: EventId, priority: usize) -> Result<()> {
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
    pub fn state(&self, id: EventId) -> Result<State> {
        Ok(self.get(id)?.state)
    }

    /// The event's fd (or signal number) (libevent's `event_get_fd`).
    pub fn event_fd(&self, id: EventId) -> Result<Option<RawFd>> {
        Ok(self.get(id)?.fd)
    }

    /// What the event was created to wait for (libevent's `event_get_events`).
    pub fn event_what(&self, id: EventId) -> Result<What> {
        Ok(self.get(id)?.what)
    }

    /// The event's label.
    pub fn event_label(&self, id: EventId) -> Result<&str> {
        Ok(&self.get(id)?.label)
    }

    /// The event's priority (libevent's `event_get_priority`).
    pub fn event_priority(&self, id: EventId) -> Result<usize> {
        Ok(self.get(id)?.priority as usize)
    }

    /// True while `id` names a live event (libevent's `event_initialized` for a handle).
    pub fn is_live(&self, id: EventId) -> bool {
        self.get(id).is_ok()
    }

    /// Every live event's handle, in slot order.
    pub fn event_ids(&self) -> Vec<EventId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.data.is_some())
            .map(|(i, s)| EventId::new(i as u32, s.generation))
            .collect()
    }

    /// libevent's `event_base_dump_events`: the inserted events, then the active ones.
    pub fn dump_events(&self) -> String {
        let now = self.now();
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

    // ----- the loop: libevent's event_base_loop ------------------------------------------------

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
        self.got_exit = false;
        self.got_break = false;
        let result = self.run_loop(flags);
        self.running_loop = false;
        self.break_requested = false;
        self.exit_at = None;
        self.exit_after_iteration = false;
        self.time_cache = None;
        result
    }

    fn run_loop(&mut self, flags: LoopFlags) -> Result<Exit> {
        loop {
            if self.got_exit || self.break_requested {
                self.got_break |= self.break_requested;
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
            self.wait_backend(timeout)?;
            self.activate_ready();
            self.expire_timers();
            let mut done = false;
            if self.n_active > 0 {
                let ran = self.process_active();
                done = flags.contains(LoopFlags::ONCE) && self.n_active == 0 && ran > 0;
            } else if flags.contains(LoopFlags::NONBLOCK) {
                done = true;
            }
            if std::mem::take(&mut self.exit_after_iteration) {
                self.got_exit = true;
            }
            if done {
                return Ok(Exit::Finished);
            }
        }
    }

    /// Stops the loop after `delay`; with no delay, once the callbacks already active have run
    /// (libevent's `event_base_loopexit`). Called before the loop starts, it applies to the next
    /// loop, which then runs one iteration.
    pub fn loopexit(&mut self, delay: Option<Duration>) {
        match delay {
            None | Some(Duration::ZERO) => self.exit_after_iteration = true,
            Some(delay) => {
                let at = self.now() + delay;
                self.exit_at = Some(self.exit_at.map_or(at, |t| t.min(at)));
            }
        }
    }

    /// Stops the loop after the callback now running (libevent's `event_base_loopbreak`).
    pub fn loopbreak(&mut self) {
        self.break_requested = true;
    }

    /// True when the last loop ended through `loopexit` (libevent's `event_base_got_exit`).
    pub fn got_exit(&self) -> bool {
        self.got_exit
    }

    /// True when the last loop ended through `loopbreak` (libevent's `event_base_got_break`).
    pub fn got_break(&self) -> bool {
        self.got_break
    }

    fn has_events(&self) -> bool {
        self.n_live > 0 || self.exit_at.is_some() || self.exit_after_iteration
    }

    /// Step 1: how long the backend may block.
    fn compute_timeout(&self, flags: LoopFlags) -> Option<Duration> {
        if self.n_active > 0 || self.exit_after_iteration || flags.contains(LoopFlags::NONBLOCK) {
            return Some(Duration::ZERO);
        }
        let next = match (self.timers.peek().map(|(d, _)| d), self.exit_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        next.map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Step 2: wait in the backend.
    fn wait_backend(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.time_cache = None;
        if let Some(o) = self.observer.as_deref_mut() {
            o.poll_begin(self.backend.name(), timeout);
        }
        self.ready.clear();
        let res = self.backend.wait(timeout, &mut self.ready);
        self.time_cache = Some(Instant::now());
        if let Some(o) = self.observer.as_deref_mut() {
            o.poll_end(self.ready.len());
        }
        res
    }

    /// Step 3: activate the events whose fds are ready.
    fn activate_ready(&mut self) {
        let ready = std::mem::take(&mut self.ready);
        let sig_fd = self.signals.as_ref().map(|s| s.read_fd());
        for &(fd, res) in &ready {
            if Some(fd) == sig_fd {
                self.activate_signals();
                continue;
            }
            let mut i = 0;
            while let Some(&(slot, interest)) = self.io.events(fd).get(i) {
                i += 1;
                let fired = res & interest & (What::READ | What::WRITE | What::CLOSED);
                if !fired.is_empty() {
                    self.queue_insert_active(slot, fired, 1);
                    self.sync_state(slot, Cause::Ready(fired));
                }
            }
        }
        self.ready = ready;
    }

    fn activate_signals(&mut self) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        for (slot, count) in signals.deliveries() {
            self.queue_insert_active(slot, What::SIGNAL, count);
            self.sync_state(slot, Cause::Signal);
        }
    }

    /// Step 4: expire timers (libevent's `timeout_process`).
    fn expire_timers(&mut self) {
        let now = self.now();
        let mut expired = 0;
        if self.exit_at.is_some_and(|t| t <= now) {
            self.exit_at = None;
            self.got_exit = true;
        }
        while let Some(slot) = self.timers.pop_expired(now) {
            expired += 1;
            let ev = self.data_mut(slot);
            ev.timer_armed = false;
            if !ev.what.contains(What::PERSIST) && ev.inserted {
                self.remove_inserted(slot);
            }
            self.queue_insert_active(slot, What::TIMEOUT, 1);
            self.sync_state(slot, Cause::Timeout);
        }
        if expired > 0 {
            if let Some(o) = self.observer.as_deref_mut() {
                o.timers_expired(expired);
            }
        }
    }

    /// Step 5: run the highest-priority non-empty active queue (libevent's
    /// `event_process_active`). Returns how many callbacks ran.
    fn process_active(&mut self) -> usize {
        for priority in 0..self.active.len() {
            if self.active[priority].is_empty() {
                continue;
            }
            if let Some(o) = self.observer.as_deref_mut() {
                o.run_active(priority as u8, self.active[priority].len());
            }
            let mut ran = 0;
            while let Some((slot, token)) = self.active[priority].pop_front() {
                if self.run_one(slot, token) {
                    ran += 1;
                }
                if self.break_requested {
                    return ran;
                }
            }
            if ran > 0 {
                return ran;
            }
        }
        0
    }

    /// Runs one queued activation, if its entry is still current.
    fn run_one(&mut self, slot: u32, token: u32) -> bool {
        let generation = self.slots[slot as usize].generation;
        let Some(ev) = self.slots[slot as usize].data.as_mut() else {
            return false;
        };
        if ev.active_token != token || ev.active.is_none() {
            return false;
        }
        let res = ev.active.take().unwrap_or(What::NONE);
        let ncalls = std::mem::take(&mut ev.ncalls).max(1);
        self.n_active -= 1;
        let persist = ev.what.contains(What::PERSIST);
        if persist {
            // libevent's event_persist_closure: re-arm before the callback runs.
            if let Some(interval) = ev.interval {
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
        let id = EventId::new(slot, generation);
        self.data_mut(slot).running = true;
        self.sync_state(slot, Cause::Dispatch);
        let calls = if res.contains(What::SIGNAL) {
            ncalls
        } else {
            1
        };
        for _ in 0..calls {
            if !self.is_live(id) {
                break;
            }
            self.call(id, res);
        }
        self.finish_callback(id);
        true
    }

    /// Calls the event's callback with the callback taken out of its slot, so the callback can
    /// do anything to the base, then puts it back if the event still exists.
    fn call(&mut self, id: EventId, res: What) {
        let Some(mut cb) = self.get_mut(id).ok().and_then(|ev| ev.cb.take()) else {
            return;
        };
        // The clock is read only for an observer: no cost on the unobserved hot path.
        let began = self.observer.as_deref_mut().map(|o| {
            o.callback_begin(id, res);
            Instant::now()
        });
        cb(self, id, res);
        if let (Some(o), Some(began)) = (self.observer.as_deref_mut(), began) {
            o.callback_end(id, res, began.elapsed());
        }
        if let Ok(ev) = self.get_mut(id) {
            if ev.cb.is_none() {
                ev.cb = Some(cb);
            }
        }
    }

    fn finish_callback(&mut self, id: EventId) {
        let Ok(ev) = self.get_mut(id) else {
            return; // freed inside its callback
        };
        ev.running = false;
        if ev.once {
            let _ = self.free(id);
            return;
        }
        let slot = id.index();
        if ev.active.is_some() {
            // Activated again inside its callback: show the return first, then the activation,
            // so every step is a legal transition.
            let fd = ev.fd;
            let rest = if ev.inserted || ev.timer_armed {
                State::Pending
            } else {
                State::NonPending
            };
            self.data_mut(slot).state = rest;
            self.tell_transition(id, fd, State::Callback, rest, Cause::Returned);
            self.sync_state(slot, Cause::Activate);
        } else {
            self.sync_state(slot, Cause::Returned);
        }
    }

    // ----- the named primitives ----------------------------------------------------------------

    /// The one place a displayed state changes: derive the state from the flags, and tell the
    /// observer if it moved.
    fn sync_state(&mut self, slot: u32, cause: Cause) {
        self.update_live(slot);
        let generation = self.slots[slot as usize].generation;
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

    fn tell_transition(
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
    fn update_live(&mut self, slot: u32) {
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
    fn insert_io(&mut self, slot: u32, fd: RawFd) -> Result<()> {
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
    fn insert_signal(&mut self, slot: u32, sig: libc::c_int) -> Result<()> {
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

    /// `event_queue_remove_inserted`: stop watching the fd or signal.
    fn remove_inserted(&mut self, slot: u32) {
        let _ = self.try_remove_inserted(slot);
    }

    fn try_remove_inserted(&mut self, slot: u32) -> Result<()> {
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
    fn queue_insert_timeout(&mut self, slot: u32, deadline: Instant) {
        self.timers.insert(slot, deadline);
        let ev = self.data_mut(slot);
        ev.timer_armed = true;
        ev.deadline = Some(deadline);
    }

    /// `event_queue_remove_timeout`: disarm the timer.
    fn queue_remove_timeout(&mut self, slot: u32) {
        let ev = self.data_mut(slot);
        if ev.timer_armed {
            ev.timer_armed = false;
            self.timers.remove(slot);
        }
    }

    /// `event_queue_insert_active`: queue the event to run with `res`, or add `res` to its
    /// queued activation.
    fn queue_insert_active(&mut self, slot: u32, res: What, ncalls: u32) {
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
            }
        }
    }

    /// `event_queue_remove_active`: take the event off the active queue (its queue entry goes
    /// stale and is skipped).
    fn queue_remove_active(&mut self, slot: u32) {
        let ev = self.data_mut(slot);
        if ev.active.take().is_some() {
            ev.ncalls = 0;
            self.n_active -= 1;
        }
    }

    fn remove_everywhere(&mut self, slot: u32) -> Result<()> {
        self.queue_remove_active(slot);
        self.queue_remove_timeout(slot);
        self.try_remove_inserted(slot)
    }

    // ----- handles ------------------------------------------------------------------------------

    fn get(&self, id: EventId) -> Result<&EventData> {
        match self.slots.get(id.index() as usize) {
            Some(Slot {
                generation,
                data: Some(ev),
            }) if *generation == id.generation() => Ok(ev),
            _ => Err(Error::Stale(format!("event {id}"))),
        }
    }

    fn get_mut(&mut self, id: EventId) -> Result<&mut EventData> {
        match self.slots.get_mut(id.index() as usize) {
            Some(Slot {
                generation,
                data: Some(ev),
            }) if *generation == id.generation() => Ok(ev),
            _ => Err(Error::Stale(format!("event {id}"))),
        }
    }

    /// The live event in `slot` (callers hold a checked handle).
    fn data(&self, slot: u32) -> &EventData {
        self.slots[slot as usize]
            .data
            .as_ref()
            .expect("slot checked by the caller")
    }

    fn data_mut(&mut self, slot: u32) -> &mut EventData {
        self.slots[slot as usize]
            .data
            .as_mut()
            .expect("slot checked by the caller")
    }
}

impl Drop for EventBase {
    /// libevent's `event_base_free`: signal dispositions go back to what they were.
    fn drop(&mut self) {
        if let Some(signals) = self.signals.as_mut() {
            signals.restore_all();
        }
    }
}
