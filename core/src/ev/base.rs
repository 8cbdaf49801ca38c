//! [`EventBase`]: the event table, the backend, and the observer. Its calls live beside it:
//! `event_api.rs` (libevent's event.h), `dispatch.rs` (the loop), `primitives.rs` (every state
//! change).

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::bev_data::BevData;
use super::clock::Clock;
use super::error::{Error, Result};
use super::event::EventData;
use super::flags::What;
use super::handle::EventId;
use super::listener::ListenerData;
use super::observer::{BaseInfo, Observer};
use super::registry::Registry;
use super::signal::Signals;
use super::sys::{self, Backend};
use super::table::Table;
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

pub(super) const MAX_PRIORITIES: usize = 256;

/// The event loop and everything registered with it (libevent's `struct event_base`).
///
/// Callbacks receive `&mut EventBase`, so they can add, delete and free any event, including
/// their own.
pub struct EventBase {
    pub(super) backend: Box<dyn Backend>,
    /// Events, addressed by `EventId` (see event_api.rs).
    pub(super) events: Table<EventData>,
    pub(super) io: Registry,
    pub(super) timers: TimerHeap<Instant>,
    /// One FIFO per priority of (slot, activation token).
    pub(super) active: Vec<VecDeque<(u32, u32)>>,
    pub(super) n_active: usize,
    /// Events that are inserted, armed or active (libevent's `event_count`).
    pub(super) n_live: usize,
    pub(super) ready: Vec<(RawFd, What)>,
    pub(super) signals: Option<Signals>,
    pub(super) observer: Option<Box<dyn Observer>>,
    /// The base's clock, counting from when the base was made (trace times count from there);
    /// read for the observer's hooks.
    pub(super) clock: Clock,
    /// The time read after the last wait, used while the loop runs (libevent's time cache).
    pub(super) time_cache: Option<Instant>,
    pub(super) iteration: u64,
    pub(super) running_loop: bool,
    /// Pending `loopexit` deadlines, each one libevent's separate `event_base_once` timer: they
    /// outlive the loop that did not reach them.
    pub(super) exit_at: Vec<Instant>,
    pub(super) got_exit: bool,
    /// libevent's `event_break`: set by `loopbreak` at once (also from another thread or a
    /// signal handler, through a [`BreakHandle`]), cleared when a loop starts.
    pub(super) got_break: Arc<AtomicBool>,
    /// The priority whose active queue is running (libevent's `event_running_priority`).
    pub(super) running_priority: Option<usize>,
    /// An event of a higher priority than the running one became active: the loop stops this
    /// queue to run it first (libevent's `event_continue`).
    pub(super) event_continue: bool,
    /// Bufferevents, addressed by `BevId` (see bufferevent.rs).
    pub(super) bevs: Table<BevData>,
    /// Connection listeners, addressed by `ListenerId` (see listener.rs).
    pub(super) listeners: Table<ListenerData>,
    /// Bufferevent rate-limit groups, addressed by `RateGroupId` (see bev_rate.rs).
    pub(super) rate_groups: Table<super::bev_rate::RateGroup>,
    /// Work queued to run from the active queue, not as any event's callback (libevent's
    /// deferred and finalizing callbacks): each has an entry `(DEFERRED, 0)` in an active queue.
    pub(super) deferred: VecDeque<Deferred>,
    /// Bufferevent deferred callbacks queued past [`MAX_DEFERREDS_QUEUED`] in one iteration:
    /// they join the active queue as the next iteration starts (libevent's
    /// `active_later_queue`).
    pub(super) deferred_later: VecDeque<Deferred>,
    /// Bufferevent deferred callbacks queued in this iteration (libevent's
    /// `n_deferreds_queued`).
    pub(super) n_deferreds_queued: usize,
    /// The handle other threads reach the loop through, once the base is notifiable
    /// (remote.rs).
    pub(super) remote: super::remote::RemoteCell,
    /// The program's deferred calls (see deferred_call.rs).
    pub(super) calls: super::deferred_call::Calls,
    /// libevent's `event_count`, `event_count_active` and their maxima (see counts.rs).
    pub(super) counts: super::counts::EventCounts,
    /// The event whose callback runs now (libevent's `current_event`).
    pub(super) running_event: Option<EventId>,
    /// How many callbacks, or how long, the loop runs before it looks for new events again
    /// (libevent's `max_dispatch_callbacks`, `max_dispatch_time`; see dispatch_limits.rs).
    pub(super) limits: super::dispatch_limits::DispatchLimits,
}

/// Breaks a base's loop from anywhere: another thread, or a signal handler (libevent's
/// `event_base_loopbreak`, which only sets a flag the loop looks at). Cheap to clone.
#[derive(Clone, Debug)]
pub struct BreakHandle(Arc<AtomicBool>, super::remote::RemoteCell);

impl BreakHandle {
    /// `event_base_loopbreak`: the loop stops after the callback now running, or right after its
    /// wait if it is waiting (a signal handler's signal interrupts the wait).
    /// A notifiable base's loop is woken to see it at once.
    pub fn loopbreak(&self) {
        self.0.store(true, Ordering::Release);
        if let Some(remote) = self.1.get() {
            remote.wake();
        }
    }
}

impl EventBase {
    /// A handle that breaks this base's loop from anywhere (see [`BreakHandle`]).
    pub fn break_handle(&self) -> BreakHandle {
        BreakHandle(self.got_break.clone(), self.remote.clone())
    }

    pub(super) fn break_requested(&self) -> bool {
        self.got_break.load(Ordering::Acquire)
    }
}

/// The slot number an active-queue entry of [`EventBase::deferred`] carries.
pub(super) const DEFERRED: u32 = u32::MAX;

/// How many bufferevent deferred callbacks one loop iteration queues before the rest wait for
/// the next (libevent's `MAX_DEFERREDS_QUEUED`).
pub(super) const MAX_DEFERREDS_QUEUED: usize = 32;

/// A deferred callback (libevent's `struct event_callback` that is not an event).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Deferred {
    /// Finish freeing a bufferevent: free its events and close its socket
    /// (libevent's `bufferevent_finalize_cb_`).
    FinalizeBev(super::handle::BevId),
    /// Run a bufferevent's pending read, write and event callbacks (libevent's
    /// `bufferevent_run_deferred_callbacks_locked`, one per bufferevent, queued once at a time).
    BevCallbacks(super::handle::BevId),
    /// Tell a bufferevent's event callback what happened during a call the program made
    /// (libevent's deferred `bufferevent_run_eventcb_`, e.g. a connect refused at once).
    BevEvent(super::handle::BevId, super::flags::BevEvents),
    /// `event_base_loopexit`'s one-shot callback: the loop ends after this iteration.
    LoopExit,
    /// A call queued with [`EventBase::defer_call`].
    Call(u64),
}

impl EventBase {
    /// A base on the backend `EVSCOPE_BACKEND` names (default epoll), with the observer
    /// `EVSCOPE_TRACE` asks for, if any (libevent's `event_base_new`).
    pub fn new() -> Result<EventBase> {
        EventBase::observed_from_env(BackendKind::from_env()?)
    }

    /// A base on a chosen backend, with the observer `EVSCOPE_TRACE` asks for, if any: the one
    /// way every base — [`EventBase::new`]'s and the C library's `event_base_new*` — is attached
    /// to the process's trace. The first base opens it; later ones join it as bases 1, 2, ….
    pub fn observed_from_env(kind: BackendKind) -> Result<EventBase> {
        let mut base = EventBase::with_backend(kind)?;
        if let Some(observer) = crate::trace::observer_from_env(&base.info())? {
            base.set_observer(observer);
        }
        Ok(base)
    }

    /// A base on a chosen backend, with no observer (libevent's `event_base_new_with_config`
    /// with the other methods avoided).
    pub fn with_backend(kind: BackendKind) -> Result<EventBase> {
        let backend = sys::backend(kind)?;
        Ok(EventBase {
            backend,
            events: Table::default(),
            io: Registry::default(),
            timers: TimerHeap::new(),
            active: vec![VecDeque::new()],
            n_active: 0,
            n_live: 0,
            ready: Vec::new(),
            signals: None,
            observer: None,
            clock: Clock::new(Instant::now()),
            time_cache: None,
            iteration: 0,
            running_loop: false,
            exit_at: Vec::new(),
            got_exit: false,
            got_break: Arc::new(AtomicBool::new(false)),
            running_priority: None,
            event_continue: false,
            bevs: Table::default(),
            listeners: Table::default(),
            rate_groups: Table::default(),
            deferred: VecDeque::new(),
            deferred_later: VecDeque::new(),
            calls: Default::default(),
            n_deferreds_queued: 0,
            remote: Arc::default(),
            counts: Default::default(),
            running_event: None,
            limits: Default::default(),
        })
    }

    /// The descriptor signals are delivered on, once a signal event was added (libevent
    /// watches its signal socketpair with an internal event, which `event_base_dump_events`
    /// lists).
    pub fn signal_fd(&self) -> Option<RawFd> {
        self.signals.as_ref().map(|s| s.read_fd())
    }

    /// The backend's name (libevent's `event_base_get_method`).
    pub fn get_method(&self) -> &'static str {
        self.backend.name()
    }

    /// When the base was created (trace times count from here).
    pub fn started(&self) -> Instant {
        self.clock.started()
    }

    /// What an observer is told about this base when installed.
    pub fn info(&self) -> BaseInfo {
        BaseInfo {
            backend: self.backend.name(),
            started: self.clock.started(),
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

    /// Reports a failure the library met on its own and could not hand to anyone (libevent's
    /// `event_warn`, which it logs): the observer hears it as a note.
    #[cold]
    pub(super) fn warn(&mut self, context: &str, e: &Error) {
        if let Some(o) = self.observer.as_deref_mut() {
            o.note(&format!("warning: {context} failed: {e}"));
        }
    }

    /// Reports `r`'s failure, if any, with [`EventBase::warn`]: for a call the library made
    /// for itself whose failure libevent also only logs.
    #[inline]
    pub(super) fn warn_on(&mut self, context: &str, r: Result<()>) {
        if let Err(e) = r {
            self.warn(context, &e);
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

    // ----- handles ------------------------------------------------------------------------------

    pub(super) fn get(&self, id: EventId) -> Result<&EventData> {
        self.events
            .get(id.index(), id.generation())
            .ok_or_else(|| Error::Stale(format!("event {id}")))
    }

    pub(super) fn get_mut(&mut self, id: EventId) -> Result<&mut EventData> {
        self.events
            .get_mut(id.index(), id.generation())
            .ok_or_else(|| Error::Stale(format!("event {id}")))
    }

    /// The live event in `slot` (callers hold a checked handle).
    pub(super) fn data(&self, slot: u32) -> &EventData {
        self.events.at(slot).expect("slot checked by the caller")
    }

    pub(super) fn data_mut(&mut self, slot: u32) -> &mut EventData {
        self.events
            .at_mut(slot)
            .expect("slot checked by the caller")
    }

    /// The handle of the event now in `slot`.
    pub(super) fn event_id(&self, slot: u32) -> EventId {
        EventId::new(slot, self.events.generation(slot))
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
