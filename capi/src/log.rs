//! `event.h`'s logging and debugging calls and libevent's `log.c`: the log and fatal
//! callbacks, `event_err` … `event_msgx` (their variadic entry points are in `sys/printf.c`;
//! they format the message and come here), debug logging, debug mode, and
//! `event_set_mem_functions`.
//!
//! Without a log callback a message goes to stderr as `[warn] text`; the library's own
//! warnings in libevent's words (`[warn] event_base_free_: no base to free`) take the same
//! path, so a program's log callback receives them too.

use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::RwLock;

use crate::sys::call::{self, FatalCb, LogCb};
use crate::sys::cmem::{self, FreeFn, MallocFn, ReallocFn};
use crate::sys::cptr::CStrPtr;

/// `EVENT_LOG_DEBUG`.
pub(crate) const LOG_DEBUG: c_int = 0;
/// `EVENT_LOG_MSG`.
pub(crate) const LOG_MSG: c_int = 1;
/// `EVENT_LOG_WARN`.
pub(crate) const LOG_WARN: c_int = 2;
/// `EVENT_LOG_ERR`.
pub(crate) const LOG_ERR: c_int = 3;
/// libevent's `EVENT_ERR_ABORT_`: the exit code that means "abort()" when there is no fatal
/// callback.
const ERR_ABORT: c_int = 0xdead_dead_u32 as c_int;

static LOG_FN: RwLock<Option<LogCb>> = RwLock::new(None);
static FATAL_FN: RwLock<Option<FatalCb>> = RwLock::new(None);
/// `event_debug_logging_mask_`.
static DEBUG_MASK: AtomicU32 = AtomicU32::new(0);
/// `event_debug_mode_on_`.
static DEBUG_MODE_ON: AtomicBool = AtomicBool::new(false);
/// `event_debug_mode_too_late`: a base has been made.
static DEBUG_MODE_TOO_LATE: AtomicBool = AtomicBool::new(false);

fn get<T: Copy>(lock: &RwLock<Option<T>>) -> Option<T> {
    *lock.read().unwrap_or_else(|e| e.into_inner())
}

fn put<T>(lock: &RwLock<Option<T>>, value: Option<T>) {
    *lock.write().unwrap_or_else(|e| e.into_inner()) = value;
}

/// libevent's `event_log`: the log callback, or `[severity] msg` on stderr.
fn emit(severity: c_int, msg: &CStr) {
    if let Some(f) = get(&LOG_FN) {
        call::log_cb(f, severity, msg);
        return;
    }
    let name = match severity {
        LOG_DEBUG => "debug",
        LOG_MSG => "msg",
        LOG_WARN => "warn",
        LOG_ERR => "err",
        _ => "???",
    };
    eprintln!("[{name}] {}", msg.to_string_lossy());
}

/// `text` as a C string, cut at its first NUL and to libevent's 1023 bytes.
fn c_text(text: &str) -> CString {
    let bytes = text.as_bytes();
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(bytes.len())
        .min(1023);
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Logs one of the library's own warnings in libevent's words (`event_warnx`).
pub(crate) fn warn(text: &str) {
    emit(LOG_WARN, &c_text(text));
}

/// Whether debug messages are wanted (`event_enable_debug_logging` with a non-zero mask).
pub(crate) fn debug_enabled() -> bool {
    DEBUG_MASK.load(Ordering::Relaxed) != 0
}

/// Logs a debug message (made only when debug logging is on).
pub(crate) fn debug(text: impl FnOnce() -> String) {
    if debug_enabled() {
        emit(LOG_DEBUG, &c_text(&text()));
    }
}

/// libevent's `event_exit`: the fatal callback, then `exit(code)`; without a callback,
/// `abort()` for `EVENT_ERR_ABORT_`.
fn exit(code: c_int) -> ! {
    if let Some(f) = get(&FATAL_FN) {
        call::fatal_cb(f, code);
        std::process::exit(code);
    }
    if code == ERR_ABORT {
        std::process::abort();
    }
    std::process::exit(code)
}

/// libevent's `event_errx`: logs `text` at `EVENT_LOG_ERR`, then the fatal path.
pub(crate) fn errx(code: c_int, text: &str) -> ! {
    emit(LOG_ERR, &c_text(text));
    exit(code)
}

/// Called by `sys/printf.c` with a formatted message.
#[no_mangle]
pub extern "C" fn evscope_log_message(severity: c_int, msg: CStrPtr<'_>) {
    if let Some(msg) = msg.get() {
        emit(severity, msg);
    }
}

/// Called by `sys/printf.c` after `event_err`'s message: the fatal path.
#[no_mangle]
pub extern "C" fn evscope_log_exit(code: c_int) -> ! {
    exit(code)
}

/// libevent's `event_set_log_callback`: where messages go (NULL: stderr).
#[no_mangle]
pub extern "C" fn event_set_log_callback(cb: Option<LogCb>) {
    put(&LOG_FN, cb);
}

/// libevent's `event_set_fatal_callback`: called before the process exits on a fatal error.
#[no_mangle]
pub extern "C" fn event_set_fatal_callback(cb: Option<FatalCb>) {
    put(&FATAL_FN, cb);
}

/// libevent's `event_enable_debug_logging`: `EVENT_DBG_ALL` turns debug messages on,
/// `EVENT_DBG_NONE` off. evscope's debug messages are its own (one per event, bufferevent or
/// listener callback it runs), not libevent's internal trace.
#[no_mangle]
pub extern "C" fn event_enable_debug_logging(which: u32) {
    DEBUG_MASK.store(which, Ordering::Relaxed);
}

/// Notes that a base exists: `event_enable_debug_mode` is too late from now on.
pub(crate) fn note_base_made() {
    DEBUG_MODE_TOO_LATE.store(true, Ordering::Relaxed);
}

/// libevent's `event_enable_debug_mode`: fatal when called twice or after a base was made.
/// evscope checks every pointer against its handle tables whether or not it is on.
#[no_mangle]
pub extern "C" fn event_enable_debug_mode() {
    if DEBUG_MODE_ON.load(Ordering::Relaxed) {
        errx(1, "event_enable_debug_mode was called twice!");
    }
    if DEBUG_MODE_TOO_LATE.load(Ordering::Relaxed) {
        errx(
            1,
            "event_enable_debug_mode must be called *before* creating any events or event_bases",
        );
    }
    DEBUG_MODE_ON.store(true, Ordering::Relaxed);
}

/// libevent's `event_disable_debug_mode`: turns debug mode off (it may then be enabled again).
#[no_mangle]
pub extern "C" fn event_disable_debug_mode() {
    DEBUG_MODE_ON.store(false, Ordering::Relaxed);
}

/// libevent's `event_debug_map_HT_CLEAR`: an internal function of libevent's debug-mode hash
/// table that its library happens to export. evscope keeps no such table (its handle tables
/// do the checking), so this touches nothing, whatever `head` is.
#[no_mangle]
pub extern "C" fn event_debug_map_HT_CLEAR(_head: *mut c_void) {}

/// libevent's `event_debug_map_HT_GROW`: internal, as [`event_debug_map_HT_CLEAR`]. Touches
/// nothing; 0 ("the table is big enough") for a non-NULL `head`, -1 for NULL.
#[no_mangle]
pub extern "C" fn event_debug_map_HT_GROW(head: *mut c_void, _size: c_uint) -> c_int {
    if head.is_null() {
        -1
    } else {
        0
    }
}

/// libevent's `event_set_mem_functions`: the program's replacements for `malloc`, `realloc`
/// and `free`, used for every block the library hands to C from then on (see `sys::cmem`).
#[no_mangle]
pub extern "C" fn event_set_mem_functions(
    malloc_fn: Option<MallocFn>,
    realloc_fn: Option<ReallocFn>,
    free_fn: Option<FreeFn>,
) {
    cmem::set(malloc_fn, realloc_fn, free_fn);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_as_libevent_cuts_them() {
        assert_eq!(c_text("plain").as_bytes(), b"plain");
        assert_eq!(c_text("before\0after").as_bytes(), b"before");
        let long = "y".repeat(2000);
        assert_eq!(c_text(&long).as_bytes().len(), 1023);
    }
}
