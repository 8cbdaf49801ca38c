//! libevent's `event_finalize` and `event_free_finalize`: an event is deleted and its
//! finalizer queued to run from the loop, after any run of its callback, so the program may
//! free what the callback uses. Until it is freed (or assigned again) the event can no longer
//! be added or activated, and deleting it does nothing (libevent's `EVLIST_FINALIZING`).

use super::base::{EventBase, DEFERRED};
use super::error::Result;
use super::flags::What;
use super::handle::EventId;
use super::state::Cause;

/// A finalizer: called once from the loop with the finalized event, which it may free.
pub type Finalizer = Box<dyn FnOnce(&mut EventBase, EventId)>;

/// An event's finalization (see [`EventBase::event_finalize`]).
pub(crate) struct Finalizing {
    /// Taken when it runs.
    cb: Option<Finalizer>,
    /// `event_free_finalize`: the event is freed after its finalizer.
    free: bool,
}

impl EventBase {
    /// Deletes the event and queues `cb` to run from the loop like a callback of the event,
    /// at its priority, after the callbacks already queued (libevent's `event_finalize`). From
    /// then on adding or activating it is refused, deleting it does nothing; the event stays
    /// the program's to free. Finalizing it again before the finalizer ran replaces the
    /// finalizer, as libevent does.
    pub fn event_finalize(&mut self, id: EventId, cb: Finalizer) -> Result<()> {
        self.finalize(id, false, cb)
    }

    /// [`EventBase::event_finalize`], and the event is freed once `cb` returns (libevent's
    /// `event_free_finalize`).
    pub fn event_free_finalize(&mut self, id: EventId, cb: Finalizer) -> Result<()> {
        self.finalize(id, true, cb)
    }

    fn finalize(&mut self, id: EventId, free: bool, cb: Finalizer) -> Result<()> {
        let slot = id.index();
        if let Some(f) = self.get_mut(id)?.finalizing.as_mut() {
            f.cb = Some(cb);
            f.free = free;
            return Ok(());
        }
        self.event_del(id)?;
        self.data_mut(slot).finalizing = Some(Finalizing { cb: Some(cb), free });
        self.queue_insert_active(slot, What::FINALIZE, 1);
        self.sync_state(slot, Cause::Activate);
        Ok(())
    }

    /// True once `event_finalize` was called on the event.
    pub fn event_is_finalizing(&self, id: EventId) -> Result<bool> {
        Ok(self.get(id)?.finalizing.is_some())
    }

    /// Runs the finalizer of the finalizing event in `slot`, taken off the active queue (the
    /// loop's step for such an event). No event counts as running meanwhile.
    pub(super) fn run_finalizer(&mut self, slot: u32) -> bool {
        let id = self.event_id(slot);
        let ev = self.data_mut(slot);
        let Some(res) = ev.active.take() else {
            return false;
        };
        ev.ncalls = 0;
        let (cb, free) = match ev.finalizing.as_mut() {
            Some(f) => (f.cb.take(), f.free),
            None => (None, false),
        };
        ev.running = true;
        self.n_active -= 1;
        self.sync_state(slot, Cause::Dispatch);
        let outer = self.running_event.take();
        let began = self.callback_begins(id, res);
        if let Some(cb) = cb {
            cb(self, id);
        }
        self.callback_ends(id, res, began);
        self.running_event = outer;
        if let Ok(ev) = self.get_mut(id) {
            ev.running = false;
            if free {
                let freed = self.event_free(id);
                debug_assert!(freed.is_ok(), "freeing a live event: {freed:?}");
            } else {
                self.sync_state(slot, Cause::Returned);
            }
        }
        true
    }

    /// Runs every queued finalizer, highest priority first, as libevent's `event_base_free`
    /// does before it frees the base (`event_base_free_nofinalize` does not).
    pub fn run_finalizers(&mut self) {
        loop {
            let queued: Vec<u32> = self
                .active
                .iter()
                .flatten()
                .filter(|(slot, token)| {
                    *slot != DEFERRED
                        && self.events.at(*slot).is_some_and(|ev| {
                            ev.finalizing.is_some()
                                && ev.active.is_some()
                                && ev.active_token == *token
                        })
                })
                .map(|(slot, _)| *slot)
                .collect();
            if queued.is_empty() {
                return;
            }
            for slot in queued {
                self.run_finalizer(slot);
            }
        }
    }
}
