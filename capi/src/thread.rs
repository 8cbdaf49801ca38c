//! `thread.h`: libevent's thread support (`evthread_use_pthreads`, the lock, condition and id
//! callbacks, lock debugging, `evthread_make_base_notifiable`).
//!
//! The engine keeps its own locks: the callbacks are stored and given back as libevent does
//! (and `evthread_use_pthreads`'s really lock pthread mutexes, for a program that calls them),
//! and what they switch on is libevent's: once locking is on, every base `event_base_new`
//! makes is notifiable, so a call another thread makes on it while it is dispatched takes
//! effect in the running loop and wakes it (`sys::shared`).

use std::os::raw::c_int;

use evscope_core::ev::EventBase;

use crate::base::with_base;
use crate::error::{self, CError, Result};
use crate::handles;
use crate::sys::cptr::In;
use crate::sys::evthread::{
    self, evthread_condition_callbacks, evthread_lock_callbacks, IdFn, Which,
};
use crate::types::event_base;

/// `EVENT_BASE_FLAG_NOLOCK`: a base made without locks, so never notifiable at creation.
const EVENT_BASE_FLAG_NOLOCK: c_int = 0x01;

/// libevent's `EVTHREAD_LOCKING_ENABLED()`: lock callbacks are in force (the program's, the
/// pthread ones, or lock debugging's).
pub(crate) fn locking_enabled() -> bool {
    evthread::tables().locks(Which::InForce).lock.is_some()
}

/// What `event_base_new_with_config` does for threads (event.c): with locking on and no
/// `EVENT_BASE_FLAG_NOLOCK`, the new base is made notifiable.
pub(crate) fn prepare_base(base: &mut EventBase, flags: c_int) -> Result<()> {
    if locking_enabled() && flags & EVENT_BASE_FLAG_NOLOCK == 0 {
        base.evthread_make_base_notifiable().map_err(|_| {
            CError::Warn("event_base_new_with_config: Unable to make base notifiable.".into())
        })?;
    }
    Ok(())
}

/// A loop is starting: libevent records its owner's id (`EVTHREAD_GET_ID()`), calling the
/// program's id callback if it set one.
pub(crate) fn loop_starts() {
    evthread::thread_id();
}

/// libevent's `evthread_set_lock_callbacks`: installs the program's lock callbacks (all four
/// functions needed); NULL clears them. Once some are in force, only the same ones may be set
/// again (0); others are refused (-1).
#[no_mangle]
pub extern "C" fn evthread_set_lock_callbacks(cbs: In<'_, evthread_lock_callbacks>) -> c_int {
    let which = evthread::program_table();
    let mut t = evthread::tables();
    let target = t.locks(which);
    let Some(cbs) = cbs.read() else {
        if target.alloc.is_some() {
            drop(t);
            error::report(
                "evthread_set_lock_callbacks",
                &CError::Warn(
                    "Trying to disable lock functions after they have been set up will \
                     probaby not work."
                        .into(),
                ),
            );
            t = evthread::tables();
        }
        t.set_locks(which, evthread_lock_callbacks::default());
        return 0;
    };
    if target.alloc.is_some() {
        if target.same_as(&cbs) {
            return 0;
        }
        drop(t);
        error::report(
            "evthread_set_lock_callbacks",
            &CError::Warn("Can't change lock callbacks once they have been initialized.".into()),
        );
        return -1;
    }
    if cbs.alloc.is_some() && cbs.free.is_some() && cbs.lock.is_some() && cbs.unlock.is_some() {
        t.set_locks(which, cbs);
        0
    } else {
        -1
    }
}

/// libevent's `evthread_get_lock_callbacks` (not in the header; programs declare it): the
/// lock callbacks in force, which the program may read and write — its own ones while lock
/// debugging is on. Never NULL.
#[no_mangle]
pub extern "C" fn evthread_get_lock_callbacks() -> *mut evthread_lock_callbacks {
    evthread::lock_table_ptr(evthread::program_table())
}

/// libevent's `evthread_set_condition_callbacks`: as the lock callbacks, but a table missing
/// one of its four functions is ignored (0) rather than refused.
#[no_mangle]
pub extern "C" fn evthread_set_condition_callbacks(
    cbs: In<'_, evthread_condition_callbacks>,
) -> c_int {
    let which = evthread::program_table();
    let mut t = evthread::tables();
    let target = t.conds(which);
    let Some(cbs) = cbs.read() else {
        if target.alloc_condition.is_some() {
            drop(t);
            error::report(
                "evthread_set_condition_callbacks",
                &CError::Warn(
                    "Trying to disable condition functions after they have been set up will \
                     probaby not work."
                        .into(),
                ),
            );
            t = evthread::tables();
        }
        t.set_conds(which, evthread_condition_callbacks::default());
        return 0;
    };
    if target.alloc_condition.is_some() {
        if target.same_as(&cbs) {
            return 0;
        }
        drop(t);
        error::report(
            "evthread_set_condition_callbacks",
            &CError::Warn(
                "Can't change condition callbacks once they have been initialized.".into(),
            ),
        );
        return -1;
    }
    if cbs.alloc_condition.is_some()
        && cbs.free_condition.is_some()
        && cbs.signal_condition.is_some()
        && cbs.wait_condition.is_some()
    {
        t.set_conds(which, cbs);
    }
    if which == Which::Original {
        // Lock debugging keeps its own wait, around the program's other three.
        let mut in_force = t.conds(Which::InForce);
        in_force.alloc_condition = cbs.alloc_condition;
        in_force.free_condition = cbs.free_condition;
        in_force.signal_condition = cbs.signal_condition;
        t.set_conds(Which::InForce, in_force);
    }
    0
}

/// libevent's `evthread_get_condition_callbacks` (not in the header): as
/// [`evthread_get_lock_callbacks`], for the condition callbacks.
#[no_mangle]
pub extern "C" fn evthread_get_condition_callbacks() -> *mut evthread_condition_callbacks {
    evthread::cond_table_ptr(evthread::program_table())
}

/// libevent's `evthread_set_id_callback`: the function that names the calling thread (NULL:
/// none). libevent calls it as a loop starts, and from calls made while a loop runs.
#[no_mangle]
pub extern "C" fn evthread_set_id_callback(id_fn: Option<IdFn>) {
    evthread::set_id_fn(id_fn);
}

/// libevent's `evthread_use_pthreads` (libevent_pthreads): pthread mutexes (recursive ones on
/// request), condition variables and `pthread_self` as the callbacks. 0.
#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    evthread_set_lock_callbacks(In::from(&evthread::PTHREAD_LOCKS));
    evthread_set_condition_callbacks(In::from(&evthread::PTHREAD_CONDS));
    evthread_set_id_callback(Some(evthread::PTHREAD_ID));
    0
}

/// libevent's `evthread_enable_lock_debugging`: wrappers that check lock use go in front of
/// the lock callbacks (turning locking on, if it was off); the getters return the program's
/// own callbacks from then on. Once only.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debugging() {
    if evthread::program_table() == Which::Original {
        return;
    }
    let mut t = evthread::tables();
    let locks = t.locks(Which::InForce);
    t.set_locks(Which::Original, locks);
    t.set_locks(Which::InForce, evthread::DEBUG_LOCKS);
    let mut conds = t.conds(Which::InForce);
    t.set_conds(Which::Original, conds);
    conds.wait_condition = Some(evthread::DEBUG_COND_WAIT);
    t.set_conds(Which::InForce, conds);
    evthread::set_debugging();
}

/// libevent's misspelt `evthread_enable_lock_debuging`, kept for old programs.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debuging() {
    evthread_enable_lock_debugging()
}

/// libevent's `evthread_make_base_notifiable`: the base watches an internal eventfd through
/// which other threads wake its loop (made once; 0 again after). -1 for NULL.
#[no_mangle]
pub extern "C" fn evthread_make_base_notifiable(base: *mut event_base) -> c_int {
    let key = base as usize;
    let r = (|| {
        handles::non_null(key, "event_base")?;
        let remote = with_base(key, |b| b.evthread_make_base_notifiable())??;
        handles::with(|h| h.base(key))?.set_remote(remote);
        Ok(0)
    })();
    error::int("evthread_make_base_notifiable", r)
}
