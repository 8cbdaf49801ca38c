//! `event.h`'s base calls beyond making and running a loop: `event_base_loopcontinue`, the
//! queries (`event_base_foreach_event`, `event_base_get_running_event`,
//! `event_base_get_num_events`, `event_base_get_max_events`), activating by fd or signal,
//! common timeouts, the time cache and the monotonic clock, the dispatch limits of
//! `event_config`, and finalizing events (`event_finalize`, `event_free_finalize`).

use std::collections::HashMap;
use std::os::raw::{c_int, c_short, c_uint, c_void};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use evscope_core::ev::{CountKind, DispatchLimits, EventBase, EventId, What};

use crate::base::{current_base, on_base, with_base, with_config};
use crate::dump;
use crate::error::{self, CError, Result};
use crate::fields::{self, MICROSECONDS_MASK};
use crate::handles::{self, Home, Moment};
use crate::sys::base_calls::{self, FinalizeCb, ForeachCb};
use crate::sys::cptr::{In, Out};
use crate::sys::cstruct::EventMem;
use crate::sys::{current, os};
use crate::types::{event, event_base, event_config};

/// libevent's `event_base_loopcontinue`: the loop stops running the current priority's
/// callbacks after the one now running, and checks for new events before it runs the rest.
#[no_mangle]
pub extern "C" fn event_base_loopcontinue(base: *mut event_base) -> c_int {
    let r = handles::non_null(base as usize, "event_base")
        .and_then(|key| with_base(key, EventBase::loopcontinue));
    error::int("event_base_loopcontinue", r.map(|()| 0))
}

/// libevent's `event_base_foreach_event`: calls `f(base, ev, arg)` on every event that is
/// added, armed or active, in libevent's order (by fd, then signals, then timeouts, then
/// events that are only active), until `f` returns non-zero, which is returned. `f` must not
/// add, delete or free events; one it freed meanwhile is skipped.
#[no_mangle]
pub extern "C" fn event_base_foreach_event(
    base: *mut event_base,
    f: Option<ForeachCb>,
    arg: *mut c_void,
) -> c_int {
    let key = base as usize;
    let (Some(f), false) = (f, key == 0) else {
        return -1;
    };
    let arg = arg as usize;
    let r = with_base(key, |b| {
        let keys = dump::foreach_keys(key, b)?;
        for ev in keys {
            // The internal signal event is not a handle; the others must still be.
            let live = handles::with(|h| Ok(h.events.get(&ev).map(|e| e.id)))?;
            if let Some(id) = live {
                if id.is_none_or(|id| !b.event_is_live(id)) {
                    continue;
                }
            }
            let r = current::lend(key, b, || base_calls::foreach_cb(f, key, ev, arg));
            if r != 0 {
                return Ok(r);
            }
        }
        Ok(0)
    });
    error::int("event_base_foreach_event", r.and_then(|r| r))
}

/// The key of the `struct event` that is the engine's `id` on the base `key`.
fn event_key(key: usize, id: EventId) -> Result<Option<usize>> {
    handles::with(|h| {
        Ok(h.events
            .iter()
            .find(|(_, e)| e.base == Some(key) && e.id == Some(id) && !e.orphan)
            .map(|(k, _)| *k))
    })
}

/// libevent's `event_base_get_running_event`: the event whose callback is running, when
/// called from inside a callback of this base on the loop's thread; NULL otherwise (in a
/// finalizer or a bufferevent's deferred callback too). libevent 2.1.12 crashes when called
/// outside a callback without threads enabled; this returns NULL.
#[no_mangle]
pub extern "C" fn event_base_get_running_event(base: *mut event_base) -> *mut event {
    let key = base as usize;
    let running = current::with_lent(key, |b| b.get_running_event()).unwrap_or(None);
    let r = match running {
        Some(id) => event_key(key, id).map(|k| k.unwrap_or(0)),
        None => Ok(0),
    };
    error::ptr("event_base_get_running_event", r)
}

/// `EVENT_BASE_COUNT_*` as the engine's [`CountKind`].
fn count_kind(kind: c_uint) -> CountKind {
    CountKind::from_bits(kind)
}

/// libevent's `event_base_get_num_events`: the sum of the counts `kind` names
/// (`EVENT_BASE_COUNT_ACTIVE`, `_VIRTUAL` (always 0 here), `_ADDED`: one for each list an
/// event is on — inserted, timeout, active).
#[no_mangle]
pub extern "C" fn event_base_get_num_events(base: *mut event_base, kind: c_uint) -> c_int {
    let r = handles::non_null(base as usize, "event_base").and_then(|key| {
        with_base(key, |b| {
            c_int::try_from(b.get_num_events(count_kind(kind))).unwrap_or(c_int::MAX)
        })
    });
    error::int("event_base_get_num_events", r)
}

/// libevent's `event_base_get_max_events`: the most each count named by `kind` has been, summed;
/// with `clear`, those maxima start again from 0.
#[no_mangle]
pub extern "C" fn event_base_get_max_events(
    base: *mut event_base,
    kind: c_uint,
    clear: c_int,
) -> c_int {
    let r = handles::non_null(base as usize, "event_base").and_then(|key| {
        with_base(key, |b| {
            let n = b.get_max_events(count_kind(kind), clear != 0);
            c_int::try_from(n).unwrap_or(c_int::MAX)
        })
    });
    error::int("event_base_get_max_events", r)
}

/// libevent's `event_base_update_cache_time`: while the loop runs, its cached time (what
/// `event_base_gettimeofday_cached` and new timeouts use) becomes the time now. NULL: the
/// current base; -1 without one.
#[no_mangle]
pub extern "C" fn event_base_update_cache_time(base: *mut event_base) -> c_int {
    let key = match base as usize {
        0 => current_base(),
        key => key,
    };
    if key == 0 {
        return -1;
    }
    let r = with_base(key, EventBase::update_cache_time);
    error::int("event_base_update_cache_time", r.map(|()| 0))
}

/// libevent's `event_gettime_monotonic`: the base's monotonic clock (`CLOCK_MONOTONIC`); -1
/// when `base` or `tv` is NULL.
#[no_mangle]
pub extern "C" fn event_gettime_monotonic(
    base: *mut event_base,
    tv: Out<'_, libc::timeval>,
) -> c_int {
    if base.is_null() || tv.is_null() {
        return -1;
    }
    let now = fields::Tv::of(os::monotonic_now()).to_c();
    if tv.write(now) {
        0
    } else {
        -1
    }
}

/// libevent's `event_base_active_by_fd`: every event added on `fd` for any of `events`'
/// `EV_READ`, `EV_WRITE`, `EV_CLOSED` runs as if the backend had reported them; with
/// `EV_TIMEOUT`, every event on `fd` (-1: the pure timers) whose timeout is armed runs for
/// `EV_TIMEOUT` instead.
#[no_mangle]
pub extern "C" fn event_base_active_by_fd(base: *mut event_base, fd: c_int, events: c_short) {
    let key = base as usize;
    let r = handles::non_null(key, "event_base").and_then(|key| {
        with_base(key, |b| {
            b.active_by_fd(fd, What::from_bits_truncate(events as u16));
            sync_events(key, b);
        })
    });
    error::unit("event_base_active_by_fd", r)
}

/// libevent's `event_base_active_by_signal`: every event added for `sig` runs as if the
/// signal had arrived once.
#[no_mangle]
pub extern "C" fn event_base_active_by_signal(base: *mut event_base, sig: c_int) {
    let key = base as usize;
    let r = handles::non_null(key, "event_base").and_then(|key| {
        with_base(key, |b| {
            b.active_by_signal(sig);
            sync_events(key, b);
        })
    });
    error::unit("event_base_active_by_signal", r)
}

/// Brings the structs of the base's events up to date after a call that changed several.
fn sync_events(key: usize, b: &EventBase) {
    let _ = handles::with(|h| {
        let keys: Vec<usize> = h
            .events
            .iter()
            .filter(|(_, e)| e.base == Some(key) && !e.orphan && e.id.is_some())
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            h.sync_event(k, b, Moment::Look);
        }
        Ok(())
    });
}

// ----- common timeouts -------------------------------------------------------------------------

/// libevent's `COMMON_TIMEOUT_MASK`, `COMMON_TIMEOUT_MAGIC`, `COMMON_TIMEOUT_IDX_SHIFT`, and
/// its limit of common timeouts per base.
const COMMON_TIMEOUT_MASK: libc::suseconds_t = 0xf000_0000;
const COMMON_TIMEOUT_MAGIC: libc::suseconds_t = 0x5000_0000;
const COMMON_TIMEOUT_IDX_SHIFT: u32 = 20;
const MAX_COMMON_TIMEOUTS: usize = 256;

/// A common timeout's `struct timeval`, at an address that stays put, and the `struct event`
/// of libevent's internal timer for its queue, made the first time a walk shows it.
struct CommonTv(Box<libc::timeval>, Option<EventMem>);

/// The common timeouts of each base, by the base's key, in the order they were made (their
/// index). They stay after their base is freed, so a program's pointers stay readable.
static COMMON: LazyLock<Mutex<HashMap<usize, Vec<CommonTv>>>> = LazyLock::new(Mutex::default);

fn common() -> MutexGuard<'static, HashMap<usize, Vec<CommonTv>>> {
    COMMON.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether `tv` is a common timeout of the base `base`: libevent's `is_common_timeout`, by
/// value (the magic bits, and an index the base has made).
fn is_common(base: usize, tv: &libc::timeval) -> bool {
    if tv.tv_usec & COMMON_TIMEOUT_MASK != COMMON_TIMEOUT_MAGIC {
        return false;
    }
    let index = ((tv.tv_usec & !COMMON_TIMEOUT_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) as usize;
    common().get(&base).is_some_and(|list| index < list.len())
}

/// libevent's `event_base_init_common_timeout`: a `struct timeval` standing for `duration`
/// whose `tv_usec` carries libevent's magic and index bits (`0x50000000 | index << 20 |
/// microseconds`). Events added with it time out after `duration`; the same duration gives
/// the same pointer. NULL past 256 of them.
#[no_mangle]
pub extern "C" fn event_base_init_common_timeout(
    base: *mut event_base,
    duration: In<'_, libc::timeval>,
) -> *const libc::timeval {
    let key = base as usize;
    let r = (|| {
        handles::with(|h| h.base(key).map(|_| ()))?;
        let Some(mut d) = duration.read() else {
            return Err(CError::Null("timeval"));
        };
        if d.tv_usec > 1_000_000 {
            if is_common(key, &d) {
                d.tv_usec &= MICROSECONDS_MASK;
            }
            d.tv_sec += d.tv_usec / 1_000_000;
            d.tv_usec %= 1_000_000;
        }
        let mut all = common();
        let list = all.entry(key).or_default();
        if let Some(found) = list
            .iter()
            .find(|c| c.0.tv_sec == d.tv_sec && c.0.tv_usec & MICROSECONDS_MASK == d.tv_usec)
        {
            return Ok(&*found.0 as *const libc::timeval as usize);
        }
        if list.len() == MAX_COMMON_TIMEOUTS {
            return Err(CError::Warn(format!(
                "event_base_init_common_timeout: Too many common timeouts already in use; we \
                 only support {MAX_COMMON_TIMEOUTS} per event_base"
            )));
        }
        let bits =
            COMMON_TIMEOUT_MAGIC | ((list.len() as libc::suseconds_t) << COMMON_TIMEOUT_IDX_SHIFT);
        let tv = Box::new(libc::timeval {
            tv_sec: d.tv_sec,
            tv_usec: d.tv_usec | bits,
        });
        let at = &*tv as *const libc::timeval as usize;
        list.push(CommonTv(tv, None));
        Ok(at)
    })();
    error::ptr::<libc::timeval>("event_base_init_common_timeout", r).cast_const()
}

/// The address of the `struct event` standing for libevent's internal timer of the common
/// timeout `index` of the base `base` (an evtimer at priority 0, marked internal), set up by
/// `setup` when first made; None for an index the base has not made.
pub(crate) fn common_timer(
    base: usize,
    index: usize,
    setup: impl FnOnce(&EventMem),
) -> Option<usize> {
    let mut all = common();
    let entry = all.get_mut(&base)?.get_mut(index)?;
    let mem = entry.1.get_or_insert_with(|| {
        let mem = EventMem::alloc();
        setup(&mem);
        mem
    });
    Some(mem.addr())
}

/// What `event_add(ev, tv)` waits: the duration `tv` stands for, and the common-timeout bits
/// it carries when it is a common timeout of the event's base (its magic `tv_usec` is not
/// microseconds). NULL: no timeout.
pub(crate) fn add_timeout(
    ev: usize,
    tv: In<'_, libc::timeval>,
) -> (Option<Duration>, Option<libc::suseconds_t>) {
    let Some(given) = tv.read() else {
        return (None, None);
    };
    let base = handles::with(|h| Ok(h.event(ev)?.base)).ok().flatten();
    if base.is_some_and(|b| is_common(b, &given)) {
        let micros = (given.tv_usec & MICROSECONDS_MASK).max(0) as u64;
        let d = Duration::from_secs(given.tv_sec.max(0) as u64) + Duration::from_micros(micros);
        return (Some(d), Some(given.tv_usec & !MICROSECONDS_MASK));
    }
    (tv.duration(), None)
}

/// The index of the common timeout whose bits (`tv_usec` without the microseconds) are `bits`.
pub(crate) fn common_index(bits: libc::suseconds_t) -> u8 {
    ((bits & !COMMON_TIMEOUT_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) as u8
}

/// Records whether the event `ev` was just added with a common timeout (`bits`), for its
/// struct's `ev_timeout` and for the order `event_base_foreach_event` visits it in.
pub(crate) fn note_common(ev: usize, bits: Option<libc::suseconds_t>) {
    let _ = handles::with(|h| {
        h.event_mut(ev)?.common = bits;
        Ok(())
    });
}

// ----- event_config ----------------------------------------------------------------------------

/// libevent's `event_config_set_max_dispatch_interval`: from priority `min_priority` on
/// (negative: 0), the loop runs at most `max_callbacks` callbacks (negative: no limit) or
/// for at most `max_interval` (NULL: no limit) before it checks for new events again.
#[no_mangle]
pub extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut event_config,
    max_interval: In<'_, libc::timeval>,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    let interval = max_interval.duration();
    // libevent: an interval with a negative tv_sec means none.
    let interval = interval.filter(|_| max_interval.read().is_some_and(|raw| raw.tv_sec >= 0));
    let callbacks = usize::try_from(max_callbacks).ok();
    let min_priority = usize::try_from(min_priority).unwrap_or(0);
    let limits = DispatchLimits::new(interval, callbacks, min_priority);
    let r = with_config(cfg, |c| c.dispatch = limits);
    error::int("event_config_set_max_dispatch_interval", r.map(|()| 0))
}

/// libevent's `event_config_set_num_cpus_hint`: recorded; libevent uses it on Windows only.
#[no_mangle]
pub extern "C" fn event_config_set_num_cpus_hint(cfg: *mut event_config, cpus: c_int) -> c_int {
    if cfg.is_null() {
        return -1;
    }
    let r = with_config(cfg, |c| c.cpus = cpus);
    error::int("event_config_set_num_cpus_hint", r.map(|()| 0))
}

// ----- finalizing ------------------------------------------------------------------------------

/// `EVLIST_FINALIZING`: the bit `event_finalize` sets in `ev_flags`.
const EVLIST_FINALIZING: c_short = 0x40;

/// libevent's `event_finalize`: deletes the event and runs `cb(ev, arg)` from the loop once
/// its callback can no longer run (after a run in progress, and after the callbacks queued
/// before it). From then on `event_add` fails and `event_del` does nothing; the program frees
/// the event, usually in `cb`. `flags` (`EVENT_FINALIZE_*`) change nothing on one thread.
#[no_mangle]
pub extern "C" fn event_finalize(flags: c_uint, ev: *mut event, cb: Option<FinalizeCb>) -> c_int {
    finalize("event_finalize", flags, ev, cb, false)
}

/// libevent's `event_free_finalize`: `event_finalize`, then the event is freed after `cb`.
#[no_mangle]
pub extern "C" fn event_free_finalize(
    flags: c_uint,
    ev: *mut event,
    cb: Option<FinalizeCb>,
) -> c_int {
    finalize("event_free_finalize", flags, ev, cb, true)
}

fn finalize(
    call: &'static str,
    _flags: c_uint,
    ev: *mut event,
    cb: Option<FinalizeCb>,
    free: bool,
) -> c_int {
    let key = ev as usize;
    let r = (|| {
        let (base, id, arg) = handles::with(|h| {
            let e = h.event(key)?;
            if matches!(e.home, Home::InBev { .. }) {
                return Err(CError::Invalid(
                    "this struct event belongs to a bufferevent, which finalizes it itself".into(),
                ));
            }
            if e.orphan {
                return Err(CError::Invalid("its event_base was freed".into()));
            }
            match (e.base, e.id) {
                (Some(base), Some(id)) => Ok((base, id, e.arg)),
                _ => Err(CError::NoBase("event_finalize_impl_")),
            }
        })?;
        let finalizer = Box::new(move |b: &mut EventBase, id: EventId| {
            handles::sync(key, b, Moment::Callback(What::FINALIZE));
            if let Some(f) = cb {
                current::lend(base, b, || base_calls::finalize_cb(f, key, arg));
            }
            if free && b.event_is_live(id) {
                // The engine frees the event as this returns; its struct goes with it.
                let _ = handles::with(|h| Ok(h.events.remove(&key)));
            }
        });
        on_base(base, |b| {
            let r = if free {
                b.event_free_finalize(id, finalizer)
            } else {
                b.event_finalize(id, finalizer)
            };
            handles::sync(key, b, Moment::Call);
            r
        })?;
        handles::with(|h| {
            let shown = h.event(key)?.shown;
            let finalizing = fields::EventShown {
                flags: shown.flags | EVLIST_FINALIZING,
                ..shown
            };
            h.show_event(key, finalizing);
            Ok(())
        })
    })();
    error::int(call, r.map(|()| 0))
}
