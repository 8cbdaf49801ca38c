//! `event.h`'s base calls: `event_base_new` … `event_base_free`, the loop and its controls, and
//! the process-wide odds and ends (`event_get_version`, `event_config_*`).

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evscope_core::ev::{BackendKind, EventBase, EventId, Exit, LoopFlags};

use crate::error::{self, CError, Result};
use crate::handles::{self, BaseEntry, Token};
use crate::sys::cptr::{CFile, CStrPtr, In, Out};
use crate::sys::shared::SharedBase;
use crate::sys::{current, mem, os};
use crate::types::{event_base, event_config};

/// Runs `f` on the base `key`: the base lent by a running callback of it on this thread, or
/// else the base itself, waiting while another thread runs its loop or a call on it. Every API
/// call reaches the engine through here.
pub(crate) fn with_base<R>(key: usize, f: impl FnOnce(&mut EventBase) -> R) -> Result<R> {
    let f = |b: &mut EventBase| {
        free_orphans(key, b);
        f(b)
    };
    let f = match current::with_lent(key, f) {
        Ok(r) => return Ok(r),
        Err(f) => f,
    };
    let base = handles::with(|h| h.base(key))?;
    base.with(f).ok_or(CError::Busy)
}

/// Frees the engine events other threads left for the base `key` (see `handles::defer_free`).
fn free_orphans(key: usize, b: &mut EventBase) {
    for id in handles::take_orphans(key) {
        // Freed with the base's other events already, if the program freed those: nothing owed.
        let _ = b.event_free(id);
    }
}

/// Runs `f` on the base `key` if this thread can reach it without waiting: lent to this
/// thread, or used by no thread now. None when another thread is running it.
pub(crate) fn with_base_now<R>(
    key: usize,
    f: impl FnOnce(&mut EventBase) -> R,
) -> Result<Option<R>> {
    let f = match current::with_lent(key, f) {
        Ok(r) => return Ok(Some(r)),
        Err(f) => f,
    };
    let base = handles::with(|h| h.base(key))?;
    Ok(base.try_with(f))
}

/// Frees the engine event `id` of the base `key`: now if this thread can reach the base
/// without waiting, else by the next thread that uses the base (the one running its loop).
/// For an event that is neither pending nor active, whose `struct event` is being reused.
pub(crate) fn free_event_soon(key: usize, id: EventId) -> Result<()> {
    match with_base_now(key, |b| b.event_free(id)) {
        // Freed with its base's events already, if the program freed those: nothing owed.
        Ok(Some(_)) | Err(CError::Stale(_)) => Ok(()),
        Ok(None) => handles::defer_free(key, id),
        Err(e) => Err(e),
    }
}

/// Like [`with_base`] for the engine's fallible calls.
pub(crate) fn on_base<R>(
    key: usize,
    f: impl FnOnce(&mut EventBase) -> evscope_core::ev::Result<R>,
) -> Result<R> {
    Ok(with_base(key, f)??)
}

fn register(base: EventBase) -> Result<usize> {
    crate::log::note_base_made();
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        os::at_exit(flush_at_exit);
    });
    handles::with(|h| {
        let token = Token::new();
        let key = token.key();
        h.bases.insert(
            key,
            BaseEntry {
                breaker: base.break_handle(),
                base: Arc::new(SharedBase::new(base)),
                sig_event: None,
                notify_event: None,
                orphans: Vec::new(),
                _token: token,
            },
        );
        Ok(key)
    })
}

/// At exit, write out every trace still held in memory: a base whose callback called `exit()`
/// is lent on this thread; the others are flushed unless another thread is running them.
extern "C" fn flush_at_exit() {
    for key in current::lent_keys() {
        let _ = current::with_lent(key, |b| drop(b.take_observer()));
    }
    let idle = handles::with(|h| Ok(h.bases.values().map(|b| b.base.clone()).collect::<Vec<_>>()));
    for base in idle.unwrap_or_default() {
        base.try_with(|b| drop(b.take_observer()));
    }
    // Bases other threads are running still share the trace: what they handed over is written.
    evscope_core::trace::flush_process_trace();
}

/// The base `event_init` made (libevent's `current_base`): what `event_set` and the other
/// pre-2.0 calls use, on every thread.
static CURRENT: AtomicUsize = AtomicUsize::new(0);

/// The current base's key, 0 for none.
pub(crate) fn current_base() -> usize {
    CURRENT.load(Ordering::Acquire)
}

/// Makes `key` the current base (0: none).
pub(crate) fn set_current_base(key: usize) {
    CURRENT.store(key, Ordering::Release);
}

/// libevent's `event_base_new`: `event_base_new_with_config` with no configuration.
#[no_mangle]
pub extern "C" fn event_base_new() -> *mut event_base {
    error::ptr("event_base_new", new_base(&Config::default()))
}

/// libevent's `event_base_free`. Handles of its events, bufferevents and listeners become
/// stale. Refused inside one of the base's own callbacks; waits while another thread runs it.
#[no_mangle]
pub extern "C" fn event_base_free(base: *mut event_base) {
    free_base(base, true)
}

/// `event_base_free`, running the finalizers still queued first when `finalize` is set (as
/// libevent's does, and `event_base_free_nofinalize` does not).
fn free_base(base: *mut event_base, finalize: bool) {
    // event_base_free(NULL) frees the current base, as libevent's does.
    let key = match base as usize {
        0 => current_base(),
        key => key,
    };
    if key == 0 {
        return error::report(
            "event_base_free",
            &CError::Warn("event_base_free_: no base to free".into()),
        );
    }
    if current::is_lent(key) {
        error::report(
            "event_base_free",
            &CError::Invalid("called inside one of the base's own callbacks".into()),
        );
        return;
    }
    let base = match handles::with(|h| h.base(key)) {
        Ok(b) => b,
        Err(e) => return error::report("event_base_free", &e),
    };
    let finalized = base.with_own(|b| {
        if finalize {
            b.run_finalizers();
        }
    });
    if finalized.is_none() {
        return error::report("event_base_free", &CError::Busy);
    }
    // Dropped outside the tables: the recorder writes its last records.
    let entry = handles::with(|h| Ok(h.remove_base(key)));
    drop(entry);
    drop(base);
    if current_base() == key {
        set_current_base(0);
    }
}

/// libevent's `event_base_free_nofinalize`: `event_base_free` without running the finalizers
/// `event_finalize` queued.
#[no_mangle]
pub extern "C" fn event_base_free_nofinalize(base: *mut event_base) {
    free_base(base, false)
}

fn exit_code(r: Result<Exit>) -> Result<c_int> {
    r.map(|e| match e {
        Exit::Finished => 0,
        Exit::NoEvents => 1,
    })
}

/// libevent's `event_base_dispatch`: 0 after exit / break, 1 when no events were left, -1 on
/// error.
#[no_mangle]
pub extern "C" fn event_base_dispatch(base: *mut event_base) -> c_int {
    crate::thread::loop_starts();
    let r = exit_code(on_base(base as usize, |b| b.dispatch()));
    // The cleanups of evbuffer bytes freed by the loop's last work.
    crate::buffer_ref::run_cleanups();
    error::int("event_base_dispatch", r)
}

/// libevent's `event_base_loop` with `EVLOOP_ONCE`, `EVLOOP_NONBLOCK`,
/// `EVLOOP_NO_EXIT_ON_EMPTY`.
#[no_mangle]
pub extern "C" fn event_base_loop(base: *mut event_base, flags: c_int) -> c_int {
    let mut f = LoopFlags::NONE;
    for (bit, flag) in [
        (0x01, LoopFlags::ONCE),
        (0x02, LoopFlags::NONBLOCK),
        (0x04, LoopFlags::NO_EXIT_ON_EMPTY),
    ] {
        if flags & bit != 0 {
            f = f | flag;
        }
    }
    crate::thread::loop_starts();
    let r = exit_code(on_base(base as usize, |b| b.loop_(f)));
    // The cleanups of evbuffer bytes freed by the loop's last work.
    crate::buffer_ref::run_cleanups();
    error::int("event_base_loop", r)
}

/// libevent's `event_base_loopexit`: stop after `tv` (NULL: after this iteration's callbacks).
#[no_mangle]
pub extern "C" fn event_base_loopexit(base: *mut event_base, tv: In<'_, libc::timeval>) -> c_int {
    let delay = tv.duration();
    error::int(
        "event_base_loopexit",
        with_base(base as usize, |b| b.loopexit(delay)).map(|()| 0),
    )
}

/// libevent's `event_base_loopbreak`: stop after the callback now running. Like libevent's, it
/// only sets a flag, so a signal handler or another thread may call it while the loop waits.
#[no_mangle]
pub extern "C" fn event_base_loopbreak(base: *mut event_base) -> c_int {
    error::int(
        "event_base_loopbreak",
        handles::loopbreak(base as usize).map(|()| 0),
    )
}

/// libevent's `event_reinit`: in the child after `fork()`, gives the base a backend and a
/// signal pipe of its own (the parent's are shared until then), with every added event still
/// added. The trace goes on in a file of the child's own (`EVSCOPE_TRACE=file:run.jsonl` →
/// `run.PID.jsonl`); a live link stays with the parent.
#[no_mangle]
pub extern "C" fn event_reinit(base: *mut event_base) -> c_int {
    let key = base as usize;
    let r = (|| {
        let reinit = |b: &mut EventBase| b.event_reinit();
        let done = match current::with_lent(key, reinit) {
            Ok(done) => done,
            Err(reinit) => {
                // A base another thread was running when the process forked stays locked in
                // the child: refused rather than waited for.
                let base = handles::with(|h| h.base(key))?;
                base.try_with(reinit).ok_or(CError::Busy)?
            }
        };
        Ok(done?)
    })();
    error::int("event_reinit", r.map(|()| 0))
}

/// libevent's `event_base_got_exit`.
#[no_mangle]
pub extern "C" fn event_base_got_exit(base: *mut event_base) -> c_int {
    error::int(
        "event_base_got_exit",
        with_base(base as usize, |b| c_int::from(b.got_exit())),
    )
}

/// libevent's `event_base_got_break`.
#[no_mangle]
pub extern "C" fn event_base_got_break(base: *mut event_base) -> c_int {
    error::int(
        "event_base_got_break",
        with_base(base as usize, |b| c_int::from(b.got_break())),
    )
}

fn method_name(name: &str) -> *const c_char {
    let s: &'static CStr = match name {
        "epoll" => c"epoll",
        "poll" => c"poll",
        _ => c"select",
    };
    s.as_ptr()
}

/// libevent's `event_base_get_method`: `"epoll"`, `"poll"` or `"select"`.
#[no_mangle]
pub extern "C" fn event_base_get_method(base: *const event_base) -> *const c_char {
    match with_base(base as usize, |b| b.get_method()) {
        Ok(m) => method_name(m),
        Err(e) => {
            error::report("event_base_get_method", &e);
            std::ptr::null()
        }
    }
}

/// libevent's `event_base_priority_init`: `n` priority queues (0 runs first).
#[no_mangle]
pub extern "C" fn event_base_priority_init(base: *mut event_base, n: c_int) -> c_int {
    let n = usize::try_from(n).unwrap_or(0);
    error::int(
        "event_base_priority_init",
        on_base(base as usize, |b| b.priority_init(n)).map(|()| 0),
    )
}

/// libevent's `event_base_get_npriorities`.
#[no_mangle]
pub extern "C" fn event_base_get_npriorities(base: *mut event_base) -> c_int {
    error::int(
        "event_base_get_npriorities",
        with_base(base as usize, |b| b.get_npriorities() as c_int),
    )
}

/// libevent's `event_base_dump_events`: the inserted and active events, to a stdio stream, in
/// libevent's words.
#[no_mangle]
pub extern "C" fn event_base_dump_events(base: *mut event_base, file: CFile<'_>) {
    let key = base as usize;
    let r = with_base(key, |b| crate::dump::dump(key, b))
        .and_then(|text| text)
        .and_then(|text| {
            if os::fputs(file, &text) {
                Ok(())
            } else {
                Err(CError::Invalid("cannot write to the FILE".into()))
            }
        });
    error::unit("event_base_dump_events", r)
}

fn timeval_now() -> libc::timeval {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    }
}

/// libevent's `event_base_gettimeofday_cached`: the time of day the loop of `base` (NULL: the
/// current base) cached for its iteration while it runs (see `event_base_update_cache_time`),
/// else the time of day now.
#[no_mangle]
pub extern "C" fn event_base_gettimeofday_cached(
    base: *mut event_base,
    tv: Out<'_, libc::timeval>,
) -> c_int {
    let key = match base as usize {
        0 => current_base(),
        key => key,
    };
    let cached = match key {
        0 => None,
        // A base another thread runs now: its cache is that thread's; the time now will do.
        key => with_base_now(key, |b| b.gettimeofday_cached())
            .ok()
            .flatten()
            .flatten(),
    };
    let now = match cached {
        Some(at) => cached_wall(key, at),
        None => timeval_now(),
    };
    if tv.write(now) {
        0
    } else {
        -1
    }
}

/// The time of day of the base `key`'s cached instant `at`, the same for each call while the
/// cache holds `at` (as libevent's `tv_cache` plus its `tv_clock_diff`).
fn cached_wall(key: usize, at: std::time::Instant) -> libc::timeval {
    /// Per base: the cached instant last converted, and its time of day (seconds, µs).
    type Seen = HashMap<usize, (std::time::Instant, (i64, i64))>;
    static SEEN: LazyLock<Mutex<Seen>> = LazyLock::new(Mutex::default);
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let (sec, usec) = match seen.get(&key) {
        Some((when, tv)) if *when == at => *tv,
        _ => {
            let d = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .saturating_sub(at.elapsed());
            let tv = (d.as_secs() as i64, i64::from(d.subsec_micros()));
            seen.insert(key, (at, tv));
            tv
        }
    };
    libc::timeval {
        tv_sec: sec as libc::time_t,
        tv_usec: usec as libc::suseconds_t,
    }
}

/// libevent's `evutil_gettimeofday` (the time zone argument is ignored, as by libevent).
#[no_mangle]
pub extern "C" fn evutil_gettimeofday(tv: Out<'_, libc::timeval>, _tz: *mut libc::c_void) -> c_int {
    if tv.write(timeval_now()) {
        0
    } else {
        -1
    }
}

/// libevent's `event_get_version`: the libevent version whose API this is, marked as evscope.
#[no_mangle]
pub extern "C" fn event_get_version() -> *const c_char {
    c"2.1.12-evscope".as_ptr()
}

/// libevent's `event_get_version_number`: 2.1.12, as in the headers.
#[no_mangle]
pub extern "C" fn event_get_version_number() -> u32 {
    0x0201_0c00
}

/// libevent's `libevent_global_shutdown`: nothing to free here.
#[no_mangle]
pub extern "C" fn libevent_global_shutdown() {}

// ----- event_config: choosing a backend --------------------------------------------------------

/// `EVENT_BASE_FLAG_IGNORE_ENV`: the `EVENT_*` environment variables are not read.
const EVENT_BASE_FLAG_IGNORE_ENV: c_int = 0x02;

/// What a `struct event_config` asks for.
#[derive(Default, Clone)]
pub(crate) struct Config {
    /// `event_config_avoid_method`.
    avoid: Vec<String>,
    /// `event_config_require_features`.
    require: c_int,
    /// `event_config_set_flag`.
    flags: c_int,
    /// `event_config_set_max_dispatch_interval`.
    pub(crate) dispatch: evscope_core::ev::DispatchLimits,
    /// `event_config_set_num_cpus_hint` (used by libevent on Windows only).
    pub(crate) cpus: c_int,
}

/// The `EV_FEATURE_*` a backend offers, as libevent's on Linux: epoll is edge-triggered, O(1)
/// and sees early closes (`EPOLLRDHUP`); poll works on any fd and sees early closes
/// (`POLLRDHUP`); select works on any fd.
fn features(kind: BackendKind) -> c_int {
    const ET: c_int = 0x01;
    const O1: c_int = 0x02;
    const FDS: c_int = 0x04;
    const EARLY_CLOSE: c_int = 0x08;
    match kind {
        BackendKind::Epoll => ET | O1 | EARLY_CLOSE,
        BackendKind::Poll => FDS | EARLY_CLOSE,
        BackendKind::Select => FDS,
    }
}

/// libevent's `event_is_method_disabled`: `EVENT_NOEPOLL`, `EVENT_NOPOLL`, `EVENT_NOSELECT`
/// (set to anything).
fn disabled_by_env(kind: BackendKind) -> bool {
    let var = format!("EVENT_NO{}", kind.name().to_ascii_uppercase());
    std::env::var_os(var).is_some()
}

/// libevent's `event_base_new_with_config`: the first backend (epoll, poll, select) the
/// configuration does not avoid, that has the required features and that the environment does
/// not disable — `EVSCOPE_BACKEND`'s choice when it is one of those — observed as
/// `EVSCOPE_TRACE` says.
fn new_base(cfg: &Config) -> Result<usize> {
    let check_env = cfg.flags & EVENT_BASE_FLAG_IGNORE_ENV == 0;
    let allowed: Vec<BackendKind> = BackendKind::ALL
        .into_iter()
        .filter(|k| !cfg.avoid.iter().any(|a| a == k.name()))
        .filter(|k| features(*k) & cfg.require == cfg.require)
        .filter(|k| !(check_env && disabled_by_env(*k)))
        .collect();
    let Some(first) = allowed.first().copied() else {
        return Err(CError::Warn(
            "event_base_new_with_config: no event mechanism available".into(),
        ));
    };
    let preferred = BackendKind::from_env()?;
    let kind = if allowed.contains(&preferred) {
        preferred
    } else {
        first
    };
    // libevent reads this one whatever the flags say.
    if std::env::var_os("EVENT_SHOW_METHOD").is_some() {
        eprintln!("[msg] libevent using: {}", kind.name());
    }
    let mut base = EventBase::observed_from_env(kind)?;
    base.set_dispatch_limits(cfg.dispatch);
    crate::thread::prepare_base(&mut base, cfg.flags)?;
    register(base)
}

/// Every live `struct event_config`, the process's (one thread may make it, another use it).
static CONFIGS: LazyLock<Mutex<HashMap<usize, (Config, Token)>>> = LazyLock::new(Mutex::default);

fn configs() -> MutexGuard<'static, HashMap<usize, (Config, Token)>> {
    CONFIGS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` on the configuration `cfg`.
pub(crate) fn with_config<R>(
    cfg: *const event_config,
    f: impl FnOnce(&mut Config) -> R,
) -> Result<R> {
    configs()
        .get_mut(&(cfg as usize))
        .map(|(cfg, _)| f(cfg))
        .ok_or(CError::Stale("event_config"))
}

/// libevent's `event_config_new`.
#[no_mangle]
pub extern "C" fn event_config_new() -> *mut event_config {
    let token = Token::new();
    let key = token.key();
    configs().insert(key, (Config::default(), token));
    key as *mut event_config
}

/// libevent's `event_config_free`.
#[no_mangle]
pub extern "C" fn event_config_free(cfg: *mut event_config) {
    configs().remove(&(cfg as usize));
}

/// libevent's `event_config_avoid_method`: e.g. `"epoll"` to get poll.
#[no_mangle]
pub extern "C" fn event_config_avoid_method(cfg: *mut event_config, method: CStrPtr<'_>) -> c_int {
    let r = method
        .get()
        .ok_or(CError::Invalid("the method name is NULL".into()))
        .and_then(|name| {
            let name = name.to_string_lossy().into_owned();
            with_config(cfg, |c| c.avoid.push(name))
        });
    error::int("event_config_avoid_method", r.map(|()| 0))
}

/// libevent's `event_config_require_features`: only backends with all of `features`
/// (`EV_FEATURE_ET`, `_O1`, `_FDS`, `_EARLY_CLOSE`) will do.
#[no_mangle]
pub extern "C" fn event_config_require_features(cfg: *mut event_config, features: c_int) -> c_int {
    let r = with_config(cfg, |c| c.require = features);
    error::int("event_config_require_features", r.map(|()| 0))
}

/// libevent's `event_config_set_flag`: `EVENT_BASE_FLAG_IGNORE_ENV` is honoured; the others
/// are accepted (one thread per base, a precise timer already).
#[no_mangle]
pub extern "C" fn event_config_set_flag(cfg: *mut event_config, flag: c_int) -> c_int {
    let r = with_config(cfg, |c| c.flags |= flag);
    error::int("event_config_set_flag", r.map(|()| 0))
}

/// libevent's `event_base_new_with_config` (NULL: no configuration).
#[no_mangle]
pub extern "C" fn event_base_new_with_config(cfg: *const event_config) -> *mut event_base {
    let cfg = if cfg.is_null() {
        Ok(Config::default())
    } else {
        with_config(cfg, |c| c.clone())
    };
    error::ptr("event_base_new_with_config", cfg.and_then(|c| new_base(&c)))
}

/// libevent's `event_base_get_features`: the `EV_FEATURE_*` of the base's backend.
#[no_mangle]
pub extern "C" fn event_base_get_features(base: *const event_base) -> c_int {
    let r = with_base(base as usize, |b| {
        BackendKind::ALL
            .into_iter()
            .find(|k| k.name() == b.get_method())
            .map_or(0, features)
    });
    error::int("event_base_get_features", r)
}

/// libevent's `event_get_supported_methods`: a NULL-terminated list of names.
#[no_mangle]
pub extern "C" fn event_get_supported_methods() -> *const *const c_char {
    static METHODS: mem::CStrList = mem::CStrList([
        c"epoll".as_ptr(),
        c"poll".as_ptr(),
        c"select".as_ptr(),
        std::ptr::null(),
    ]);
    METHODS.0.as_ptr()
}
