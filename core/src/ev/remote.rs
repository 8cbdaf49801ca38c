//! Reaching a running loop from other threads (libevent's `evthread_make_base_notifiable` and
//! the notify fd it wakes the loop through).
//!
//! A notifiable base watches an eventfd as an internal descriptor: not an event, not counted
//! among the events that keep the loop alive. A [`Remote`] handle, which any thread may hold,
//! queues work for the loop ([`Job`]s, run with the loop's `&mut EventBase`) and writes the
//! eventfd; the loop wakes from its wait, resets the eventfd and runs the queued jobs before it
//! looks at the other ready descriptors. Jobs are accepted only while a loop runs: the loop
//! opens the queue as it starts, and as it ends closes it and runs what is left, under the
//! queue's lock, so an accepted job always runs.

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use super::base::EventBase;
use super::error::Result;
use super::flags::What;
use super::sys::{eventfd, Backend};

/// Work for a base's loop, sent from another thread.
pub type Job = Box<dyn FnOnce(&mut EventBase) + Send>;

/// The jobs waiting for the loop, and whether a loop runs to take them.
#[derive(Default)]
struct Queue {
    accepting: bool,
    jobs: VecDeque<Job>,
    /// Counts [`Remote::changed`] calls and loop starts, for [`Remote::wait_change`].
    generation: u64,
}

struct Shared {
    /// The eventfd (-1 once closed). Atomic so a signal handler's wake reads it without a lock.
    fd: AtomicI32,
    queue: Mutex<Queue>,
    changed: Condvar,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let fd = self.fd.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            eventfd::close(fd);
        }
    }
}

/// A handle on a notifiable base's loop, for any thread: wakes it and sends it [`Job`]s.
/// Cheap to clone. Made by [`EventBase::evthread_make_base_notifiable`].
#[derive(Clone)]
pub struct Remote(Arc<Shared>);

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("fd", &self.fd()).finish()
    }
}

impl Remote {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.0.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The eventfd the loop watches (libevent's `th_notify_fd[0]`).
    pub fn fd(&self) -> RawFd {
        self.0.fd.load(Ordering::Acquire)
    }

    /// Wakes the loop if it is waiting; the next wait returns at once if it is not. Safe in a
    /// signal handler.
    pub fn wake(&self) {
        let fd = self.fd();
        if fd >= 0 {
            eventfd::notify(fd);
        }
    }

    /// Queues `job` for the loop running the base and wakes it; `job` runs on the loop's
    /// thread, after the loop's current wait or callback. Gives the job back when no loop
    /// runs the base now (whoever holds the base may then run it directly).
    pub fn run(&self, job: Job) -> std::result::Result<(), Job> {
        let mut slot = Some(job);
        match self.run_with(|| slot.take().expect("made once")) {
            Ok(()) => Ok(()),
            Err(_) => Err(slot.take().expect("not taken when refused")),
        }
    }

    /// As [`Remote::run`], with the job made only once it is accepted. When no loop runs the
    /// base, the count of changes so far, for [`Remote::wait_change`].
    pub fn run_with(&self, make: impl FnOnce() -> Job) -> std::result::Result<(), u64> {
        let mut q = self.queue();
        if !q.accepting {
            return Err(q.generation);
        }
        q.jobs.push_back(make());
        drop(q);
        self.wake();
        Ok(())
    }

    /// Tells threads in [`Remote::wait_change`] that the base's holder changed (e.g. whoever
    /// held the base released it). A loop's start tells them too.
    pub fn changed(&self) {
        let mut q = self.queue();
        q.generation += 1;
        drop(q);
        self.0.changed.notify_all();
    }

    /// Waits until a loop starts or [`Remote::changed`] is called after the count `since`
    /// (from [`Remote::run_with`]) was read, or until `timeout` passes.
    pub fn wait_change(&self, since: u64, timeout: Duration) {
        let q = self.queue();
        // Whether it timed out does not matter: the caller reads the count again either way.
        let _ = self
            .0
            .changed
            .wait_timeout_while(q, timeout, |q| q.generation == since && !q.accepting)
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// Opens or closes the queue; closing returns the jobs left, which the caller runs.
    fn set_accepting(&self, on: bool) -> VecDeque<Job> {
        let mut q = self.queue();
        q.accepting = on;
        let left = if on {
            q.generation += 1;
            VecDeque::new()
        } else {
            std::mem::take(&mut q.jobs)
        };
        drop(q);
        if on {
            self.0.changed.notify_all();
        }
        left
    }

    fn take_jobs(&self) -> VecDeque<Job> {
        std::mem::take(&mut self.queue().jobs)
    }
}

/// Where a base keeps its [`Remote`], once it is notifiable: shared with its break handles,
/// which wake the loop through it.
pub(super) type RemoteCell = Arc<OnceLock<Remote>>;

impl EventBase {
    /// Makes the base wakeable from other threads (libevent's `evthread_make_base_notifiable`):
    /// the first call makes an eventfd and watches it, internally; later calls return the
    /// same handle.
    pub fn evthread_make_base_notifiable(&mut self) -> Result<Remote> {
        if let Some(remote) = self.remote.get() {
            return Ok(remote.clone());
        }
        let fd = eventfd::create()?;
        let remote = Remote(Arc::new(Shared {
            fd: AtomicI32::new(fd),
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
        }));
        let (old, new) = self.io.with_added(fd, What::READ);
        self.backend.update(fd, old, new)?;
        if self.running_loop {
            remote.set_accepting(true);
        }
        let set = self.remote.set(remote.clone());
        debug_assert!(
            set.is_ok(),
            "set once: the cell was empty above and `&mut self` held"
        );
        Ok(remote)
    }

    /// The handle of a notifiable base; None until [`EventBase::evthread_make_base_notifiable`].
    pub fn remote(&self) -> Option<Remote> {
        self.remote.get().cloned()
    }

    /// The descriptor other threads wake the loop through, once the base is notifiable
    /// (`event_base_dump_events` lists libevent's internal event on it).
    pub fn notify_fd(&self) -> Option<RawFd> {
        self.remote.get().map(Remote::fd)
    }

    /// A loop starts: jobs are accepted from now on.
    pub(super) fn remote_open(&mut self) {
        if let Some(remote) = self.remote.get() {
            remote.set_accepting(true);
        }
    }

    /// A loop ends: no more jobs are accepted, and those already accepted run now.
    pub(super) fn remote_close(&mut self) {
        let Some(remote) = self.remote.get().cloned() else {
            return;
        };
        for job in remote.set_accepting(false) {
            job(self);
        }
    }

    /// After the backend's wait: when the eventfd is among the ready descriptors, resets it and
    /// runs the queued jobs, and gives back the ready list without it.
    pub(super) fn remote_ready(&mut self, ready: &mut Vec<(RawFd, What)>) {
        let Some(remote) = self.remote.get().cloned() else {
            return;
        };
        let fd = remote.fd();
        let before = ready.len();
        ready.retain(|(f, _)| *f != fd);
        if ready.len() == before {
            return;
        }
        eventfd::drain(fd);
        loop {
            let jobs = remote.take_jobs();
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                job(self);
            }
        }
    }

    /// After `fork()`, in the child: an eventfd of its own, watched by the child's new backend
    /// (libevent's `event_reinit` makes a notifiable base notifiable again).
    pub(super) fn remote_reinit(&mut self, backend: &mut dyn Backend) -> Result<()> {
        let Some(remote) = self.remote.get() else {
            return Ok(());
        };
        let fd = eventfd::create()?;
        let old = remote.0.fd.swap(fd, Ordering::AcqRel);
        if old >= 0 {
            eventfd::close(old);
        }
        let (old, new) = self.io.with_added(fd, What::READ);
        backend.update(fd, old, new)
    }
}
