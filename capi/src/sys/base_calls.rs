//! Calling the program's function pointers of the base calls beyond the loop:
//! `event_base_foreach_event_cb` and `event_finalize_callback_fn`, with the argument lists
//! libevent's `event.h` gives them.

use std::os::raw::{c_int, c_void};

use crate::types::{event, event_base};

/// `event_base_foreach_event_cb`: `int (*)(const struct event_base *, const struct event *,
/// void *)`.
pub(crate) type ForeachCb =
    unsafe extern "C" fn(*const event_base, *const event, *mut c_void) -> c_int;

/// `event_finalize_callback_fn`: `void (*)(struct event *, void *)`.
pub(crate) type FinalizeCb = unsafe extern "C" fn(*mut event, *mut c_void);

/// Calls a foreach callback on one event; its return value (non-zero stops the walk).
pub(crate) fn foreach_cb(f: ForeachCb, base: usize, ev: usize, arg: usize) -> c_int {
    // SAFETY: `f` is the program's `event_base_foreach_event_cb`, called with its declared
    // arguments: the base handle it passed in, a live `struct event` of that base, and its
    // own argument, handed back untouched.
    unsafe {
        f(
            base as *const event_base,
            ev as *const event,
            arg as *mut c_void,
        )
    }
}

/// Calls an event's finalizer.
pub(crate) fn finalize_cb(f: FinalizeCb, ev: usize, arg: usize) {
    // SAFETY: `f` is the program's `event_finalize_callback_fn`, called with the event it was
    // given for (still allocated: it is freed only after this returns) and the event's
    // callback argument, as libevent calls it.
    unsafe { f(ev as *mut event, arg as *mut c_void) }
}
