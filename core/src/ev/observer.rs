//! The one window into the library: every state change, loop phase and buffer level is told to an
//! [`Observer`] from the base's choke points.

use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::flags::{BevEvents, What};
use super::handle::{BevId, EventId, ListenerId};
use super::state::{Cause, State};
use crate::trace::Levels;

/// Told once, when the observer is installed: what the base is.
#[derive(Clone, Debug)]
pub struct BaseInfo {
    /// The backend's name (`epoll`, `poll`, `select`).
    pub backend: &'static str,
    /// When the base was created; trace times are measured from here.
    pub started: Instant,
}

/// Receives the library's inner life. Every method has an empty default, so an observer
/// implements only what it shows. Hooks run on the loop thread, inline: an observer that blocks
/// (a step gate) really pauses the loop.
///
/// With no observer installed each hook costs one branch.
#[allow(unused_variables)]
pub trait Observer {
    /// The observer was installed on a base.
    fn attached(&mut self, base: &BaseInfo) {}
    /// `event_new` created an event. `fd` is the signal number for `SIGNAL` events.
    fn event_new(&mut self, ev: EventId, fd: Option<RawFd>, what: What, label: &str) {}
    /// An event's displayed state changed.
    fn transition(&mut self, ev: EventId, fd: Option<RawFd>, from: State, to: State, cause: Cause) {
    }
    /// A callback is about to run; `what` is what fired. `at` is the clock reading the loop
    /// times the callback from (read just before this hook), so the observer need not read it.
    fn callback_begin(&mut self, ev: EventId, what: What, at: Instant) {}
    /// A callback returned after `dur`, `at` (the loop's clock reading as it returned: `dur`
    /// is `at` minus `callback_begin`'s `at`).
    fn callback_end(&mut self, ev: EventId, what: What, dur: Duration, at: Instant) {}
    /// The loop starts iteration `n` (counted from 1 for each base).
    fn loop_iteration(&mut self, n: u64) {}
    /// The loop is about to wait in the backend (`None`: no timeout).
    fn poll_begin(&mut self, backend: &'static str, timeout: Option<Duration>) {}
    /// The backend returned with `ready` fds ready, `at` (the loop's clock reading just after
    /// the wait, which it also caches as its time for this iteration).
    fn poll_end(&mut self, ready: usize, at: Instant) {}
    /// Timer phase: `expired` timeouts fired this iteration.
    fn timers_expired(&mut self, expired: usize) {}
    /// Active phase: the loop runs the queue of `priority`, holding `queued` callbacks.
    fn run_active(&mut self, priority: u8, queued: usize) {}
    /// A bufferevent was created (`fd` None until it gets one).
    fn bufferevent_new(&mut self, bev: BevId, fd: Option<RawFd>, label: &str) {}
    /// A bufferevent's fill levels (or watermarks, or enabled directions) changed.
    fn buffer(&mut self, bev: BevId, levels: &Levels) {}
    /// A bufferevent's event callback is told `events`.
    fn bev_event(&mut self, bev: BevId, events: BevEvents) {}
    /// A bufferevent was freed.
    fn bufferevent_freed(&mut self, bev: BevId) {}
    /// A listener accepted `fd` from `peer`.
    fn accept(&mut self, listener: ListenerId, fd: RawFd, peer: Option<&SocketAddr>) {}
    /// A free-text note from the program (lessons use these to narrate).
    fn note(&mut self, text: &str) {}
    /// The process forked and this is the child, calling `EventBase::event_reinit` (libevent's
    /// `event_reinit`): threads and connections the observer holds belong to the parent.
    fn forked(&mut self, base: &BaseInfo) {}
    /// Whether a viewer may hold the loop at any record now (paused, stepping, or watching for
    /// a breakpoint). While it may, what the library samples for the observer (the kernel's
    /// queues beside a bufferevent's levels) is read afresh for every record.
    fn may_hold(&self) -> bool {
        false
    }
}
