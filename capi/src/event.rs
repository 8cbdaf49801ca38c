//! `event.h`'s event calls: `event_new` / `event_assign`, `event_add`, `event_del`,
//! `event_active`, `event_pending`, `event_free`, priorities, the getters, and
//! `event_base_once`. The `evtimer_*` and `evsignal_*` macros expand to these.
//!
//! Each event is a real `struct event` (the library's, or the program's own for
//! `event_assign`), keyed by its address: its public fields are written as libevent writes
//! them, after each call on it and before each run of its callback.

use std::os::raw::{c_int, c_short, c_void};

use evscope_core::ev::{EventBase, EventId, What};

use crate::base::{on_base, with_base};
use crate::error::{self, CError, Result};
use crate::fields::{self, middle_priority, EventSetup, EV_TIMEOUT};
use crate::handles::{self, EventEntry, Home, Moment};
use crate::label;
use crate::sys::call::{self, EventCb};
use crate::sys::cptr::{In, Out, ProgramEvent};
use crate::sys::cstruct::EventMem;
use crate::sys::current;
use crate::types::{closure, event, event_base, evlist};

fn what_of(what: c_short) -> What {
    What::from_bits_truncate(what as u16)
}

/// The address `event_self_cbarg()` returns: an `arg` meaning "the event itself".
static SELF_CBARG: u8 = 0;

fn self_cbarg() -> usize {
    &SELF_CBARG as *const u8 as usize
}

/// The engine's callback for a C `event_callback_fn`: shows the event as libevent has it
/// when the callback starts, lends the base, calls C.
fn c_callback(
    base: usize,
    key: usize,
    fd: c_int,
    cb: Option<EventCb>,
    arg: usize,
) -> impl FnMut(&mut EventBase, EventId, What) + 'static {
    move |b, _id, fired| {
        handles::sync(key, b, Moment::Callback(fired));
        if let Some(f) = cb {
            current::lend(base, b, || call::event_cb(f, fd, fields::bits(fired), arg));
        }
    }
}

/// Takes back what an `event_assign` over a registered event leaves: the old event is freed
/// in the engine, and memory the library allocated (`event_new`) is handed back for reuse.
fn forget_old(key: usize) -> Result<Option<EventMem>> {
    let old = handles::with(|h| {
        if let Ok(e) = h.event(key) {
            refuse_bev_event(e)?;
        }
        Ok(h.events.remove(&key))
    })?;
    let Some(old) = old else {
        return Ok(None);
    };
    if let (Some(base), Some(id), false) = (old.base, old.id, old.orphan) {
        // Its base may be another thread's, running: freed there, without waiting for it.
        crate::base::free_event_soon(base, id)?;
    }
    Ok(match old.home {
        Home::Mem(mem) if mem.owned() => Some(mem),
        _ => None,
    })
}

/// A bufferevent's own `ev_read` / `ev_write` are moved by the bufferevent calls only.
fn refuse_bev_event(e: &EventEntry) -> Result<()> {
    match e.home {
        Home::InBev { .. } => Err(CError::Invalid(
            "this struct event belongs to a bufferevent: use bufferevent_enable / \
             bufferevent_disable"
                .into(),
        )),
        Home::Mem(_) => Ok(()),
    }
}

/// Makes an event on `base` (None: `event_set` with no current base) in `place` (the
/// program's memory, for `event_assign`) or in new memory; returns its key.
fn make(
    base: Option<usize>,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: usize,
    place: Option<ProgramEvent>,
) -> Result<usize> {
    if let Some(base) = base {
        handles::non_null(base, "event_base")?;
    }
    let mem = match place {
        Some(p) => {
            let program = EventMem::program(p).ok_or(CError::Null("event"))?;
            forget_old(program.addr())?.unwrap_or(program)
        }
        None => EventMem::alloc(),
    };
    let key = mem.addr();
    let arg = if arg == self_cbarg() { key } else { arg };
    let (id, npriorities) = match base {
        Some(base) => {
            let label = label::of(cb.map(|f| f as usize));
            let fd_opt = (fd >= 0).then_some(fd);
            let (id, n) = on_base(base, |b| {
                let id = b.labeled(&label).event_new(
                    fd_opt,
                    what_of(what),
                    c_callback(base, key, fd, cb, arg),
                )?;
                Ok((id, b.get_npriorities()))
            })?;
            (Some(id), Some(n))
        }
        None => (None, None),
    };
    let setup = EventSetup::assign(base, npriorities, fd, what, cb, arg);
    handles::with(|h| {
        h.insert_event(key, Home::Mem(mem), &setup, id, cb);
        Ok(key)
    })
}

/// The base and engine id of the event `key`, for a call that changes it. `call` names the
/// libevent function whose warning an event without a base gets.
fn target(call: &'static str, key: usize) -> Result<(usize, EventId)> {
    handles::with(|h| {
        let e = h.event(key)?;
        refuse_bev_event(e)?;
        if e.orphan {
            return Err(CError::Invalid("its event_base was freed".into()));
        }
        match (e.base, e.id) {
            (Some(base), Some(id)) => Ok((base, id)),
            _ => Err(CError::NoBase(call)),
        }
    })
}

/// Runs an engine call on the event `ev`, then shows its new state in its struct.
fn on_event<R>(
    call: &'static str,
    ev: *const event,
    f: impl FnOnce(&mut EventBase, EventId) -> evscope_core::ev::Result<R>,
) -> Result<R> {
    let key = ev as usize;
    let (base, id) = target(call, key)?;
    let r = with_base(base, |b| {
        let r = f(b, id);
        handles::sync(key, b, Moment::Call);
        r
    })?;
    Ok(r?)
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
    let r = handles::non_null(base as usize, "event_base")
        .and_then(|base| make(Some(base), fd, what, cb, arg as usize, None));
    error::ptr("event_new", r)
}

/// libevent's `event_assign`: `event_new` into the program's own `struct event` (from
/// `event2/event_struct.h`), whose fields are written as libevent writes them.
#[no_mangle]
pub extern "C" fn event_assign(
    ev: ProgramEvent,
    base: *mut event_base,
    fd: c_int,
    what: c_short,
    cb: Option<EventCb>,
    arg: *mut c_void,
) -> c_int {
    // A NULL base means the current one (event_init's), whichever thread made it.
    let base = match base as usize {
        0 => crate::base::current_base(),
        b => b,
    };
    let r = handles::non_null(ev.addr(), "event").and_then(|_| {
        make(
            (base != 0).then_some(base),
            fd,
            what,
            cb,
            arg as usize,
            Some(ev),
        )
    });
    error::int("event_assign", r.map(|_| 0))
}

/// libevent's `event_base_set`: puts an event that is neither pending nor active on `base`
/// (at its middle priority), e.g. one `event_set` made before any base existed.
pub(crate) fn base_set(base: usize, ev: *mut event) -> Result<()> {
    let key = ev as usize;
    handles::non_null(base, "event_base")?;
    let e = handles::with(|h| {
        let e = h.event(key)?;
        refuse_bev_event(e)?;
        Ok((e.base, e.id, e.orphan, e.fd, e.what, e.cb, e.arg))
    })?;
    let (old_base, old_id, orphan, fd, what, cb, arg) = e;
    if let (Some(old_base), Some(_), false) = (old_base, old_id, orphan) {
        // When another thread runs the old base, the struct shows what it last showed.
        crate::base::with_base_now(old_base, |b| handles::sync(key, b, Moment::Call))?;
    }
    let flags = handles::with(|h| Ok(h.event(key)?.shown.flags))?;
    if flags != evlist::INIT {
        return Err(CError::Invalid(
            "only an event that is not pending or active can move to another base".into(),
        ));
    }
    let label = label::of(cb.map(|f| f as usize));
    let (id, n) = on_base(base, |b| {
        let id = b.labeled(&label).event_new(
            (fd >= 0).then_some(fd),
            what_of(what),
            c_callback(base, key, fd, cb, arg),
        )?;
        Ok((id, b.get_npriorities()))
    })?;
    if let (Some(old_base), Some(old), false) = (old_base, old_id, orphan) {
        // The event was idle there; the old base may be gone already, or another thread's.
        crate::base::free_event_soon(old_base, old)?;
    }
    handles::with(|h| {
        h.rebase(key, base, id, middle_priority(n));
        Ok(())
    })
}

/// The base, engine id and orphan flag of an event the program may free or unassign (not one
/// of a bufferevent's own).
fn releasable(key: usize) -> Result<(Option<usize>, Option<EventId>, bool)> {
    handles::with(|h| {
        let e = h.event(key)?;
        refuse_bev_event(e)?;
        Ok((e.base, e.id, e.orphan))
    })
}

/// libevent's `event_free`: deletes and frees the event; allowed inside its own callback.
#[no_mangle]
pub extern "C" fn event_free(ev: *mut event) {
    let key = ev as usize;
    let r = (|| {
        let (base, id, orphan) = releasable(key)?;
        match (base, id) {
            (Some(base), Some(id)) if !orphan => on_base(base, |b| b.event_free(id))?,
            // libevent's event_free deletes first, which warns for an event without a base.
            (None, _) => error::report("event_free", &CError::NoBase("event_del_")),
            _ => {}
        }
        handles::with(|h| Ok(h.events.remove(&key)))?;
        Ok(())
    })();
    error::unit("event_free", r)
}

/// libevent's `event_debug_unassign`: the event is no longer initialized (it is deleted
/// first here); the memory stays the program's.
#[no_mangle]
pub extern "C" fn event_debug_unassign(ev: *mut event) {
    let key = ev as usize;
    let r = (|| {
        let (base, id, orphan) = releasable(key)?;
        if let (Some(base), Some(id), false) = (base, id, orphan) {
            on_base(base, |b| b.event_free(id))?;
        }
        handles::with(|h| {
            let shown = h.event(key)?.shown.deleted();
            let cleared = fields::EventShown {
                flags: shown.flags & !evlist::INIT,
                ..shown
            };
            h.show_event(key, cleared);
            let e = h.event_mut(key)?;
            e.id = None;
            e.orphan = true;
            // Memory the library allocated stays until event_free; the program's is its own.
            let owned = matches!(&e.home, Home::Mem(m) if m.owned());
            if !owned {
                h.events.remove(&key);
            }
            Ok(())
        })
    })();
    error::unit("event_debug_unassign", r)
}

/// libevent's `event_add`: pending, with a timeout if `tv` is not NULL.
#[no_mangle]
pub extern "C" fn event_add(ev: *mut event, tv: In<'_, libc::timeval>) -> c_int {
    let (timeout, common) = crate::base_extra::add_timeout(ev as usize, tv);
    if !tv.is_null() {
        crate::base_extra::note_common(ev as usize, common);
    }
    let queue = common.map(crate::base_extra::common_index);
    let r = on_event("event_add", ev, |b, id| {
        if !tv.is_null() {
            b.init_common_timeout(id, queue)?;
        }
        b.event_add(id, timeout)
    });
    if r.is_ok() {
        // A persistent I/O event keeps the interval it re-arms with (`ev_io_timeout`).
        if let Some(given) = tv.read() {
            let given = fields::Tv::from_c(&given);
            let _ = handles::with(|h| {
                let e = h.event(ev as usize)?;
                if closure_of(e.what) == closure::PERSIST {
                    let shown = fields::EventShown {
                        io_timeout: Some(given),
                        ..e.shown
                    };
                    h.show_event(ev as usize, shown);
                }
                Ok(())
            });
        }
    }
    error::int("event_add", r.map(|()| 0))
}

fn closure_of(what: c_short) -> u8 {
    EventSetup::assign(None, None, -1, what, None, 0).closure
}

/// libevent's `event_del`: not pending, not active.
#[no_mangle]
pub extern "C" fn event_del(ev: *mut event) -> c_int {
    error::int(
        "event_del",
        on_event("event_del_", ev, |b, id| b.event_del(id)).map(|()| 0),
    )
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
    let key = ev as usize;
    let armed = handles::with(|h| Ok(h.event(key)?.shown.flags & evlist::TIMEOUT != 0));
    let r = on_event("event_remove_timer", ev, |b, id| b.event_remove_timer(id));
    if r.is_ok() && armed.unwrap_or(false) {
        // libevent clears the persistent interval with the timeout.
        let _ = handles::with(|h| {
            let shown = fields::EventShown {
                io_timeout: Some(fields::Tv::ZERO),
                ..h.event(key)?.shown
            };
            h.show_event(key, shown);
            Ok(())
        });
    }
    error::int("event_remove_timer", r.map(|()| 0))
}

/// libevent's `event_active`: run the callback as if `res` had happened (`ncalls` is for
/// signals and is ignored, as by libevent for other events).
#[no_mangle]
pub extern "C" fn event_active(ev: *mut event, res: c_int, _ncalls: c_short) {
    let r = on_event("event_active", ev, |b, id| {
        b.event_active(id, what_of(res as c_short))
    });
    error::unit("event_active", r)
}

/// What `event_pending` works from: the engine, or what the struct shows.
enum Source {
    Engine(usize, EventId),
    Shown(c_short, fields::EventShown),
}

/// libevent's `event_pending`: which of `events` the event is pending or active for; with
/// `EV_TIMEOUT` and a non-NULL `tv`, also when its timeout expires (time of day).
#[no_mangle]
pub extern "C" fn event_pending(
    ev: *const event,
    events: c_short,
    tv: Out<'_, libc::timeval>,
) -> c_int {
    let key = ev as usize;
    let source = handles::with(|h| {
        let e = h.event(key)?;
        let freed_bev = match e.home {
            Home::InBev { bev, .. } => h.bevs.get(&bev).is_none_or(|b| b.freed),
            Home::Mem(_) => false,
        };
        match (e.base, e.id) {
            (None, _) => Err(CError::NoBase("event_pending")),
            (Some(base), Some(id)) if !freed_bev && !e.orphan => Ok(Source::Engine(base, id)),
            _ => Ok(Source::Shown(e.what, e.shown)),
        }
    });
    let answer = match source {
        Ok(Source::Engine(base, id)) => with_base(base, |b| {
            let r = b.event_pending(id, what_of(events));
            handles::sync(key, b, Moment::Call);
            r
        })
        .and_then(|r| Ok(r?))
        .map(|(flags, deadline)| {
            (
                fields::bits(flags),
                deadline.map(|d| fields::wall_of_monotonic(fields::monotonic(d))),
            )
        }),
        Ok(Source::Shown(what, shown)) => {
            let flags = shown.pending(what, events);
            let at = shown
                .timeout
                .filter(|_| flags & EV_TIMEOUT != 0)
                .map(fields::wall_of_monotonic);
            Ok((flags, at))
        }
        Err(e) => Err(e),
    };
    match answer {
        Ok((flags, at)) => {
            if let Some(at) = at {
                tv.write(at.to_c());
            }
            c_int::from(flags)
        }
        Err(e) => {
            error::report("event_pending", &e);
            0
        }
    }
}

/// libevent's `event_initialized`: 1 for an event set up by `event_new` / `event_assign` /
/// `event_set` and not freed.
#[no_mangle]
pub extern "C" fn event_initialized(ev: *const event) -> c_int {
    let r = handles::with(|h| Ok(h.event(ev as usize)?.shown.flags & evlist::INIT != 0));
    c_int::from(r.unwrap_or(false))
}

/// libevent's `event_priority_set`: 0 runs first; not while the event is active.
#[no_mangle]
pub extern "C" fn event_priority_set(ev: *mut event, priority: c_int) -> c_int {
    let r = usize::try_from(priority)
        .map_err(|_| CError::Invalid(format!("priority {priority} is negative")))
        .and_then(|p| {
            on_event("event_priority_set", ev, |b, id| {
                b.event_priority_set(id, p)
            })
        });
    error::int("event_priority_set", r.map(|()| 0))
}

/// libevent's `event_get_priority`.
#[no_mangle]
pub extern "C" fn event_get_priority(ev: *const event) -> c_int {
    field(
        "event_get_priority",
        ev,
        |e| e.shown.pri.map_or(0, c_int::from),
        -1,
    )
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

/// libevent's `event_get_base` (NULL for an event `event_set` made before any base).
#[no_mangle]
pub extern "C" fn event_get_base(ev: *const event) -> *mut event_base {
    field("event_get_base", ev, |e| e.base.unwrap_or(0), 0) as *mut event_base
}

/// libevent's `event_get_assignment`: what the event was set up with (any out-pointer may be
/// NULL).
#[no_mangle]
pub extern "C" fn event_get_assignment(
    ev: *const event,
    base_out: Out<'_, *mut event_base>,
    fd_out: Out<'_, c_int>,
    events_out: Out<'_, c_short>,
    callback_out: Out<'_, Option<EventCb>>,
    arg_out: Out<'_, *mut c_void>,
) {
    let r = handles::with(|h| {
        let e = h.event(ev as usize)?;
        Ok((e.base.unwrap_or(0), e.fd, e.what, e.cb, e.arg))
    });
    match r {
        Ok((base, fd, what, cb, arg)) => {
            base_out.write(base as *mut event_base);
            fd_out.write(fd);
            events_out.write(what);
            callback_out.write(cb);
            arg_out.write(arg as *mut c_void);
        }
        Err(e) => error::report("event_get_assignment", &e),
    }
}

/// libevent's `event_get_struct_event_size`: the size of `struct event`.
#[no_mangle]
pub extern "C" fn event_get_struct_event_size() -> usize {
    std::mem::size_of::<event>()
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
    tv: In<'_, libc::timeval>,
) -> c_int {
    let base = base as usize;
    let timeout = tv.duration();
    let flags = what_of(what);
    let arg = arg as usize;
    let r = (|| {
        handles::non_null(base, "event_base")?;
        if flags.intersects(What::PERSIST | What::SIGNAL) {
            return Err(CError::Invalid(
                "event_base_once does not take EV_PERSIST or EV_SIGNAL".into(),
            ));
        }
        // As libevent: EV_TIMEOUT alone is a timer, run at once without a (non-zero) timeout;
        // otherwise it waits for EV_READ / EV_WRITE / EV_CLOSED, with the timeout if any.
        let io = What::READ | What::WRITE | What::CLOSED;
        let (flags, at_once) = if flags & (What::TIMEOUT | io) == What::TIMEOUT {
            (What::NONE, timeout.is_none_or(|t| t.is_zero()))
        } else if flags.intersects(io) {
            (flags & io, false)
        } else {
            return Err(CError::Invalid(
                "event_base_once needs EV_TIMEOUT, EV_READ, EV_WRITE or EV_CLOSED".into(),
            ));
        };
        let what = fields::bits(flags);
        // Like libevent's `struct event_once`, a struct event of the library's own.
        let mem = EventMem::alloc();
        let key = mem.addr();
        let label = label::of(cb.map(|f| f as usize));
        let mut inner = c_callback(base, key, fd, cb, arg);
        let (id, n) = on_base(base, |b| {
            let id = b.labeled(&label).event_new(
                (fd >= 0).then_some(fd),
                flags,
                move |b, id, fired| {
                    inner(b, id, fired);
                    // Freed already if the callback freed the base's events; nothing owed.
                    let _ = b.event_free(id);
                    let _ = handles::with(|h| Ok(h.events.remove(&key)));
                },
            )?;
            Ok((id, b.get_npriorities()))
        })?;
        let setup = EventSetup::assign(Some(base), Some(n), fd, what, cb, arg);
        handles::with(|h| {
            h.insert_event(key, Home::Mem(mem), &setup, Some(id), cb);
            h.event_mut(key)?.once = true;
            Ok(())
        })?;
        let armed = with_base(base, |b| {
            let armed = if at_once {
                b.event_active(id, What::TIMEOUT)
            } else {
                b.event_add(id, timeout)
            };
            if armed.is_err() {
                // Undo: the engine refused to arm it, so it never runs.
                let _ = b.event_free(id);
            } else {
                handles::sync(key, b, Moment::Look);
            }
            armed
        })?;
        if armed.is_err() {
            handles::with(|h| Ok(h.events.remove(&key)))?;
        }
        Ok(armed?)
    })();
    error::int("event_base_once", r.map(|()| 0))
}
