//! [`Gate`]: the step gate in the observed process. The recorder asks it before every record;
//! while a viewer holds the loop paused, the real loop thread waits here. A viewer that goes
//! away releases it: the program runs on, never stuck.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::link::{Control, Status};
use super::schema::Body;

/// The most breakpoints a viewer may set at once.
pub const MAX_BREAKPOINTS: usize = 1024;

#[derive(Default)]
struct GateState {
    connected: bool,
    paused: bool,
    /// Records a step still allows through while paused.
    credits: u64,
    breakpoints: HashSet<u64>,
    run_to_iteration: bool,
}

impl GateState {
    fn engaged(&self) -> bool {
        self.connected && (self.paused || self.run_to_iteration || !self.breakpoints.is_empty())
    }
}

/// The step gate shared by the loop thread (which waits in it) and the link's control thread
/// (which applies the viewer's [`Control`] messages).
#[derive(Default)]
pub struct Gate {
    state: Mutex<GateState>,
    wake: Condvar,
    /// A copy of `GateState::engaged`, so a free-running loop pays one atomic load per record.
    engaged: AtomicBool,
}

impl Gate {
    /// An open gate with no viewer.
    pub fn new() -> Gate {
        Gate::default()
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, s: &GateState) {
        self.engaged.store(s.engaged(), Ordering::Release);
        self.wake.notify_all();
    }

    /// True when a viewer is connected and the gate may hold or watch records; when false the
    /// recorder skips the gate entirely.
    pub fn engaged(&self) -> bool {
        self.engaged.load(Ordering::Acquire)
    }

    /// True while the viewer holds the loop paused.
    pub fn is_paused(&self) -> bool {
        let s = self.lock();
        s.connected && s.paused
    }

    /// A viewer connected; the gate starts open (running).
    pub fn connect(&self) {
        let mut s = self.lock();
        *s = GateState {
            connected: true,
            ..GateState::default()
        };
        self.update(&s);
    }

    /// The viewer went away: release the loop and forget its breakpoints.
    pub fn disconnect(&self) {
        let mut s = self.lock();
        *s = GateState::default();
        self.update(&s);
    }

    /// Applies a viewer's control message; returns the status to report, if any (an error for
    /// a breakpoint past `MAX_BREAKPOINTS`).
    pub fn apply(&self, ctl: &Control) -> Option<Status> {
        let mut s = self.lock();
        let status = match ctl {
            Control::Pause => {
                s.paused = true;
                s.credits = 0;
                Some(Status::Paused {
                    reason: "pause".into(),
                    ev: None,
                })
            }
            Control::Step { n } => {
                s.paused = true;
                s.credits = s.credits.saturating_add(*n);
                None
            }
            Control::Continue => {
                s.paused = false;
                s.credits = 0;
                Some(Status::Running)
            }
            Control::Break { ev } => {
                if s.breakpoints.len() >= MAX_BREAKPOINTS && !s.breakpoints.contains(ev) {
                    Some(Status::Error {
                        message: format!(
                            "breakpoint on event {ev} refused: {MAX_BREAKPOINTS} are set already"
                        ),
                    })
                } else {
                    s.breakpoints.insert(*ev);
                    None
                }
            }
            Control::Unbreak { ev } => {
                s.breakpoints.remove(ev);
                None
            }
            Control::NextIteration => {
                s.paused = false;
                s.credits = 0;
                s.run_to_iteration = true;
                Some(Status::Running)
            }
        };
        self.update(&s);
        status
    }

    /// Called by the loop thread before a record: waits while the viewer holds the loop paused
    /// and no step allows a record through.
    pub fn wait_turn(&self) {
        self.turn(true);
    }

    /// [`Gate::wait_turn`], except that when it would have to wait and `ready_to_wait` is
    /// false it returns false at once, so the caller can first hand the viewer what it has
    /// recorded (without holding the gate's lock) and then call again with true.
    pub fn turn(&self, ready_to_wait: bool) -> bool {
        let mut s = self.lock();
        loop {
            if !s.connected || !s.paused {
                return true;
            }
            if s.credits > 0 {
                s.credits -= 1;
                return true;
            }
            if !ready_to_wait {
                return false;
            }
            s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Called by the loop thread after a record passed: a breakpoint on its event, or the
    /// awaited loop iteration, pauses the loop before the next record. Returns the status to
    /// report when that paused a running loop.
    pub fn passed(&self, body: &Body) -> Option<Status> {
        let mut s = self.lock();
        if !s.connected {
            return None;
        }
        let status = if let Some(ev) = body.ev().filter(|ev| s.breakpoints.contains(ev)) {
            Some(Status::Paused {
                reason: "breakpoint".into(),
                ev: Some(ev),
            })
        } else if s.run_to_iteration && matches!(body, Body::LoopIteration { .. }) {
            s.run_to_iteration = false;
            Some(Status::Paused {
                reason: "next_iteration".into(),
                ev: None,
            })
        } else {
            None
        };
        let was_paused = s.paused;
        if status.is_some() && !was_paused {
            s.paused = true;
            s.credits = 0;
        }
        self.update(&s);
        status.filter(|_| !was_paused)
    }
}
