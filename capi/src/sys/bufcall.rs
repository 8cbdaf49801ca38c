//! Calling the C program's evbuffer callbacks (`buffer.h`, `buffer_compat.h`) and the file
//! calls behind `evbuffer_file_segment_new`.

use std::io;
use std::os::raw::{c_int, c_void};

use crate::types::evbuffer;

/// `struct evbuffer_cb_info`.
#[repr(C)]
pub(crate) struct evbuffer_cb_info {
    pub orig_size: usize,
    pub n_added: usize,
    pub n_deleted: usize,
}

/// `evbuffer_cb_func`: `void (*)(struct evbuffer *, const struct evbuffer_cb_info *, void *)`.
pub(crate) type BufCb = unsafe extern "C" fn(*mut evbuffer, *const evbuffer_cb_info, *mut c_void);
/// `evbuffer_cb` (`buffer_compat.h`): `void (*)(struct evbuffer *, size_t, size_t, void *)`.
pub(crate) type BufOldCb = unsafe extern "C" fn(*mut evbuffer, usize, usize, *mut c_void);
/// `evbuffer_ref_cleanup_cb`: `void (*)(const void *, size_t, void *)`.
pub(crate) type RefCleanupCb = unsafe extern "C" fn(*const c_void, usize, *mut c_void);
/// `evbuffer_file_segment_cleanup_cb`:
/// `void (*)(struct evbuffer_file_segment const *, int, void *)`.
pub(crate) type SegCleanupCb = unsafe extern "C" fn(*const c_void, c_int, *mut c_void);

/// Calls a buffer callback with what changed.
pub(crate) fn buf_cb(f: BufCb, buf: usize, info: &evbuffer_cb_info, arg: usize) {
    // SAFETY: the program's `evbuffer_cb_func`, called as libevent calls it: its buffer handle,
    // a pointer to an info struct alive for the call, and its own argument.
    unsafe { f(buf as *mut evbuffer, info, arg as *mut c_void) }
}

/// Calls an old-style buffer callback with the length before and after.
pub(crate) fn buf_old_cb(f: BufOldCb, buf: usize, old: usize, new: usize, arg: usize) {
    // SAFETY: the program's `evbuffer_cb`, with its declared arguments.
    unsafe { f(buf as *mut evbuffer, old, new, arg as *mut c_void) }
}

/// Calls a reference's cleanup function with the pointer and length the program gave.
pub(crate) fn ref_cleanup(f: RefCleanupCb, data: usize, len: usize, extra: usize) {
    // SAFETY: the program's `evbuffer_ref_cleanup_cb`, handed back the program's own pointers
    // untouched (the library never read through `data` after copying it at the add).
    unsafe { f(data as *const c_void, len, extra as *mut c_void) }
}

/// Calls a file segment's cleanup function.
pub(crate) fn seg_cleanup(f: SegCleanupCb, seg: usize, flags: c_int, arg: usize) {
    // SAFETY: the program's `evbuffer_file_segment_cleanup_cb`, with the segment's handle (not
    // read through by the program after this: it is gone) and its own argument.
    unsafe { f(seg as *const c_void, flags, arg as *mut c_void) }
}

/// The size of the file `fd` (fstat(2)).
pub(crate) fn file_size(fd: c_int) -> io::Result<u64> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is writable memory of a `struct stat`, which fstat fills on success.
    let r = unsafe { libc::fstat(fd, st.as_mut_ptr()) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat returned 0, so it initialised `st`.
    let st = unsafe { st.assume_init() };
    Ok(st.st_size as u64)
}

/// Reads `len` bytes of `fd` from `offset` (pread(2), so the file position stays, as libevent
/// restores it). If the file ends first: an error, or with `pad` zeros for the rest (what a
/// mapping of the file shows past its end).
pub(crate) fn read_at(fd: c_int, offset: u64, len: usize, pad: bool) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let at = libc::off_t::try_from(offset + got as u64)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: the destination is the unfilled tail of `out`, `len - got` writable bytes.
        let n = unsafe { libc::pread(fd, out[got..].as_mut_ptr().cast(), len - got, at) };
        match n {
            n if n < 0 => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            0 if pad => break,
            0 => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            n => got += n as usize,
        }
    }
    Ok(out)
}
