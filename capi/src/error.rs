//! What a refused call tells the program: libevent's return value (-1 or NULL), and one line on
//! stderr naming the call and the reason, so a student sees what went wrong.

use std::fmt;
use std::os::raw::c_int;

use evscope_core::ev;

/// Why a call was refused.
#[derive(Debug)]
pub(crate) enum CError {
    /// A NULL where a handle or buffer was needed; names the C type.
    Null(&'static str),
    /// A pointer that names no live object of this kind: freed, or never made here.
    Stale(&'static str),
    /// The engine refused (stale id, bad flags, a system call failed…).
    Ev(ev::Error),
    /// The base, or the library's tables, are held by this same thread further up its stack
    /// (not lent to the call), or another thread held them too long for a signal handler.
    Busy,
    /// Arguments that make no sense.
    Invalid(String),
    /// An event `event_set` made before any base existed, not yet given one by
    /// `event_base_set`; reported with libevent's own warning, naming the libevent function
    /// that gives it.
    NoBase(&'static str),
    /// A refusal libevent itself reports: its warning, word for word.
    Warn(String),
}

/// The API's `Result`.
pub(crate) type Result<T> = std::result::Result<T, CError>;

impl fmt::Display for CError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CError::Null(ty) => write!(f, "the struct {ty} pointer is NULL"),
            CError::Stale(ty) => write!(
                f,
                "the pointer is not a live struct {ty} (freed already, or not made by this library)"
            ),
            CError::Ev(e) => write!(f, "{e}"),
            CError::Busy => f.write_str(
                "the event_base is in use where this call cannot reach it (a call made from \
                 inside the library, a signal handler, or a base that another thread was \
                 running when the process forked)",
            ),
            CError::Invalid(why) => f.write_str(why),
            CError::NoBase(_) => f.write_str("event has no event_base set."),
            CError::Warn(text) => f.write_str(text),
        }
    }
}

impl From<ev::Error> for CError {
    fn from(e: ev::Error) -> CError {
        CError::Ev(e)
    }
}

impl From<std::io::Error> for CError {
    fn from(e: std::io::Error) -> CError {
        CError::Ev(ev::Error::Io(e))
    }
}

/// Tells the program on stderr that `call` was refused. libevent's own warnings keep its
/// words (`[warn] event_add: event has no event_base set.`) and go through its log, so a
/// program's `event_set_log_callback` receives them.
pub(crate) fn report(call: &str, e: &CError) {
    match e {
        CError::NoBase(name) => crate::log::warn(&format!("{name}: {e}")),
        CError::Warn(text) => crate::log::warn(text),
        _ => eprintln!("evscope: {call}: {e}"),
    }
}

/// libevent's int convention: the value, or -1 after a report.
pub(crate) fn int(call: &str, r: Result<c_int>) -> c_int {
    r.unwrap_or_else(|e| {
        report(call, &e);
        -1
    })
}

/// libevent's pointer convention: the handle, or NULL after a report.
pub(crate) fn ptr<T>(call: &str, r: Result<usize>) -> *mut T {
    match r {
        Ok(key) => key as *mut T,
        Err(e) => {
            report(call, &e);
            std::ptr::null_mut()
        }
    }
}

/// For calls that return nothing: report a refusal.
pub(crate) fn unit(call: &str, r: Result<()>) {
    if let Err(e) = r {
        report(call, &e);
    }
}
