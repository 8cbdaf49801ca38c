//! The rest of `bufferevent.h` (and `bufferevent_compat.h`'s `bufferevent_settimeout`):
//! filter bufferevents (`bufferevent_filter_new`, `bufferevent_get_underlying`), the program's
//! references (`bufferevent_incref`, `bufferevent_decref`), callbacks on demand
//! (`bufferevent_trigger`, `bufferevent_trigger_event`), priorities, `bufferevent_setfd`,
//! `bufferevent_base_set`, and connecting by name
//! (`bufferevent_socket_connect_hostname`, `bufferevent_socket_get_dns_error`).

use std::os::raw::{c_int, c_short, c_void};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use evscope_core::ev::{
    BevEvents, BevId, BevOptions, EventBase, FilterCall, FilterResult, FlushMode, What,
};

use crate::base::{on_base, with_base};
use crate::bufferevent::{self as bev, event_setup, live, on_bev, sync};
use crate::error::{self, CError, Result};
use crate::handles::{self, BevCbs, BevState};
use crate::sys::cptr::{CStrPtr, In};
use crate::sys::current;
use crate::sys::filter::{self, FilterCb, FreeCb};
use crate::types::{bufferevent, event_base};

const BEV_OPT_CLOSE_ON_FREE: c_int = 0x01;
const BEV_OPT_DEFER_CALLBACKS: c_int = 0x04;
/// `BEV_TRIG_IGNORE_WATERMARKS`.
const BEV_TRIG_IGNORE_WATERMARKS: c_int = 1 << 16;

fn what_of(what: c_short) -> What {
    What::from_bits_truncate(what as u16) & (What::READ | What::WRITE)
}

fn events_of(what: c_short) -> BevEvents {
    [
        BevEvents::READING,
        BevEvents::WRITING,
        BevEvents::EOF,
        BevEvents::ERROR,
        BevEvents::TIMEOUT,
        BevEvents::CONNECTED,
    ]
    .into_iter()
    .filter(|e| what as u16 & e.bits() != 0)
    .fold(BevEvents::empty(), |a, e| a | e)
}

/// The key of the live C handle of the engine's bufferevent `id` on `base` (0: none).
fn key_of(base: usize, id: BevId) -> Result<usize> {
    handles::with(|h| {
        Ok(h.bevs
            .iter()
            .find(|(_, e)| {
                e.base == base && !e.freed && matches!(e.state, BevState::Live(p) if p == id)
            })
            .map_or(0, |(k, _)| *k))
    })
}

/// The keys of a bufferevent's input and output `struct evbuffer *`.
fn buffers_of(key: usize) -> Result<(usize, usize)> {
    handles::with(|h| {
        let b = h.bev(key)?;
        Ok((b.input, b.output))
    })
}

// ----- filters --------------------------------------------------------------------------------

/// The engine's filter function for the C filter `f` (None: libevent's null filter, which
/// the engine does itself). `keys` holds the filter's (input, output) buffer keys, known
/// once its handle exists.
fn filter_fn(
    base: usize,
    f: Option<FilterCb>,
    ctx: usize,
    under: (usize, usize),
    keys: Arc<[AtomicUsize; 2]>,
) -> Option<evscope_core::ev::FilterFn> {
    let f = f?;
    Some(Rc::new(move |b: &mut EventBase, call: &FilterCall| {
        let (src, dst) = if call.input {
            (under.0, keys[0].load(Ordering::Acquire))
        } else {
            (keys[1].load(Ordering::Acquire), under.1)
        };
        let limit = call
            .limit
            .map_or(-1, |l| isize::try_from(l).unwrap_or(isize::MAX));
        let mode = match call.mode {
            FlushMode::Normal => 0,
            FlushMode::Flush => 1,
            FlushMode::Finished => 2,
        };
        match current::lend(base, b, || filter::filter_cb(f, src, dst, limit, mode, ctx)) {
            0 => FilterResult::Ok,
            1 => FilterResult::NeedMore,
            _ => FilterResult::Error,
        }
    }))
}

/// libevent's `bufferevent_filter_new`: a bufferevent over `underlying` whose input is what
/// `input_filter` makes of the underlying's input, and whose output goes through
/// `output_filter` into the underlying's output (NULL filters pass bytes through). The
/// underlying's callbacks are the filter's from now on. `BEV_OPT_CLOSE_ON_FREE` frees the
/// underlying with the filter; `free_context(ctx)` runs as the filter goes.
#[no_mangle]
pub extern "C" fn bufferevent_filter_new(
    underlying: *mut bufferevent,
    input_filter: Option<FilterCb>,
    output_filter: Option<FilterCb>,
    options: c_int,
    free_context: Option<FreeCb>,
    ctx: *mut c_void,
) -> *mut bufferevent {
    let r = (|| {
        let ukey = underlying as usize;
        let (base, uid) = live(ukey, None)?;
        let under = buffers_of(ukey)?;
        let keys: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let ctx = ctx as usize;
        let mut opts = BevOptions::NONE;
        if options & BEV_OPT_CLOSE_ON_FREE != 0 {
            opts = opts | BevOptions::CLOSE_ON_FREE;
        }
        if options & BEV_OPT_DEFER_CALLBACKS != 0 {
            opts = opts | BevOptions::DEFER_CALLBACKS;
        }
        let on_free = free_context.map(|f| -> evscope_core::ev::FilterFree {
            Box::new(move |b: &mut EventBase| current::lend(base, b, || filter::free_cb(f, ctx)))
        });
        let input = filter_fn(base, input_filter, ctx, under, keys.clone());
        let output = filter_fn(base, output_filter, ctx, under, keys.clone());
        let (fid, npriorities) = on_base(base, |b| {
            let fid = b.bufferevent_filter_new(uid, input, output, opts, on_free)?;
            Ok((fid, b.get_npriorities()))
        })?;
        let fkey = handles::with(|h| {
            Ok(h.insert_bev(base, BevState::Live(fid), true, |bev, write| {
                event_setup(base, npriorities, -1, write, true, bev)
            }))
        })?;
        // The underlying's callbacks are the filter's own now (libevent's be_filter_*), not
        // the program's: its handle shows none.
        handles::with(|h| {
            h.bev_mut(ukey)?.cbs = BevCbs::default();
            Ok(())
        })?;
        let (fin, fout) = buffers_of(fkey)?;
        keys[0].store(fin, Ordering::Release);
        keys[1].store(fout, Ordering::Release);
        // A filter's buffers are not frozen (libevent freezes only a socket's).
        crate::buffer::thaw(fin, fout)?;
        with_base(base, |b| {
            sync(fkey, b);
            sync(ukey, b);
        })?;
        Ok(fkey)
    })();
    error::ptr("bufferevent_filter_new", r)
}

/// libevent's `bufferevent_get_underlying`: the bufferevent under a filter; NULL for others.
#[no_mangle]
pub extern "C" fn bufferevent_get_underlying(bev: *mut bufferevent) -> *mut bufferevent {
    let r = (|| {
        let (base, state) = handles::with(|h| {
            let b = h.bev(bev as usize)?;
            Ok((b.base, b.state))
        })?;
        let BevState::Live(id) = state else {
            return Ok(0);
        };
        match on_base(base, |b| b.bufferevent_get_underlying(id))? {
            Some(u) => key_of(base, u),
            None => Ok(0),
        }
    })();
    error::ptr("bufferevent_get_underlying", r)
}

// ----- references -----------------------------------------------------------------------------

/// For `bufferevent_free` of the handle `key`: if the program holds a reference it took with
/// `bufferevent_incref`, the free only drops that one and clears the callbacks, and the
/// handle stays (true). False: free it as usual.
pub(crate) fn release_extra(key: usize) -> Result<bool> {
    let (base, state) = handles::with(|h| {
        let b = h.bev(key)?;
        Ok((b.base, b.state))
    })?;
    let BevState::Live(id) = state else {
        return Ok(false);
    };
    let extra = on_base(base, |b| b.bufferevent_refs(id))?.0;
    if extra == 0 {
        return Ok(false);
    }
    handles::with(|h| {
        let b = h.bev_mut(key)?;
        b.clear_callbacks();
        Ok(())
    })?;
    on_base(base, |b| {
        let r = b.bufferevent_free(id);
        sync(key, b);
        r
    })?;
    Ok(true)
}

/// libevent's `bufferevent_incref`: one more reference; the next `bufferevent_free` or
/// `bufferevent_decref` only drops it.
#[no_mangle]
pub extern "C" fn bufferevent_incref(bev: *mut bufferevent) {
    let r = on_bev(bev, |b, id| b.bufferevent_incref(id));
    error::unit("bufferevent_incref", r)
}

/// libevent's `bufferevent_decref`: drops a reference; the last one frees the bufferevent
/// (without clearing its callbacks, as `bufferevent_free` does: a deferred callback already
/// queued still runs them). Returns 1 if it was freed now, 0 if references remain (one of its
/// callbacks running, a deferred callback queued, or one taken with `bufferevent_incref`).
#[no_mangle]
pub extern "C" fn bufferevent_decref(bev: *mut bufferevent) -> c_int {
    let key = bev as usize;
    let r = (|| {
        let (base, id) = live(key, None)?;
        let (extra, _) = on_base(base, |b| b.bufferevent_refs(id))?;
        if extra > 0 {
            on_base(base, |b| {
                let r = b.bufferevent_decref(id);
                sync(key, b);
                r
            })?;
            return Ok(0);
        }
        // The last reference: unlike bufferevent_free, the callbacks stay, so a deferred
        // callback already queued (or the one running) still calls them before it goes.
        let now = on_base(base, |b| {
            let r = b.bufferevent_decref(id);
            sync(key, b);
            r
        })?;
        if now {
            handles::with(|h| {
                h.remove_bev(key);
                Ok(())
            })?;
        }
        Ok(c_int::from(now))
    })();
    error::int("bufferevent_decref", r)
}

// ----- callbacks on demand ----------------------------------------------------------------------

/// libevent's `bufferevent_trigger`: runs the read and/or write callback as if data had
/// arrived or drained, if the watermarks allow (`BEV_TRIG_IGNORE_WATERMARKS`: anyway); from
/// the loop with `BEV_TRIG_DEFER_CALLBACKS`.
#[no_mangle]
pub extern "C" fn bufferevent_trigger(bev: *mut bufferevent, iotype: c_short, options: c_int) {
    let ignore = options & BEV_TRIG_IGNORE_WATERMARKS != 0;
    let defer = options & BEV_OPT_DEFER_CALLBACKS != 0;
    let r = on_bev(bev, |b, id| {
        b.bufferevent_trigger(id, what_of(iotype), ignore, defer)
    });
    error::unit("bufferevent_trigger", r)
}

/// libevent's `bufferevent_trigger_event`: runs the event callback with `what`
/// (`BEV_EVENT_*`), from the loop with `BEV_TRIG_DEFER_CALLBACKS`.
#[no_mangle]
pub extern "C" fn bufferevent_trigger_event(bev: *mut bufferevent, what: c_short, options: c_int) {
    let defer = options & BEV_OPT_DEFER_CALLBACKS != 0;
    let r = on_bev(bev, |b, id| {
        b.bufferevent_trigger_event(id, events_of(what), defer)
    });
    error::unit("bufferevent_trigger_event", r)
}

// ----- priorities, fd, base, timeouts -----------------------------------------------------------

/// libevent's `bufferevent_priority_set`: the priority of a socket bufferevent's events; -1
/// for pairs and filters, out-of-range priorities, or while one of its events is active.
#[no_mangle]
pub extern "C" fn bufferevent_priority_set(bev: *mut bufferevent, pri: c_int) -> c_int {
    let r = usize::try_from(pri)
        .map_err(|_| CError::Invalid(format!("priority {pri} is negative")))
        .and_then(|p| on_bev(bev, |b, id| b.bufferevent_priority_set(id, p)));
    error::int("bufferevent_priority_set", r.map(|()| 0))
}

/// libevent's `bufferevent_get_priority`: its read event's priority.
#[no_mangle]
pub extern "C" fn bufferevent_get_priority(bev: *const bufferevent) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_get_priority(id));
    error::int(
        "bufferevent_get_priority",
        r.map(|p| c_int::try_from(p).unwrap_or(c_int::MAX)),
    )
}

/// libevent's `bufferevent_setfd`: a socket bufferevent watches `fd` from now on (its events
/// are added again as enabled); a filter passes it to its underlying bufferevent. -1 for a
/// pair.
#[no_mangle]
pub extern "C" fn bufferevent_setfd(bev: *mut bufferevent, fd: c_int) -> c_int {
    let key = bev as usize;
    let r = on_bev(bev, |b, id| {
        b.bufferevent_setfd(id, (fd >= 0).then_some(fd))
    })
    .and_then(|()| {
        // libevent's be_socket_setfd thaws the buffers.
        let (input, output) = buffers_of(key)?;
        crate::buffer::thaw(input, output)
    });
    error::int("bufferevent_setfd", r.map(|()| 0))
}

/// libevent's `bufferevent_base_set`: puts a socket bufferevent's events on `base` while
/// neither is pending or active, resetting their priority to `base`'s middle one. evscope
/// cannot move a bufferevent to another base: only its own base is accepted (the case of
/// `bufferevent_new` followed by `bufferevent_base_set` on the current base).
#[no_mangle]
pub extern "C" fn bufferevent_base_set(base: *mut event_base, bev: *mut bufferevent) -> c_int {
    let key = bev as usize;
    let r = (|| {
        let own = handles::with(|h| Ok(h.bev(key)?.base))?;
        if base as usize != own {
            return Err(CError::Invalid(
                "evscope cannot move a bufferevent to another event_base".into(),
            ));
        }
        handles::with(|h| h.base(own).map(drop))?;
        let (_, id) = live(key, None)?;
        if !on_base(own, |b| b.bufferevent_is_socket(id))? {
            return Ok(-1);
        }
        let listed = |write| {
            handles::with(|h| {
                let e = h.bev(key)?;
                Ok(h.event(e.event_key(write))?.shown.listed())
            })
        };
        // libevent's bufferevent_base_set writes ev_base first, whatever follows.
        handles::with(|h| {
            let b = h.bev_mut(key)?;
            b.shown.base = own;
            b.mem.show(&b.shown);
            Ok(())
        })?;
        let mut r = 0;
        for write in [false, true] {
            if listed(write)? {
                r = -1;
                break;
            }
            with_base(own, |b| -> evscope_core::ev::Result<()> {
                b.bufferevent_reset_priority(id, write)?;
                sync(key, b);
                Ok(())
            })??;
        }
        Ok(r)
    })();
    error::int("bufferevent_base_set", r)
}

/// libevent's `bufferevent_settimeout` (`bufferevent_compat.h`): read and write timeouts in
/// whole seconds, 0 for none.
#[no_mangle]
pub extern "C" fn bufferevent_settimeout(
    bev: *mut bufferevent,
    timeout_read: c_int,
    timeout_write: c_int,
) {
    let tv = |s: c_int| libc::timeval {
        tv_sec: libc::time_t::from(s),
        tv_usec: 0,
    };
    let (r, w) = (tv(timeout_read), tv(timeout_write));
    let rp = if timeout_read != 0 {
        In::from(&r)
    } else {
        In::null()
    };
    let wp = if timeout_write != 0 {
        In::from(&w)
    } else {
        In::null()
    };
    bev::bufferevent_set_timeouts(bev, rp, wp);
}

// ----- connecting by name -----------------------------------------------------------------------

/// libevent's `bufferevent_socket_connect_hostname`: resolves `hostname` (blocking, with the
/// system resolver, as libevent does without an `evdns_base`; a given `evdns_base` is not
/// used) and connects to its first address. A failed lookup tells the event callback
/// `BEV_EVENT_ERROR` at once and leaves its code in `bufferevent_socket_get_dns_error`; the
/// call still returns 0. -1 for a bad family or port.
#[no_mangle]
pub extern "C" fn bufferevent_socket_connect_hostname(
    bev: *mut bufferevent,
    _evdns_base: *mut c_void,
    family: c_int,
    hostname: CStrPtr<'_>,
    port: c_int,
) -> c_int {
    let key = bev as usize;
    let r = (|| {
        if ![libc::AF_INET, libc::AF_INET6, libc::AF_UNSPEC].contains(&family) {
            return Err(CError::Invalid(format!(
                "address family {family} is not supported"
            )));
        }
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| CError::Invalid(format!("port {port} is out of range")))?;
        on_bev(bev, |b, id| b.bufferevent_lookup_started(id))?;
        match filter::resolve(hostname.get(), port, family) {
            Err(code) => on_bev(bev, |b, id| b.bufferevent_lookup_failed(id, code))?,
            Ok(addr) => {
                let connected = on_bev(bev, |b, id| b.bufferevent_socket_connect(id, addr));
                if connected.is_err() {
                    on_bev(bev, |b, id| b.bufferevent_lookup_failed(id, 0))?;
                } else {
                    let (input, output) = buffers_of(key)?;
                    crate::buffer::thaw(input, output)?;
                }
            }
        }
        Ok(0)
    })();
    error::int("bufferevent_socket_connect_hostname", r)
}

/// libevent's `bufferevent_socket_get_dns_error`: the resolver's error code from the last
/// `bufferevent_socket_connect_hostname` (an `EVUTIL_EAI_*` value), 0 for none.
#[no_mangle]
pub extern "C" fn bufferevent_socket_get_dns_error(bev: *mut bufferevent) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_socket_get_dns_error(id));
    error::int("bufferevent_socket_get_dns_error", r)
}
