//! Deferred calls: work a user of the engine queues to run from the loop's active queue, as
//! libevent's deferred callbacks run (`event_deferred_cb_schedule_`, at the middle priority,
//! past `MAX_DEFERREDS_QUEUED` in the next iteration). An evbuffer whose callbacks are deferred
//! (`evbuffer_defer_callbacks`) runs them this way.

use std::collections::HashMap;

use super::base::{Deferred, EventBase};

/// A call queued with [`EventBase::defer_call`].
pub type DeferredCall = Box<dyn FnOnce(&mut EventBase) + Send>;

/// The calls queued and not yet run, by id.
#[derive(Default)]
pub(crate) struct Calls {
    next: u64,
    queued: HashMap<u64, DeferredCall>,
}

impl EventBase {
    /// Queues `call` to run from the loop like libevent's deferred callbacks; returns its id,
    /// for [`EventBase::cancel_deferred_call`].
    pub fn defer_call(&mut self, call: DeferredCall) -> u64 {
        self.calls.next += 1;
        let id = self.calls.next;
        self.calls.queued.insert(id, call);
        self.schedule_deferred(Deferred::Call(id));
        id
    }

    /// Forgets a queued call (libevent's `event_deferred_cb_cancel_`); false if it already ran
    /// or was cancelled.
    pub fn cancel_deferred_call(&mut self, id: u64) -> bool {
        self.calls.queued.remove(&id).is_some()
    }

    /// Runs the call `id`, unless cancelled.
    pub(crate) fn run_deferred_call(&mut self, id: u64) {
        if let Some(call) = self.calls.queued.remove(&id) {
            call(self);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::ev::LoopFlags;

    #[test]
    fn deferred_calls_run_from_the_loop_unless_cancelled() {
        let mut base = EventBase::with_backend(crate::ev::BackendKind::Poll).unwrap();
        let ran = Arc::new(Mutex::new(Vec::new()));
        let (r1, r2) = (ran.clone(), ran.clone());
        base.defer_call(Box::new(move |_| r1.lock().unwrap().push(1)));
        let second = base.defer_call(Box::new(move |_| r2.lock().unwrap().push(2)));
        assert!(ran.lock().unwrap().is_empty());
        assert!(base.cancel_deferred_call(second));
        assert!(!base.cancel_deferred_call(second));
        base.loop_(LoopFlags::NONBLOCK).unwrap();
        assert_eq!(*ran.lock().unwrap(), vec![1]);
    }
}
