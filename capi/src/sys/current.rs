//! The base a C callback belongs to, lent to the API calls the callback makes.
//!
//! The loop runs with `&mut EventBase`; a C callback it calls may call `event_add`,
//! `bufferevent_write`, … on the same base. Making a second `&mut` from the base's handle would
//! alias the loop's. Instead, each call into C goes through [`lend`], which records the loop's
//! `&mut EventBase` (as a raw pointer, in a frame on its own stack) for the duration of the C
//! call; API calls made meanwhile reach the base through [`with_lent`], a reborrow of that same
//! reference, while the loop's frame is suspended inside the C call.

use std::cell::Cell;
use std::ptr;

use evscope_core::ev::EventBase;

/// One lent base: a frame on [`lend`]'s stack, linked to the lend below it.
struct Frame {
    key: usize,
    base: *mut EventBase,
    below: *const Frame,
}

thread_local! {
    /// The innermost lend on this thread. No destructor, so it is usable while the process
    /// exits (an `exit()` inside a callback).
    static TOP: Cell<*const Frame> = const { Cell::new(ptr::null()) };
}

/// Puts the previous top back, also if the C call unwinds.
struct Restore(*const Frame);

impl Drop for Restore {
    fn drop(&mut self) {
        TOP.with(|t| t.set(self.0));
    }
}

/// Runs `call` (a call into C) with `base` lent under `key`, the base's C handle.
pub(crate) fn lend<R>(key: usize, base: &mut EventBase, call: impl FnOnce() -> R) -> R {
    let below = TOP.with(Cell::get);
    let frame = Frame {
        key,
        base: base as *mut EventBase,
        below,
    };
    TOP.with(|t| t.set(&frame));
    let _restore = Restore(below);
    // Cleanups of evbuffer bytes the engine freed since (a bufferevent's output written out,
    // a bufferevent finalized) run before the program's next callback, as libevent runs them
    // when it frees the bytes.
    crate::buffer_ref::run_cleanups();
    call()
}

/// The innermost frame lending `key`, if any.
fn find(key: usize) -> Option<*mut EventBase> {
    let mut p = TOP.with(Cell::get);
    while !p.is_null() {
        // SAFETY: every non-null pointer in the chain is a `Frame` on the stack of a `lend`
        // call that has not returned (each `lend` unlinks its frame before returning).
        let frame = unsafe { &*p };
        if frame.key == key {
            return Some(frame.base);
        }
        p = frame.below;
    }
    None
}

/// True while a callback of the base `key` runs on this thread.
pub(crate) fn is_lent(key: usize) -> bool {
    find(key).is_some()
}

/// Runs `f` on the base lent under `key`; gives `f` back when it is not lent.
pub(crate) fn with_lent<R, F>(key: usize, f: F) -> Result<R, F>
where
    F: FnOnce(&mut EventBase) -> R,
{
    match find(key) {
        // SAFETY: the pointer was made from the `&mut EventBase` given to `lend`, whose owner
        // is suspended inside the C call until `lend` returns, so nothing else uses the base
        // now; reborrows nest (a callback of another base lends that one, never this pointer
        // twice at once), and the reference does not outlive `f`.
        Some(base) => Ok(f(unsafe { &mut *base })),
        None => Err(f),
    }
}

/// The keys of every lent base on this thread, innermost first.
pub(crate) fn lent_keys() -> Vec<usize> {
    let mut keys = Vec::new();
    let mut p = TOP.with(Cell::get);
    while !p.is_null() {
        // SAFETY: as in `find`: a live frame of an unreturned `lend`.
        let frame = unsafe { &*p };
        if !keys.contains(&frame.key) {
            keys.push(frame.key);
        }
        p = frame.below;
    }
    keys
}
