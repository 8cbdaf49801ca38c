//! A base shared by the process's threads: made on one thread (memcached's main thread makes
//! every worker's base), run on another, one thread at a time.
//!
//! The engine's `EventBase` is not `Send`: it holds boxed callbacks and an observer that are
//! not required to be. [`SendBase`] asserts what holds for every base this library makes, and
//! [`SharedBase`] puts it behind a lock that the thread running a call on the base — above all
//! the thread dispatching it — holds for the call's whole length.
//!
//! A notifiable base (libevent's `evthread_make_base_notifiable`, which `event_base_new` does
//! once `evthread_use_pthreads` was called) is reached differently while another thread
//! dispatches it: the call is sent to the loop, which runs it and wakes if it was waiting
//! (`remote_call`), as libevent's loop releases its lock while it waits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};
use std::time::Duration;

use evscope_core::ev::{EventBase, Remote};

use super::remote_call;

/// An `EventBase` made by this library, which may move between threads.
struct SendBase(EventBase);

// SAFETY: what keeps `EventBase` from being `Send` is what it holds behind trait objects, and
// for a base made here each of them may move between threads:
// - every callback this library installs (events, bufferevents, listeners, `event_base_once`)
//   captures only plain integers — handle keys, the C program's argument pointers as `usize` —
//   and C function pointers; when it runs it reaches the library's state through the
//   process-wide, locked handle tables, never through thread-local state of the thread that
//   made it;
// - the only observer installed is the trace's `Recorder` (from `EVSCOPE_TRACE`), which is
//   `Send` (checked below);
// - the rest of the engine's state is owned data (fds, buffers, timers), and the chunk storage
//   its buffers recycle per thread is handed back to whichever thread frees it.
// A `SendBase` is reached only through `SharedBase`'s mutex, so one thread at a time uses it.
unsafe impl Send for SendBase {}

/// The observer every base made here may carry must be `Send` for the claim above.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<evscope_core::trace::Recorder>();
};

/// A base and the lock that gives it to one thread at a time.
pub(crate) struct SharedBase {
    base: Mutex<SendBase>,
    /// The thread holding the lock now ([`thread_tag`]), 0 for none: a second call from that
    /// same thread (one the loop did not lend the base to) would wait for itself forever.
    holder: AtomicUsize,
    /// The base's remote handle, once it is notifiable.
    remote: OnceLock<Remote>,
}

/// An address unique to the calling thread while it lives.
fn thread_tag() -> usize {
    thread_local! {
        static TAG: u8 = const { 0 };
    }
    TAG.try_with(|t| t as *const u8 as usize)
        .unwrap_or(usize::MAX)
}

/// Clears the holder as the lock is released (also if the call unwinds).
struct Holding<'a>(&'a AtomicUsize);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

impl SharedBase {
    pub(crate) fn new(base: EventBase) -> SharedBase {
        let remote = OnceLock::new();
        if let Some(r) = base.remote() {
            let _ = remote.set(r);
        }
        SharedBase {
            base: Mutex::new(SendBase(base)),
            holder: AtomicUsize::new(0),
            remote,
        }
    }

    /// The base became notifiable: calls from other threads reach its running loop from now on.
    pub(crate) fn set_remote(&self, remote: Remote) {
        let _ = self.remote.set(remote);
    }

    /// Runs `f` with the lock held by this thread, then tells threads waiting to reach the
    /// base that it is free.
    fn run_locked<R>(
        &self,
        mut guard: MutexGuard<'_, SendBase>,
        f: impl FnOnce(&mut EventBase) -> R,
    ) -> R {
        let r = {
            self.holder.store(thread_tag(), Ordering::Release);
            let _holding = Holding(&self.holder);
            f(&mut guard.0)
        };
        drop(guard);
        if let Some(remote) = self.remote.get() {
            remote.changed();
        }
        r
    }

    /// Runs `f` on the base, waiting while another thread uses it (runs a call on it, or runs
    /// its loop — unless the base is notifiable: then `f` runs inside that loop, which it
    /// wakes). None, without waiting, when this thread holds it already.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut EventBase) -> R) -> Option<R> {
        if self.holder.load(Ordering::Acquire) == thread_tag() {
            return None;
        }
        let Some(remote) = self.remote.get() else {
            let guard = self.base.lock().unwrap_or_else(PoisonError::into_inner);
            return Some(self.run_locked(guard, f));
        };
        let mut slot = Some(f);
        loop {
            match self.base.try_lock() {
                Ok(guard) => return Some(self.run_locked(guard, slot.take()?)),
                Err(TryLockError::Poisoned(p)) => {
                    return Some(self.run_locked(p.into_inner(), slot.take()?))
                }
                Err(TryLockError::WouldBlock) => {}
            }
            match remote_call::call(remote, &mut slot) {
                Ok(result) => return result,
                // Held by a thread that is not (yet) running the loop: wait for it to release
                // the base or to start the loop (the timeout only bounds a missed change).
                Err(seen) => remote.wait_change(seen, Duration::from_millis(50)),
            }
        }
    }

    /// Runs `f` on the base with its lock, waiting for any loop running it to return (what
    /// `event_base_free` needs). None, without waiting, when this thread holds it already.
    pub(crate) fn with_own<R>(&self, f: impl FnOnce(&mut EventBase) -> R) -> Option<R> {
        if self.holder.load(Ordering::Acquire) == thread_tag() {
            return None;
        }
        let guard = self.base.lock().unwrap_or_else(PoisonError::into_inner);
        Some(self.run_locked(guard, f))
    }

    /// Runs `f` on the base if no thread uses it now; None otherwise, without waiting.
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut EventBase) -> R) -> Option<R> {
        let guard = match self.base.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        Some(self.run_locked(guard, f))
    }
}
