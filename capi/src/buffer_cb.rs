//! `buffer.h`'s callbacks and flags: `evbuffer_add_cb` and its kin, the old `evbuffer_setcb`
//! (`buffer_compat.h`), `evbuffer_defer_callbacks`, `evbuffer_freeze` / `evbuffer_unfreeze`,
//! `evbuffer_set_flags` / `evbuffer_clear_flags`.
//!
//! As in libevent, each change of a buffer's length (an add, a drain, each side of a move, a
//! read, a write — also those a bufferevent makes to its own buffers) runs the buffer's enabled
//! callbacks, newest first, with `{orig_size, n_added, n_deleted}`. The engine's buffer records
//! the changes once watched; they are taken and the callbacks run when the call that made them
//! has let go of the buffer (at the end of every evbuffer call, or from the engine's hook for a
//! bufferevent's buffer), so a callback may use the buffer freely — also change it, which runs
//! the callbacks again from inside, as libevent does. While no buffer has a callback, this costs
//! one atomic load per call.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use evscope_core::ev::{Change, EventBase, WatchHook};

use crate::base::{on_base, with_base_now};
use crate::buffer::{locate_base, with_buffer_raw};
use crate::error::{self, CError, Result};
use crate::handles::{self, Token};
use crate::sys::bufcall::{self, evbuffer_cb_info, BufCb, BufOldCb};
use crate::sys::current;
use crate::types::{evbuffer, event_base};

/// `struct evbuffer_cb_entry`: the handle `evbuffer_add_cb` returns.
#[repr(C)]
pub struct evbuffer_cb_entry {
    _opaque: [u8; 0],
}

/// `EVBUFFER_CB_ENABLED`.
const CB_ENABLED: u32 = 1;
/// `EVBUFFER_CB_NODEFER`.
const CB_NODEFER: u32 = 2;
/// `EVBUFFER_CB_INTERNAL_FLAGS`: the bits a program may not set or clear.
const CB_INTERNAL_FLAGS: u32 = 0xffff_0000;

/// Buffers whose changes are recorded (that ever had a callback): while 0, nothing to look at.
static WATCHED: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Copy)]
enum Cb {
    New(BufCb),
    /// `evbuffer_setcb`'s (libevent's `EVBUFFER_CB_OBSOLETE`).
    Old(BufOldCb),
}

struct CbEntry {
    token: Token,
    cb: Cb,
    arg: usize,
    flags: u32,
}

/// `evbuffer_defer_callbacks`: the base whose loop runs the callbacks, and the deferred call
/// queued there, if one is.
struct Defer {
    base: usize,
    queued: Option<u64>,
}

/// What a `struct evbuffer *` has beyond its bytes (kept in its handle).
#[derive(Default)]
pub(crate) struct BufExt {
    /// Newest first (libevent inserts at the head of its list).
    cbs: Vec<CbEntry>,
    /// libevent's `n_add_for_cb` / `n_del_for_cb`.
    n_add: usize,
    n_del: usize,
    /// `evbuffer_freeze(buf, 1)` / `evbuffer_freeze(buf, 0)`.
    pub freeze_start: bool,
    pub freeze_end: bool,
    /// `evbuffer_set_flags` (`EVBUFFER_FLAG_DRAINS_TO_FD`).
    flags: u64,
    defer: Option<Defer>,
    watched: bool,
}

fn ext_of<R>(buf: usize, f: impl FnOnce(&mut BufExt) -> R) -> Result<R> {
    handles::with(|h| Ok(f(&mut h.buf_mut(buf)?.ext)))
}

/// Called when a buffer handle goes, in the tables: returns its queued deferred call, for
/// [`cancel`] to cancel once out of them.
pub(crate) fn forget(ext: &mut BufExt) -> Option<(usize, u64)> {
    if ext.watched {
        WATCHED.fetch_sub(1, Ordering::AcqRel);
        ext.watched = false;
    }
    ext.defer.take().and_then(|d| Some((d.base, d.queued?)))
}

/// Cancels a deferred call [`forget`] returned (libevent's `event_deferred_cb_cancel_`).
pub(crate) fn cancel(queued: Option<(usize, u64)>) {
    if let Some((base, id)) = queued {
        let _ = with_base_now(base, |b| b.cancel_deferred_call(id));
    }
}

/// Makes the engine record `buf`'s changes (with a hook, for a bufferevent's buffer).
fn watch(buf: *mut evbuffer) -> Result<()> {
    let key = buf as usize;
    if ext_of(key, |e| e.watched)? {
        return Ok(());
    }
    let hook: Option<WatchHook> = locate_base(key)?.map(|base| -> WatchHook {
        Box::new(move |b: &mut EventBase| {
            current::lend(base, b, || after_changes(key));
        })
    });
    with_buffer_raw(buf, |b| b.watch(hook))?;
    ext_of(key, |e| {
        if !e.watched {
            e.watched = true;
            WATCHED.fetch_add(1, Ordering::AcqRel);
        }
    })
}

/// Runs what a call on `buf` owes the program once it has let go of the buffer: the cleanups
/// of the bytes it freed, then the callbacks for the changes it made.
pub(crate) fn after(buf: *const evbuffer) {
    crate::buffer_ref::run_cleanups();
    if WATCHED.load(Ordering::Acquire) == 0 {
        return;
    }
    after_changes(buf as usize);
}

fn after_changes(key: usize) {
    loop {
        if !ext_of(key, |e| e.watched).unwrap_or(false) {
            return;
        }
        let changes = with_buffer_raw(key as *const evbuffer, |b| b.take_changes());
        let changes = match changes {
            Ok(c) if !c.is_empty() => c,
            _ => return,
        };
        for c in changes {
            invoke(key, c);
        }
        crate::buffer_ref::run_cleanups();
    }
}

/// libevent's `evbuffer_invoke_callbacks_` for one change.
fn invoke(key: usize, c: Change) {
    let schedule = ext_of(key, |e| {
        e.n_add += c.added;
        e.n_del += c.deleted;
        if e.cbs.is_empty() {
            e.n_add = 0;
            e.n_del = 0;
            return None;
        }
        Some(
            e.defer
                .as_ref()
                .filter(|d| d.queued.is_none())
                .map(|d| d.base),
        )
    });
    let Ok(Some(schedule)) = schedule else {
        return;
    };
    if let Some(base) = schedule {
        let call = Box::new(move |b: &mut EventBase| {
            current::lend(base, b, || run_deferred(key));
        });
        if let Ok(id) = on_base(base, |b| Ok(b.defer_call(call))) {
            let _ = ext_of(key, |e| {
                if let Some(d) = e.defer.as_mut() {
                    d.queued = Some(id);
                }
            });
        }
    }
    run_callbacks(key, false, c.len);
}

/// libevent's `evbuffer_deferred_callback`.
fn run_deferred(key: usize) {
    let _ = ext_of(key, |e| {
        if let Some(d) = e.defer.as_mut() {
            d.queued = None;
        }
    });
    after_changes(key);
    if let Ok(len) = with_buffer_raw(key as *const evbuffer, |b| b.len()) {
        run_callbacks(key, true, len);
    }
}

/// libevent's `evbuffer_run_callbacks`: the callbacks that match, newest first, each looked
/// up again before it runs (one removed by an earlier one is skipped).
fn run_callbacks(key: usize, running_deferred: bool, new_size: usize) {
    let plan = ext_of(key, |e| {
        let (mask, want, clear) = if running_deferred {
            (CB_NODEFER | CB_ENABLED, CB_ENABLED, true)
        } else if e.defer.is_some() {
            (CB_NODEFER | CB_ENABLED, CB_NODEFER | CB_ENABLED, false)
        } else {
            (CB_ENABLED, CB_ENABLED, true)
        };
        if e.cbs.is_empty() {
            e.n_add = 0;
            e.n_del = 0;
            return None;
        }
        if e.n_add == 0 && e.n_del == 0 {
            return None;
        }
        let info = evbuffer_cb_info {
            orig_size: (new_size + e.n_del).saturating_sub(e.n_add),
            n_added: e.n_add,
            n_deleted: e.n_del,
        };
        if clear {
            e.n_add = 0;
            e.n_del = 0;
        }
        let keys: Vec<usize> = e.cbs.iter().map(|c| c.token.key()).collect();
        Some((info, keys, mask, want))
    });
    let Ok(Some((info, keys, mask, want))) = plan else {
        return;
    };
    for k in keys {
        let found = ext_of(key, |e| {
            e.cbs
                .iter()
                .find(|c| c.token.key() == k && c.flags & mask == want)
                .map(|c| (c.cb, c.arg))
        });
        match found {
            Ok(Some((Cb::New(f), arg))) => bufcall::buf_cb(f, key, &info, arg),
            Ok(Some((Cb::Old(f), arg))) => {
                bufcall::buf_old_cb(f, key, info.orig_size, new_size, arg)
            }
            Ok(None) => {}
            Err(_) => return,
        }
    }
}

fn add_entry(buf: *mut evbuffer, cb: Cb, arg: usize) -> Result<usize> {
    locate_base(buf as usize)?;
    watch(buf)?;
    ext_of(buf as usize, |e| {
        let token = Token::new();
        let k = token.key();
        e.cbs.insert(
            0,
            CbEntry {
                token,
                cb,
                arg,
                flags: CB_ENABLED,
            },
        );
        k
    })
}

/// libevent's `evbuffer_add_cb`: `cb` runs after each change of the buffer's length, before
/// the callbacks added earlier; returns the entry's handle.
#[no_mangle]
pub extern "C" fn evbuffer_add_cb(
    buf: *mut evbuffer,
    cb: Option<BufCb>,
    arg: *mut c_void,
) -> *mut evbuffer_cb_entry {
    let r = match cb {
        Some(f) => add_entry(buf, Cb::New(f), arg as usize),
        None => Err(CError::Invalid("the callback is NULL".into())),
    };
    error::ptr("evbuffer_add_cb", r)
}

/// libevent's `evbuffer_setcb` (`buffer_compat.h`): removes every callback, then (unless `cb`
/// is NULL) adds `cb`, called with the length before and after each change.
#[no_mangle]
pub extern "C" fn evbuffer_setcb(buf: *mut evbuffer, cb: Option<BufOldCb>, arg: *mut c_void) {
    let r = (|| {
        locate_base(buf as usize)?;
        ext_of(buf as usize, |e| e.cbs.clear())?;
        if let Some(f) = cb {
            add_entry(buf, Cb::Old(f), arg as usize)?;
        }
        Ok(())
    })();
    error::unit("evbuffer_setcb", r)
}

/// libevent's `evbuffer_remove_cb_entry`: 0, or -1 for an entry not of this buffer.
#[no_mangle]
pub extern "C" fn evbuffer_remove_cb_entry(
    buf: *mut evbuffer,
    ent: *mut evbuffer_cb_entry,
) -> c_int {
    let r = ext_of(buf as usize, |e| {
        let before = e.cbs.len();
        e.cbs.retain(|c| c.token.key() != ent as usize);
        if e.cbs.len() < before {
            0
        } else {
            -1
        }
    });
    error::int("evbuffer_remove_cb_entry", r)
}

/// libevent's `evbuffer_remove_cb`: removes the newest callback added with `cb` and `arg`;
/// 0, or -1 when there is none.
#[no_mangle]
pub extern "C" fn evbuffer_remove_cb(
    buf: *mut evbuffer,
    cb: Option<BufCb>,
    arg: *mut c_void,
) -> c_int {
    let r = ext_of(buf as usize, |e| {
        let at = e.cbs.iter().position(|c| match c.cb {
            Cb::New(f) => cb.map(|g| g as usize) == Some(f as usize) && c.arg == arg as usize,
            Cb::Old(_) => false,
        });
        match at {
            Some(i) => {
                e.cbs.remove(i);
                0
            }
            None => -1,
        }
    });
    error::int("evbuffer_remove_cb", r)
}

fn cb_flags(buf: *mut evbuffer, ent: *mut evbuffer_cb_entry, f: impl Fn(&mut u32)) -> c_int {
    let r = ext_of(buf as usize, |e| {
        match e.cbs.iter_mut().find(|c| c.token.key() == ent as usize) {
            Some(c) => {
                f(&mut c.flags);
                Ok(0)
            }
            None => Err(CError::Stale("evbuffer_cb_entry")),
        }
    });
    error::int("evbuffer_cb_set_flags", r.and_then(|r| r))
}

/// libevent's `evbuffer_cb_set_flags`: `EVBUFFER_CB_ENABLED`, `EVBUFFER_CB_NODEFER`.
#[no_mangle]
pub extern "C" fn evbuffer_cb_set_flags(
    buf: *mut evbuffer,
    ent: *mut evbuffer_cb_entry,
    flags: u32,
) -> c_int {
    cb_flags(buf, ent, |f| *f |= flags & !CB_INTERNAL_FLAGS)
}

/// libevent's `evbuffer_cb_clear_flags`.
#[no_mangle]
pub extern "C" fn evbuffer_cb_clear_flags(
    buf: *mut evbuffer,
    ent: *mut evbuffer_cb_entry,
    flags: u32,
) -> c_int {
    cb_flags(buf, ent, |f| *f &= !(flags & !CB_INTERNAL_FLAGS))
}

/// libevent's `evbuffer_defer_callbacks`: from now on the callbacks (but those with
/// `EVBUFFER_CB_NODEFER`) run from `base`'s loop, as one deferred callback that sees every
/// change since it last ran.
#[no_mangle]
pub extern "C" fn evbuffer_defer_callbacks(buf: *mut evbuffer, base: *mut event_base) -> c_int {
    let r = (|| {
        handles::with(|h| h.base(base as usize).map(drop))?;
        ext_of(buf as usize, |e| {
            let queued = e.defer.take().and_then(|d| d.queued);
            e.defer = Some(Defer {
                base: base as usize,
                queued,
            });
            0
        })
    })();
    error::int("evbuffer_defer_callbacks", r)
}

/// libevent's `evbuffer_freeze`: `start` nonzero refuses taking bytes from the front, zero
/// refuses adding at the end.
#[no_mangle]
pub extern "C" fn evbuffer_freeze(buf: *mut evbuffer, start: c_int) -> c_int {
    let r = ext_of(buf as usize, |e| {
        if start != 0 {
            e.freeze_start = true;
        } else {
            e.freeze_end = true;
        }
        0
    });
    error::int("evbuffer_freeze", r)
}

/// libevent's `evbuffer_unfreeze` (also thaws the end a bufferevent froze).
#[no_mangle]
pub extern "C" fn evbuffer_unfreeze(buf: *mut evbuffer, start: c_int) -> c_int {
    let r = handles::with(|h| {
        let entry = h.buf_mut(buf as usize)?;
        if start != 0 {
            entry.ext.freeze_start = false;
        } else {
            entry.ext.freeze_end = false;
        }
        if let handles::BufData::OfBev { output, frozen, .. } = &mut entry.data {
            // The bufferevent froze its output's start and its input's end.
            if *output == (start != 0) {
                *frozen = false;
            }
        }
        Ok(0)
    });
    error::int("evbuffer_unfreeze", r)
}

/// libevent's `evbuffer_set_flags`: `EVBUFFER_FLAG_DRAINS_TO_FD` (a hint for sending file
/// segments; the bytes are the same either way).
#[no_mangle]
pub extern "C" fn evbuffer_set_flags(buf: *mut evbuffer, flags: u64) -> c_int {
    let r = ext_of(buf as usize, |e| {
        e.flags |= flags & 0xffff_ffff;
        0
    });
    error::int("evbuffer_set_flags", r)
}

/// libevent's `evbuffer_clear_flags`.
#[no_mangle]
pub extern "C" fn evbuffer_clear_flags(buf: *mut evbuffer, flags: u64) -> c_int {
    let r = ext_of(buf as usize, |e| {
        e.flags &= !(flags & 0xffff_ffff);
        0
    });
    error::int("evbuffer_clear_flags", r)
}
