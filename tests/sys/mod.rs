//! The test binaries' unsafe code: a global allocator that counts the allocations each thread
//! makes, so a test can check that a path allocates nothing while other tests run beside it.

// The workspace denies `unsafe_code`; a `sys` module is where unsafe code lives.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting the allocations (and reallocations) each thread makes.
/// Install it with `#[global_allocator]`.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// How many allocations the calling thread has made so far.
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// A duplicate of `fd` numbered `min` or above (`fcntl(F_DUPFD_CLOEXEC)`), without filling the
/// numbers below it: a test that needs a high descriptor must not take the low ones other tests
/// running beside it would get.
pub fn dup_at_least(
    fd: std::os::fd::BorrowedFd<'_>,
    min: i32,
) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: fcntl with F_DUPFD_CLOEXEC reads no memory; `fd` is open for the borrow.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    if new < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `new` is a descriptor fcntl just made, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}
