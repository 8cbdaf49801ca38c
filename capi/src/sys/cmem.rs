//! `event_set_mem_functions`: the program's replacements for `malloc`, `realloc` and `free`,
//! and the library's C-side allocations that use them, as libevent's `mm_malloc` / `mm_free`
//! do. Every block a C program can see or free goes through here: the `struct event` and
//! `struct bufferevent` the library allocates, the small blocks behind every other handle
//! (bases, evbuffers, listeners, configs, timers), and the strings it hands over
//! (`evbuffer_readln`). What the engine allocates for itself is Rust's (its queues, buffers'
//! bytes): the program never sees those addresses, and they do not go through the replacements.
//!
//! As in libevent, a block is freed with the `free` in force when it is freed, so the program
//! must set its functions before it makes any object (libevent's documented contract).

use std::os::raw::c_void;
use std::ptr::NonNull;
use std::sync::RwLock;

/// `void *(*)(size_t)`.
pub(crate) type MallocFn = unsafe extern "C" fn(usize) -> *mut c_void;
/// `void *(*)(void *, size_t)`.
pub(crate) type ReallocFn = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
/// `void (*)(void *)`.
pub(crate) type FreeFn = unsafe extern "C" fn(*mut c_void);

#[derive(Clone, Copy)]
struct MemFns {
    malloc: Option<MallocFn>,
    /// Kept as libevent keeps it; no block the library hands out is ever grown, so nothing
    /// here calls it.
    #[allow(dead_code)]
    realloc: Option<ReallocFn>,
    free: Option<FreeFn>,
}

static FNS: RwLock<MemFns> = RwLock::new(MemFns {
    malloc: None,
    realloc: None,
    free: None,
});

fn fns() -> MemFns {
    *FNS.read().unwrap_or_else(|e| e.into_inner())
}

/// Stores the program's replacements (each NULL one means C's own function).
pub(crate) fn set(malloc: Option<MallocFn>, realloc: Option<ReallocFn>, free: Option<FreeFn>) {
    *FNS.write().unwrap_or_else(|e| e.into_inner()) = MemFns {
        malloc,
        realloc,
        free,
    };
}

/// libevent's `mm_malloc`: the replacement if there is one, else C's `malloc`. NULL for size 0
/// (as libevent) or when out of memory.
pub(crate) fn malloc(size: usize) -> *mut c_void {
    if size == 0 {
        return std::ptr::null_mut();
    }
    match fns().malloc {
        // SAFETY: the program's `malloc` replacement, called with its declared argument.
        Some(f) => unsafe { f(size) },
        // SAFETY: C's malloc with a positive size.
        None => unsafe { libc::malloc(size) },
    }
}

/// libevent's `mm_calloc` for one block of `size` bytes: zeroed.
pub(crate) fn calloc(size: usize) -> *mut c_void {
    if size == 0 {
        return std::ptr::null_mut();
    }
    match fns().malloc {
        Some(f) => {
            // SAFETY: the program's `malloc` replacement, called with its declared argument.
            let p = unsafe { f(size) };
            if !p.is_null() {
                // SAFETY: `p` is a fresh block of `size` bytes.
                unsafe { std::ptr::write_bytes(p.cast::<u8>(), 0, size) };
            }
            p
        }
        // SAFETY: C's calloc with a positive size.
        None => unsafe { libc::calloc(1, size) },
    }
}

/// libevent's `mm_free`: the replacement if there is one, else C's `free`.
///
/// # Safety
/// `p` must be NULL or a block from [`malloc`] / [`calloc`] not freed yet.
pub(crate) unsafe fn free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    match fns().free {
        // SAFETY: the caller's promise: a live block of the program's allocator.
        Some(f) => unsafe { f(p) },
        // SAFETY: as above, of C's.
        None => unsafe { libc::free(p) },
    }
}

/// A zeroed block the library owns (`size` bytes, at least 1), freed when dropped: a unique
/// address for a handle, allocated as libevent allocates its objects.
pub(crate) struct CBlock(NonNull<c_void>);

impl CBlock {
    /// A new zeroed block; aborts like Rust's allocator when out of memory.
    pub(crate) fn zeroed(size: usize) -> CBlock {
        let size = size.max(1);
        match NonNull::new(calloc(size)) {
            Some(p) => CBlock(p),
            None => std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(size, 1).expect("a small layout"),
            ),
        }
    }

    /// The block's address.
    pub(crate) fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

// SAFETY: the library never reads or writes through the block (only its address is used),
// and C's `free` (or the program's replacement, per libevent's contract) accepts a block from
// any thread.
unsafe impl Send for CBlock {}
// SAFETY: as above: shared references only give out the address.
unsafe impl Sync for CBlock {}

impl Drop for CBlock {
    fn drop(&mut self) {
        // SAFETY: made by `calloc` in `zeroed` and freed once, here.
        unsafe { free(self.0.as_ptr()) }
    }
}
