//! A base shared by the process's threads: made on one thread (memcached's main thread makes
//! every worker's base), run on another, one thread at a time.
//!
//! The engine's `EventBase` is not `Send`: it holds boxed callbacks and an observer that are
//! not required to be. [`SendBase`] asserts what holds for every base this library makes, and
//! [`SharedBase`] puts it behind a lock that the thread running a call on the base — above all
//! the thread dispatching it — holds for the call's whole length.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use evscope::ev::EventBase;

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
    send::<evscope::trace::Recorder>();
};

/// A base and the lock that gives it to one thread at a time.
pub(crate) struct SharedBase {
    base: Mutex<SendBase>,
    /// The thread holding the lock now ([`thread_tag`]), 0 for none: a second call from that
    /// same thread (one the loop did not lend the base to) would wait for itself forever.
    holder: AtomicUsize,
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
        SharedBase {
            base: Mutex::new(SendBase(base)),
            holder: AtomicUsize::new(0),
        }
    }

    /// Runs `f` on the base, waiting while another thread uses it (runs its loop, or makes a
    /// call on it). None, without waiting, when this thread holds it already.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut EventBase) -> R) -> Option<R> {
        let me = thread_tag();
        if self.holder.load(Ordering::Acquire) == me {
            return None;
        }
        let mut guard = self.base.lock().unwrap_or_else(PoisonError::into_inner);
        self.holder.store(me, Ordering::Release);
        let _holding = Holding(&self.holder);
        Some(f(&mut guard.0))
    }

    /// Runs `f` on the base if no thread uses it now; None otherwise, without waiting.
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut EventBase) -> R) -> Option<R> {
        let mut guard = match self.base.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        self.holder.store(thread_tag(), Ordering::Release);
        let _holding = Holding(&self.holder);
        Some(f(&mut guard.0))
    }
}
