//! `event.h`'s event calls: `event_new` / `event_assign`, `event_add`, `event_del`,
//! `event_active`, `event_pending`, `event_free`, priorities, the getters, and
//! `event_base_once`. The `evtimer_*` and `evsignal_*` macros expand to these.

use std::os::raw::{c_int, c_short, c_void};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use evscope::ev::{EventBase, EventId, What};

use crate::base::on_base;
use crate::error::{self, CError, Result};
use crate::handles::{self, EventEntry, Token};
use crate::label;
use crate::sys::call::{self, EventCb};
use crate::sys::{current, mem};
use crate::types::{event, event_base};

fn what_of(what: c_short) -> What {
    What::from_bits_truncate(what as u16)
}

/// The address `event_self_cbarg()` returns: an `arg` meaning "the event itself".
static SELF_CBARG: u8 = 0;

fn self_cbarg() -> usize {
    &SELF_CBARG as *const u8 as usize
}

/// The engine's callback for a C `event_callback_fn`: lends the base, calls C.
fn c_callback(
    base: usize,
    fd: c_int,
    cb: Option<EventCb>,
    arg: usize,
) -> impl FnMut(&mut EventBase, EventId, What) + 'static {
    move |b, _id, fired| {
        if let Some(f) = cb {
            current::lend(base, b, || {
                call::event_cb(f, fd, fired.bits() as c_short, arg)
            });
        }
    }
}

/// Makes an event; `place` is the program's memory for `event_assign`, else a token is made.
fn make(
    base: usize,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: usize,
    place: Option<usize>,
) -> Result<usize> {
    handles::non_null(base, "event_base")?;
    let token = place.is_none().then(Token::new);
    let key = match (&token, place) {
        (Some(t), _) => t.key(),
        (None, Some(p)) => p,
        (None, None) => return Err(CError::Null("event")),
    };
    if place.is_some() {
        // event_assign over an event that was never freed: the old one goes first.
        if let Some(old) = handles::with(|h| Ok(h.events.remove(&key)))? {
            let _ = on_base(old.base, |b| b.free(old.id));
        }
    }
    let arg = if arg == self_cbarg() { key } else { arg };
    let label = label::of(cb.map(|f| f as usize));
    let fd_opt = (fd >= 0).then_some(fd);
    let id = on_base(base, |b| {
        b.event_new_labeled(fd_opt, what_of(what), &label, c_callback(base, fd, cb, arg))
    })?;
    handles::with(|h| {
        h.events.insert(
            key,
            EventEntry {
                base,
                id,
                fd,
                what,
                cb,
                arg,
                _token: token,
            },
        );
        Ok(key)
    })
}

/// The event's base and id.
fn lookup(ev: *const event) -> Result<(usize, EventId)> {
    handles::with(|h| h.event(ev as usize).map(|e| (e.base, e.id)))
}

/// libevent's `event_new`: an event on `fd` (a signal number with `EV_SIGNAL`, -1 for a pure
/// timer) for `what`, calling `cb(fd, what_happened, arg)`. Its label is `cb`'s name.
#[no_mangle]
pub extern "C" fn event_new(
    base: *mut event_base,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) -> *mut event {
    error::ptr(
        "event_new",
        make(base as usize, fd, what, cb, arg as usize, None),
    )
}

/// libevent's `event_assign`: `event_new` into the program's own `struct event` (from
/// `event2/event_struct.h`); the library only uses its address as the handle.
#[no_mangle]
pub extern "C" fn event_assign(
    ev: *mut event,
    base: *mut event_base,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) -> c_int {
    let r = handles::non_null(ev as usize, "event")
        .and_then(|ev| make(base as usize, fd, what, cb, arg as usize, Some(ev)));
    error::int("event_assign", r.map(|_| 0))
}

/// libevent's `event_free`: deletes and frees the event; allowed inside its own callback.
#[no_mangle]
pub extern "C" fn event_free(ev: *mut event) {
    let r = lookup(ev).and_then(|(base, id)| {
        on_base(base, |b| b.free(id))?;
        handles::with(|h| Ok(h.events.remove(&(ev as usize))))?;
        Ok(())
    });
    error::unit("event_free", r)
}

/// libevent's `event_debug_unassign`: forgets an assigned event (deleting it).
#[no_mangle]
pub extern "C" fn event_debug_unassign(ev: *mut event) {
    event_free(ev)
}

/// libevent's `event_add`: pending, with a timeout if `tv` is not NULL.
#[no_mangle]
pub extern "C" fn event_add(ev: *mut event, tv: *const libc::timeval) -> c_int {
    let timeout = mem::read_timeval(tv);
    let r = lookup(ev).and_then(|(base, id)| on_base(base, |b| b.add(id, timeout)));
    error::int("event_add", r.map(|()| 0))
}

/// libevent's `event_del`: not pending, not active.
#[no_mangle]
pub extern "C" fn event_del(ev: *mut event) -> c_int {
    let r = lookup(ev).and_then(|(base, id)| on_base(base, |b| b.del(id)));
    error::int("event_del", r.map(|()| 0))
}

/// libevent's `event_del_block`: the same as `event_del` (one thread).
#[no_mangle]
pub extern "C" fn event_del_block(ev: *mut event) -> c_int {
    event_del(ev)
}

/// libevent's `event_del_noblock`: the same as `event_del` (one thread).
#[no_mangle]
pub extern "C" fn event_del_noblock(ev: *mut event) -> c_int {
    event_del(ev)
}

/// libevent's `event_remove_timer`: disarm the timeout, keep the fd or signal.
#[no_mangle]
pub extern "C" fn event_remove_timer(ev: *mut event) -> c_int {
    let r = lookup(ev).and_then(|(base, id)| on_base(base, |b| b.remove_timer(id)));
    error::int("event_remove_timer", r.map(|()| 0))
}

/// libevent's `event_active`: run the callback as if `res` had happened (`ncalls` is for
/// signals and is ignored, as by libevent for other events).
#[no_mangle]
pub extern "C" fn event_active(ev: *mut event, res: c_int, _ncalls: c_short) {
    let r =
        lookup(ev).and_then(|(base, id)| on_base(base, |b| b.active(id, what_of(res as c_short))));
    error::unit("event_active", r)
}

/// libevent's `event_pending`: which of `events` the event is pending or active for; with
/// `EV_TIMEOUT` and a non-NULL `tv`, also when its timeout expires (time of day).
#[no_mangle]
pub extern "C" fn event_pending(
    ev: *const event,
    events: c_short,
    tv: *mut libc::timeval,
) -> c_int {
    let r = lookup(ev).and_then(|(base, id)| on_base(base, |b| b.pending(id, what_of(events))));
    match r {
        Ok((flags, deadline)) => {
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                let at = SystemTime::now() + left;
                let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
                mem::write_out(
                    tv,
                    libc::timeval {
                        tv_sec: d.as_secs() as libc::time_t,
                        tv_usec: d.subsec_micros() as libc::suseconds_t,
                    },
                );
            }
            c_int::from(flags.bits())
        }
        Err(e) => {
            error::report("event_pending", &e);
            0
        }
    }
}

/// libevent's `event_initialized`: 1 for a live event made by `event_new` / `event_assign`.
#[no_mangle]
pub extern "C" fn event_initialized(ev: *const event) -> c_int {
    c_int::from(lookup(ev).is_ok())
}

/// libevent's `event_priority_set`: 0 runs first; not while the event is active.
#[no_mangle]
pub extern "C" fn event_priority_set(ev: *mut event, priority: c_int) -> c_int {
    let r = lookup(ev).and_then(|(base, id)| {
        let p = usize::try_from(priority)
            .map_err(|_| CError::Invalid(format!("priority {priority} is negative")))?;
        on_base(base, |b| b.priority_set(id, p))
    });
    error::int("event_priority_set", r.map(|()| 0))
}

/// libevent's `event_get_priority`.
#[no_mangle]
pub extern "C" fn event_get_priority(ev: *const event) -> c_int {
    let r = lookup(ev).and_then(|(base, id)| on_base(base, |b| b.event_priority(id)));
    error::int("event_get_priority", r.map(|p| p as c_int))
}

fn field<T>(call: &str, ev: *const event, f: impl FnOnce(&EventEntry) -> T, none: T) -> T {
    match handles::with(|h| h.event(ev as usize).map(f)) {
        Ok(v) => v,
        Err(e) => {
            error::report(call, &e);
            none
        }
    }
}

/// libevent's `event_get_fd`: the fd (or signal number) given to `event_new`.
#[no_mangle]
pub extern "C" fn event_get_fd(ev: *const event) -> c_int {
    field("event_get_fd", ev, |e| e.fd, -1)
}

/// libevent's `event_get_events`: the flags given to `event_new`.
#[no_mangle]
pub extern "C" fn event_get_events(ev: *const event) -> c_short {
    field("event_get_events", ev, |e| e.what, 0)
}

/// libevent's `event_get_callback`.
#[no_mangle]
pub extern "C" fn event_get_callback(ev: *const event) -> Option<EventCb> {
    field("event_get_callback", ev, |e| e.cb, None)
}

/// libevent's `event_get_callback_arg` (the event itself for `event_self_cbarg()`).
#[no_mangle]
pub extern "C" fn event_get_callback_arg(ev: *const event) -> *mut c_void {
    field("event_get_callback_arg", ev, |e| e.arg, 0) as *mut c_void
}

/// libevent's `event_get_base`.
#[no_mangle]
pub extern "C" fn event_get_base(ev: *const event) -> *mut event_base {
    field("event_get_base", ev, |e| e.base, 0) as *mut event_base
}

/// libevent's `event_self_cbarg`: pass it as `event_new`'s `arg` to have the callback get the
/// event itself.
#[no_mangle]
pub extern "C" fn event_self_cbarg() -> *mut c_void {
    self_cbarg() as *mut c_void
}

/// libevent's `event_base_once`: `cb` runs once when `what` happens on `fd` or `tv` passes;
/// the event frees itself. `EV_PERSIST` and `EV_SIGNAL` are refused.
#[no_mangle]
pub extern "C" fn event_base_once(
    base: *mut event_base,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    let base = base as usize;
    let timeout = mem::read_timeval(tv);
    let flags = what_of(what);
    let arg = arg as usize;
    let r = (|| {
        handles::non_null(base, "event_base")?;
        if flags.intersects(What::PERSIST | What::SIGNAL) {
            return Err(CError::Invalid(
                "event_base_once does not take EV_PERSIST or EV_SIGNAL".into(),
            ));
        }
        let label = label::of(cb.map(|f| f as usize));
        let mut inner = c_callback(base, fd, cb, arg);
        on_base(base, |b| {
            let id = b.event_new_labeled(
                (fd >= 0).then_some(fd),
                flags,
                &label,
                move |b, id, fired| {
                    inner(b, id, fired);
                    let _ = b.free(id);
                },
            )?;
            let waits = flags.intersects(What::READ | What::WRITE | What::CLOSED);
            let armed = if !waits && timeout.is_none() {
                b.active(id, What::TIMEOUT)
            } else {
                b.add(id, timeout)
            };
            if armed.is_err() {
                let _ = b.free(id);
            }
            armed
        })
    })();
    error::int("event_base_once", r.map(|()| 0))
}
