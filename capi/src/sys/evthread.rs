//! `thread.h`'s callback tables, in C memory the program may read and write through the
//! pointers `evthread_get_lock_callbacks` and `evthread_get_condition_callbacks` return, and
//! the pthread-based callbacks `evthread_use_pthreads` installs (libevent's
//! `evthread_pthread.c`), plus the wrappers `evthread_enable_lock_debugging` puts in front of
//! the program's locks.
//!
//! As in libevent, there are two of each table: the one in force (libevent's
//! `evthread_lock_fns_`, which says whether locking is on) and, once lock debugging is on, the
//! program's own (`original_lock_fns_`), which the getters return then.

use std::cell::UnsafeCell;
use std::os::raw::{c_int, c_uint, c_ulong, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::cptr::In;

/// `EVTHREAD_LOCK_API_VERSION`, `EVTHREAD_CONDITION_API_VERSION`.
pub(crate) const API_VERSION: c_int = 1;
/// `EVTHREAD_LOCKTYPE_RECURSIVE`.
pub(crate) const LOCKTYPE_RECURSIVE: c_uint = 1;
/// `EVTHREAD_TRY`: a lock call that does not wait.
const TRY: c_uint = 0x10;

/// `void *(*alloc)(unsigned locktype)`.
pub type LockAlloc = unsafe extern "C" fn(c_uint) -> *mut c_void;
/// `void (*free)(void *lock, unsigned locktype)`.
pub type LockFree = unsafe extern "C" fn(*mut c_void, c_uint);
/// `int (*lock)(unsigned mode, void *lock)`, also `unlock`.
pub type LockOp = unsafe extern "C" fn(c_uint, *mut c_void) -> c_int;
/// `void *(*alloc_condition)(unsigned condtype)`.
pub type CondAlloc = unsafe extern "C" fn(c_uint) -> *mut c_void;
/// `void (*free_condition)(void *cond)`.
pub type CondFree = unsafe extern "C" fn(*mut c_void);
/// `int (*signal_condition)(void *cond, int broadcast)`.
pub type CondSignal = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
/// `int (*wait_condition)(void *cond, void *lock, const struct timeval *timeout)`.
pub type CondWait = unsafe extern "C" fn(*mut c_void, *mut c_void, *const libc::timeval) -> c_int;
/// `unsigned long (*id_fn)(void)`.
pub type IdFn = unsafe extern "C" fn() -> c_ulong;

/// `struct evthread_lock_callbacks` (event2/thread.h).
#[repr(C)]
#[derive(Clone, Copy, Default)]
#[allow(non_camel_case_types)]
pub struct evthread_lock_callbacks {
    pub lock_api_version: c_int,
    pub supported_locktypes: c_uint,
    pub alloc: Option<LockAlloc>,
    pub free: Option<LockFree>,
    pub lock: Option<LockOp>,
    pub unlock: Option<LockOp>,
}

/// `struct evthread_condition_callbacks` (event2/thread.h).
#[repr(C)]
#[derive(Clone, Copy, Default)]
#[allow(non_camel_case_types)]
pub struct evthread_condition_callbacks {
    pub condition_api_version: c_int,
    pub alloc_condition: Option<CondAlloc>,
    pub free_condition: Option<CondFree>,
    pub signal_condition: Option<CondSignal>,
    pub wait_condition: Option<CondWait>,
}

impl evthread_lock_callbacks {
    /// The same version, lock types and functions (libevent compares the functions' addresses).
    pub(crate) fn same_as(&self, other: &evthread_lock_callbacks) -> bool {
        self.lock_api_version == other.lock_api_version
            && self.supported_locktypes == other.supported_locktypes
            && self.alloc.map(|f| f as usize) == other.alloc.map(|f| f as usize)
            && self.free.map(|f| f as usize) == other.free.map(|f| f as usize)
            && self.lock.map(|f| f as usize) == other.lock.map(|f| f as usize)
            && self.unlock.map(|f| f as usize) == other.unlock.map(|f| f as usize)
    }
}

impl evthread_condition_callbacks {
    /// The same version and functions (by address, as libevent compares them).
    pub(crate) fn same_as(&self, other: &evthread_condition_callbacks) -> bool {
        self.condition_api_version == other.condition_api_version
            && self.alloc_condition.map(|f| f as usize) == other.alloc_condition.map(|f| f as usize)
            && self.free_condition.map(|f| f as usize) == other.free_condition.map(|f| f as usize)
            && self.signal_condition.map(|f| f as usize)
                == other.signal_condition.map(|f| f as usize)
            && self.wait_condition.map(|f| f as usize) == other.wait_condition.map(|f| f as usize)
    }
}

/// A C struct at a fixed address that the program may also write.
struct CTable<T>(UnsafeCell<T>);

// SAFETY: the library reads and writes the cell only while holding `TABLES`; what the program
// does through the pointer it was given is its own affair, as with libevent's globals.
unsafe impl<T> Sync for CTable<T> {}

static LOCK_FNS: CTable<evthread_lock_callbacks> = CTable(UnsafeCell::new(NO_LOCKS));
static ORIGINAL_LOCK_FNS: CTable<evthread_lock_callbacks> = CTable(UnsafeCell::new(NO_LOCKS));
static COND_FNS: CTable<evthread_condition_callbacks> = CTable(UnsafeCell::new(NO_CONDS));
static ORIGINAL_COND_FNS: CTable<evthread_condition_callbacks> = CTable(UnsafeCell::new(NO_CONDS));

const NO_LOCKS: evthread_lock_callbacks = evthread_lock_callbacks {
    lock_api_version: 0,
    supported_locktypes: 0,
    alloc: None,
    free: None,
    lock: None,
    unlock: None,
};
const NO_CONDS: evthread_condition_callbacks = evthread_condition_callbacks {
    condition_api_version: 0,
    alloc_condition: None,
    free_condition: None,
    signal_condition: None,
    wait_condition: None,
};

/// Serializes the library's own use of the tables.
static TABLES: Mutex<()> = Mutex::new(());
/// `evthread_lock_debugging_enabled_`.
static DEBUGGING: AtomicBool = AtomicBool::new(false);
/// `evthread_id_fn_`, as an address (0: none).
static ID_FN: AtomicUsize = AtomicUsize::new(0);

/// The four tables, for the library's reads and writes while the guard is held.
pub(crate) struct Tables<'a> {
    _guard: MutexGuard<'a, ()>,
}

/// Which of the two tables of a kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// The one in force (libevent's `evthread_lock_fns_` / `evthread_cond_fns_`).
    InForce,
    /// The program's own, set aside while lock debugging is on (`original_*_fns_`).
    Original,
}

pub(crate) fn tables() -> Tables<'static> {
    Tables {
        _guard: TABLES.lock().unwrap_or_else(PoisonError::into_inner),
    }
}

impl Tables<'_> {
    fn lock_cell(which: Which) -> *mut evthread_lock_callbacks {
        match which {
            Which::InForce => LOCK_FNS.0.get(),
            Which::Original => ORIGINAL_LOCK_FNS.0.get(),
        }
    }

    fn cond_cell(which: Which) -> *mut evthread_condition_callbacks {
        match which {
            Which::InForce => COND_FNS.0.get(),
            Which::Original => ORIGINAL_COND_FNS.0.get(),
        }
    }

    pub(crate) fn locks(&self, which: Which) -> evthread_lock_callbacks {
        // SAFETY: a static's cell, read while `TABLES` is held (see `CTable`).
        unsafe { Self::lock_cell(which).read() }
    }

    pub(crate) fn set_locks(&mut self, which: Which, fns: evthread_lock_callbacks) {
        // SAFETY: as in `locks`.
        unsafe { Self::lock_cell(which).write(fns) }
    }

    pub(crate) fn conds(&self, which: Which) -> evthread_condition_callbacks {
        // SAFETY: as in `locks`.
        unsafe { Self::cond_cell(which).read() }
    }

    pub(crate) fn set_conds(&mut self, which: Which, fns: evthread_condition_callbacks) {
        // SAFETY: as in `locks`.
        unsafe { Self::cond_cell(which).write(fns) }
    }
}

/// The address of a table, for the getters to return.
pub(crate) fn lock_table_ptr(which: Which) -> *mut evthread_lock_callbacks {
    Tables::lock_cell(which)
}

/// The address of a table, for the getters to return.
pub(crate) fn cond_table_ptr(which: Which) -> *mut evthread_condition_callbacks {
    Tables::cond_cell(which)
}

/// The table the program's calls address: its own while lock debugging is on.
pub(crate) fn program_table() -> Which {
    if DEBUGGING.load(Ordering::Acquire) {
        Which::Original
    } else {
        Which::InForce
    }
}

pub(crate) fn set_debugging() {
    DEBUGGING.store(true, Ordering::Release);
}

/// `evthread_set_id_callback`'s function (None: unset).
pub(crate) fn set_id_fn(f: Option<IdFn>) {
    ID_FN.store(f.map_or(0, |f| f as usize), Ordering::Release);
}

/// Calls the program's id function, if it set one (libevent's `EVTHREAD_GET_ID()`; 1 without).
pub(crate) fn thread_id() -> c_ulong {
    let addr = ID_FN.load(Ordering::Acquire);
    if addr == 0 {
        return 1;
    }
    // SAFETY: a non-zero value was stored from an `IdFn` by `set_id_fn`, so it is that
    // function's address; the program's `unsigned long (*)(void)` takes no arguments.
    let f: IdFn = unsafe { std::mem::transmute::<usize, IdFn>(addr) };
    // SAFETY: the program's id function, called as declared.
    unsafe { f() }
}

// ----- pthreads (evthread_use_pthreads) ------------------------------------------------------

/// The lock callbacks `evthread_use_pthreads` installs.
pub(crate) const PTHREAD_LOCKS: evthread_lock_callbacks = evthread_lock_callbacks {
    lock_api_version: API_VERSION,
    supported_locktypes: LOCKTYPE_RECURSIVE,
    alloc: Some(posix_lock_alloc),
    free: Some(posix_lock_free),
    lock: Some(posix_lock),
    unlock: Some(posix_unlock),
};

/// The condition callbacks `evthread_use_pthreads` installs.
pub(crate) const PTHREAD_CONDS: evthread_condition_callbacks = evthread_condition_callbacks {
    condition_api_version: API_VERSION,
    alloc_condition: Some(posix_cond_alloc),
    free_condition: Some(posix_cond_free),
    signal_condition: Some(posix_cond_signal),
    wait_condition: Some(posix_cond_wait),
};

/// The id callback `evthread_use_pthreads` installs: `pthread_self()`.
pub(crate) const PTHREAD_ID: IdFn = posix_id;

/// A new `pthread_mutex_t`, recursive when `locktype` says so; NULL when it cannot be made.
unsafe extern "C" fn posix_lock_alloc(locktype: c_uint) -> *mut c_void {
    let lock = Box::into_raw(Box::new(libc::PTHREAD_MUTEX_INITIALIZER));
    // SAFETY: an attribute object is plain data, initialized by pthread_mutexattr_init before
    // use; `lock` is a fresh, stable heap address that nothing else uses yet.
    let ok = unsafe {
        let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        let mut ok = libc::pthread_mutexattr_init(&mut attr) == 0;
        if ok && locktype & LOCKTYPE_RECURSIVE != 0 {
            ok = libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_RECURSIVE) == 0;
        }
        ok = ok && libc::pthread_mutex_init(lock, &attr) == 0;
        libc::pthread_mutexattr_destroy(&mut attr);
        ok
    };
    if !ok {
        // SAFETY: made by Box::into_raw above, not handed out.
        drop(unsafe { Box::from_raw(lock) });
        return std::ptr::null_mut();
    }
    lock.cast()
}

/// Frees a lock `posix_lock_alloc` made (NULL: nothing).
unsafe extern "C" fn posix_lock_free(lock: *mut c_void, _locktype: c_uint) {
    if lock.is_null() {
        return;
    }
    let lock = lock.cast::<libc::pthread_mutex_t>();
    // SAFETY: the callback contract: `lock` came from `posix_lock_alloc` (a boxed mutex) and is
    // neither held nor used again.
    unsafe {
        libc::pthread_mutex_destroy(lock);
        drop(Box::from_raw(lock));
    }
}

/// Locks (or, with `EVTHREAD_TRY`, tries to lock) a lock `posix_lock_alloc` made: 0, or the
/// pthread error (EBUSY when a try finds it held).
unsafe extern "C" fn posix_lock(mode: c_uint, lock: *mut c_void) -> c_int {
    if lock.is_null() {
        return libc::EINVAL;
    }
    let lock = lock.cast::<libc::pthread_mutex_t>();
    // SAFETY: the callback contract: `lock` is a live mutex from `posix_lock_alloc`.
    unsafe {
        if mode & TRY != 0 {
            libc::pthread_mutex_trylock(lock)
        } else {
            libc::pthread_mutex_lock(lock)
        }
    }
}

/// Unlocks a lock `posix_lock_alloc` made: 0, or the pthread error.
unsafe extern "C" fn posix_unlock(_mode: c_uint, lock: *mut c_void) -> c_int {
    if lock.is_null() {
        return libc::EINVAL;
    }
    // SAFETY: the callback contract: `lock` is a live mutex from `posix_lock_alloc`.
    unsafe { libc::pthread_mutex_unlock(lock.cast()) }
}

/// The calling thread's `pthread_self()`.
unsafe extern "C" fn posix_id() -> c_ulong {
    // SAFETY: pthread_self takes nothing and cannot fail.
    unsafe { libc::pthread_self() as c_ulong }
}

/// A new `pthread_cond_t`; NULL when it cannot be made.
unsafe extern "C" fn posix_cond_alloc(_condtype: c_uint) -> *mut c_void {
    let cond = Box::into_raw(Box::new(libc::PTHREAD_COND_INITIALIZER));
    // SAFETY: `cond` is a fresh, stable heap address; default attributes.
    if unsafe { libc::pthread_cond_init(cond, std::ptr::null()) } != 0 {
        // SAFETY: made by Box::into_raw above, not handed out.
        drop(unsafe { Box::from_raw(cond) });
        return std::ptr::null_mut();
    }
    cond.cast()
}

/// Frees a condition `posix_cond_alloc` made (NULL: nothing).
unsafe extern "C" fn posix_cond_free(cond: *mut c_void) {
    if cond.is_null() {
        return;
    }
    let cond = cond.cast::<libc::pthread_cond_t>();
    // SAFETY: the callback contract: from `posix_cond_alloc`, with no waiters, not used again.
    unsafe {
        libc::pthread_cond_destroy(cond);
        drop(Box::from_raw(cond));
    }
}

/// Wakes one waiter, or all with `broadcast`: 0, or -1.
unsafe extern "C" fn posix_cond_signal(cond: *mut c_void, broadcast: c_int) -> c_int {
    if cond.is_null() {
        return -1;
    }
    let cond = cond.cast::<libc::pthread_cond_t>();
    // SAFETY: the callback contract: a live condition from `posix_cond_alloc`.
    let r = unsafe {
        if broadcast != 0 {
            libc::pthread_cond_broadcast(cond)
        } else {
            libc::pthread_cond_signal(cond)
        }
    };
    if r == 0 {
        0
    } else {
        -1
    }
}

/// Waits on `cond`, releasing `lock` (held by the caller) meanwhile, for at most `tv` when it
/// is not NULL: 0 when woken, 1 when the time ran out, -1 on error.
unsafe extern "C" fn posix_cond_wait(
    cond: *mut c_void,
    lock: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    if cond.is_null() || lock.is_null() {
        return -1;
    }
    let (cond, lock) = (
        cond.cast::<libc::pthread_cond_t>(),
        lock.cast::<libc::pthread_mutex_t>(),
    );
    let tv = (!tv.is_null()).then(|| {
        // SAFETY: non-null, and the callback's contract (thread.h's `wait_condition`): a
        // `struct timeval` readable for the call.
        unsafe { tv.read_unaligned() }
    });
    match tv.as_ref().and_then(|tv| In::from(tv).duration()) {
        Some(wait) => {
            // The deadline is on the realtime clock, pthread_cond_timedwait's default.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            let at = now + wait;
            let ts = libc::timespec {
                tv_sec: at.as_secs() as libc::time_t,
                tv_nsec: at.subsec_nanos() as libc::c_long,
            };
            // SAFETY: the callback contract: live objects from this file's allocators, with
            // `lock` held by the caller; `ts` lives for the call.
            match unsafe { libc::pthread_cond_timedwait(cond, lock, &ts) } {
                0 => 0,
                libc::ETIMEDOUT => 1,
                _ => -1,
            }
        }
        // SAFETY: as above.
        None => match unsafe { libc::pthread_cond_wait(cond, lock) } {
            0 => 0,
            _ => -1,
        },
    }
}

// ----- lock debugging (evthread_enable_lock_debugging) ---------------------------------------

/// A debug lock: the program's own lock inside (or none, when the program set no locks).
struct DebugLock {
    locktype: c_uint,
    inner: *mut c_void,
}

/// The lock callbacks lock debugging puts in force, wrapping the program's.
pub(crate) const DEBUG_LOCKS: evthread_lock_callbacks = evthread_lock_callbacks {
    lock_api_version: API_VERSION,
    supported_locktypes: LOCKTYPE_RECURSIVE,
    alloc: Some(debug_lock_alloc),
    free: Some(debug_lock_free),
    lock: Some(debug_lock),
    unlock: Some(debug_unlock),
};

/// The condition wait lock debugging puts in force.
pub(crate) const DEBUG_COND_WAIT: CondWait = debug_cond_wait;

fn original_locks() -> evthread_lock_callbacks {
    tables().locks(Which::Original)
}

unsafe extern "C" fn debug_lock_alloc(locktype: c_uint) -> *mut c_void {
    let inner = match original_locks().alloc {
        Some(alloc) => {
            // SAFETY: the program's own `alloc`, called as declared.
            let inner = unsafe { alloc(locktype | LOCKTYPE_RECURSIVE) };
            if inner.is_null() {
                return std::ptr::null_mut();
            }
            inner
        }
        None => std::ptr::null_mut(),
    };
    Box::into_raw(Box::new(DebugLock { locktype, inner })).cast()
}

unsafe extern "C" fn debug_lock_free(lock: *mut c_void, _locktype: c_uint) {
    if lock.is_null() {
        return;
    }
    // SAFETY: the callback contract: made by `debug_lock_alloc`, not used again.
    let lock = unsafe { Box::from_raw(lock.cast::<DebugLock>()) };
    if let (Some(free), false) = (original_locks().free, lock.inner.is_null()) {
        // SAFETY: the program's `free`, for the lock its `alloc` made.
        unsafe { free(lock.inner, lock.locktype | LOCKTYPE_RECURSIVE) };
    }
}

unsafe extern "C" fn debug_lock(mode: c_uint, lock: *mut c_void) -> c_int {
    if lock.is_null() {
        return libc::EINVAL;
    }
    // SAFETY: the callback contract: a live lock from `debug_lock_alloc`; only read.
    let lock = unsafe { &mut *lock.cast::<DebugLock>() };
    match (original_locks().lock, lock.inner.is_null()) {
        // SAFETY: the program's `lock`, on the lock its `alloc` made.
        (Some(f), false) => unsafe { f(mode, lock.inner) },
        _ => 0,
    }
}

unsafe extern "C" fn debug_unlock(mode: c_uint, lock: *mut c_void) -> c_int {
    if lock.is_null() {
        return libc::EINVAL;
    }
    // SAFETY: as in `debug_lock`.
    let lock = unsafe { &*lock.cast::<DebugLock>() };
    match (original_locks().unlock, lock.inner.is_null()) {
        // SAFETY: the program's `unlock`, on the lock its `alloc` made.
        (Some(f), false) => unsafe { f(mode, lock.inner) },
        _ => 0,
    }
}

unsafe extern "C" fn debug_cond_wait(
    cond: *mut c_void,
    lock: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    if lock.is_null() {
        return -1;
    }
    let Some(wait) = tables().conds(Which::Original).wait_condition else {
        return -1;
    };
    // SAFETY: the callback contract: a live lock from `debug_lock_alloc`, held by the caller.
    let lock = unsafe { &*lock.cast::<DebugLock>() };
    // SAFETY: the program's `wait_condition`, on its own lock inside the debug lock.
    unsafe { wait(cond, lock.inner, tv) }
}
