//! A call on a base that another thread is dispatching: the call is sent to the loop as a job
//! (the engine's `Remote`), runs there with the loop's `&mut EventBase`, and the calling thread
//! waits for its result. This is how libevent's locking lets another thread's `event_add`,
//! `event_active`, `bufferevent_write`… take effect in a running loop, and wake it.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use evscope_core::ev::{EventBase, Job, Remote};

/// Where the loop's thread leaves a call's result: None while the call has not finished;
/// `Some(None)` when its job was dropped without running.
struct Reply<R> {
    state: Mutex<Option<Option<R>>>,
    done: Condvar,
}

impl<R> Reply<R> {
    fn deliver(&self, result: Option<R>) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        self.done.notify_all();
    }

    fn wait(&self) -> Option<R> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(result) = state.take() {
                return result;
            }
            state = self
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The call and its reply, travelling together: however the job ends (run, or dropped unrun),
/// dropping this drops the call first, then delivers, so the waiting caller is released only
/// once nothing of its call is left on the loop's thread.
struct Finish<F, R> {
    f: Option<F>,
    result: Option<R>,
    reply: Arc<Reply<R>>,
}

impl<F, R> Drop for Finish<F, R> {
    fn drop(&mut self) {
        drop(self.f.take());
        self.reply.deliver(self.result.take());
    }
}

/// Carries a [`Finish`] to the loop's thread.
struct Carried<T>(T);

// SAFETY: what a `Carried` holds — an API call's closure, the reply it fills and the result —
// moves to the loop's thread while the thread that made it is blocked in `call` until the
// closure has run or been dropped there. So it is used by one thread at a time, as if lent to
// a scoped thread. The closures are the API modules' calls on a base: they capture handle keys,
// the C program's pointers as plain integers, C function pointers and references to the
// caller's locals (slices of the program's memory, values to store), and reach the library's
// state through the process-wide locked tables, never through the calling thread's
// thread-local state; their results are integers, handles, strings and byte vectors.
unsafe impl<T> Send for Carried<T> {}

impl<T> Carried<T> {
    /// Taking the value by a method makes a closure capture the whole `Carried`, not the field.
    fn into_inner(self) -> T {
        self.0
    }
}

/// Sends `f` (taken out of `slot`) to the loop running the base `remote` belongs to, and waits
/// for its result: `Ok(Some(r))` once it ran there, `Ok(None)` if its job was dropped unrun.
/// When no loop runs the base, `slot` keeps `f` and the error is the remote's count of changes
/// (for `Remote::wait_change`).
pub(crate) fn call<F, R>(remote: &Remote, slot: &mut Option<F>) -> Result<Option<R>, u64>
where
    F: FnOnce(&mut EventBase) -> R,
{
    let reply = Arc::new(Reply {
        state: Mutex::new(None),
        done: Condvar::new(),
    });
    remote.run_with(|| {
        let finish = Carried(Finish {
            f: slot.take(),
            result: None,
            reply: reply.clone(),
        });
        let job: Box<dyn FnOnce(&mut EventBase) + Send + '_> =
            Box::new(move |base: &mut EventBase| {
                let mut finish = finish.into_inner();
                if let Some(f) = finish.f.take() {
                    finish.result = Some(f(base));
                }
            });
        // SAFETY: only the lifetime changes. The job borrows from this caller's frame (`f`'s
        // captures), and `call` does not return before the job has run or been dropped: it
        // waits below for the `Finish` inside the job to deliver, which happens as the job is
        // consumed either way, after `f` itself is gone.
        unsafe { std::mem::transmute::<Box<dyn FnOnce(&mut EventBase) + Send + '_>, Job>(job) }
    })?;
    Ok(reply.wait())
}
