//! `buffer.h`'s calls that add bytes the buffer does not own: `evbuffer_add_reference`,
//! `evbuffer_add_buffer_reference`, the file segments (`evbuffer_file_segment_new`,
//! `evbuffer_add_file_segment`, `evbuffer_add_file`), and the old `evbuffer_find`
//! (`buffer_compat.h`).
//!
//! The bytes are copied when added, each into an immutable chunk of its own as libevent makes
//! one chain for them; what the program sees of libevent's sharing is when its cleanups run,
//! and that is kept: a reference's cleanup runs when its chunk is freed (its last byte
//! drained, pulled up into another, or its buffer freed); a file segment's when its last
//! holder goes (the program's `evbuffer_file_segment_free` and every chunk of it), closing its
//! fd first with `EVBUF_FS_CLOSE_ON_FREE`. A cleanup found due inside the engine waits in a
//! queue run as soon as the call that freed the bytes lets go of the buffer.

use std::collections::HashMap;
use std::os::raw::{c_int, c_uchar, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use evscope_core::ev::Release;

use crate::buffer::{frozen, with_buffer, with_buffer_raw};
use crate::buffer_cb::after;
use crate::error::{self, CError, Result};
use crate::handles::{self, BufData, Token};
use crate::sys::bufcall::{self, RefCleanupCb, SegCleanupCb};
use crate::sys::cptr::{In, InSlice};
use crate::sys::os;
use crate::types::evbuffer;

/// `struct evbuffer_file_segment`: the handle `evbuffer_file_segment_new` returns.
#[repr(C)]
pub struct evbuffer_file_segment {
    _opaque: [u8; 0],
}

/// `EVBUF_FS_CLOSE_ON_FREE`.
const FS_CLOSE_ON_FREE: u32 = 0x01;
/// `EVBUF_FS_DISABLE_MMAP`: libevent reads the file instead of mapping it.
const FS_DISABLE_MMAP: u32 = 0x02;
/// `EVBUF_FS_DISABLE_SENDFILE`: without sendfile, libevent reads (maps) the file at once.
const FS_DISABLE_SENDFILE: u32 = 0x04;

/// A cleanup due: a reference's or a file segment's.
enum Cleanup {
    Ref(RefCleanupCb, usize, usize, usize),
    Seg(SegCleanupCb, usize, c_int, usize),
}

static CLEANUPS: Mutex<Vec<Cleanup>> = Mutex::new(Vec::new());
static DUE: AtomicUsize = AtomicUsize::new(0);

fn queue(c: Cleanup) {
    CLEANUPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(c);
    DUE.fetch_add(1, Ordering::AcqRel);
}

/// Runs the cleanups due, oldest first (one atomic load when none is).
#[inline]
pub(crate) fn run_cleanups() {
    // Called after every evbuffer call and callback: nothing but a load while none is due.
    if DUE.load(Ordering::Acquire) > 0 {
        run_due_cleanups();
    }
}

#[cold]
fn run_due_cleanups() {
    while DUE.load(Ordering::Acquire) > 0 {
        let due = std::mem::take(&mut *CLEANUPS.lock().unwrap_or_else(PoisonError::into_inner));
        DUE.fetch_sub(due.len(), Ordering::AcqRel);
        if due.is_empty() {
            return;
        }
        for c in due {
            match c {
                Cleanup::Ref(f, data, len, extra) => bufcall::ref_cleanup(f, data, len, extra),
                Cleanup::Seg(f, seg, flags, arg) => bufcall::seg_cleanup(f, seg, flags, arg),
            }
        }
    }
}

/// libevent's `evbuffer_add_reference`: appends `datlen` bytes at `data`; `cleanupfn` (if
/// any) runs with `data`, `datlen` and `extra` once they have all left the buffer.
#[no_mangle]
pub extern "C" fn evbuffer_add_reference(
    buf: *mut evbuffer,
    data: InSlice<'_, u8>,
    datlen: usize,
    cleanupfn: Option<RefCleanupCb>,
    extra: *mut c_void,
) -> c_int {
    let r = (|| {
        if frozen(buf)?.1 {
            // libevent frees its chain without running the cleanup.
            return Ok(-1);
        }
        let bytes = data
            .get(datlen)
            .ok_or(CError::Invalid("the data pointer is NULL".into()))?;
        let (data, extra) = (data.as_ptr() as usize, extra as usize);
        let release =
            cleanupfn.map(|f| Release::new(move || queue(Cleanup::Ref(f, data, datlen, extra))));
        with_buffer(buf, |b| b.add_reference(bytes, release)).map(|()| 0)
    })();
    error::int("evbuffer_add_reference", r)
}

/// libevent's `evbuffer_add_buffer_reference`: appends `inbuf`'s bytes to `outbuf`, leaving
/// them in `inbuf` too (whose chunks then take no more bytes). -1 for the same buffer, a
/// frozen end, or an `inbuf` holding file segments or references to a third buffer.
#[no_mangle]
pub extern "C" fn evbuffer_add_buffer_reference(
    outbuf: *mut evbuffer,
    inbuf: *mut evbuffer,
) -> c_int {
    let r = (|| {
        if with_buffer(inbuf, |b| b.is_empty())? {
            return Ok(0);
        }
        if outbuf == inbuf || frozen(outbuf)?.1 {
            return Ok(-1);
        }
        crate::buffer::locate_base(outbuf as usize)?;
        // The source is lifted out of its slot for the call if it is the program's own;
        // a bufferevent's is reached through its base.
        let lifted = handles::with(|h| {
            Ok(match &mut h.buf_mut(inbuf as usize)?.data {
                BufData::Owned(b) => Some(std::mem::take(b)),
                BufData::OfBev { .. } => None,
            })
        })?;
        let ok = match lifted {
            Some(mut src) => {
                let ok = with_buffer_raw(outbuf, |o| o.add_buffer_reference(&mut src));
                handles::with(|h| {
                    if let BufData::Owned(b) = &mut h.buf_mut(inbuf as usize)?.data {
                        std::mem::swap(b, &mut src);
                    }
                    Ok(())
                })?;
                ok?
            }
            None => {
                let mut copy = evscope_core::ev::Evbuffer::new();
                let mut src_ok = true;
                with_buffer_raw(inbuf, |src| {
                    src_ok = copy.add_buffer_reference(src);
                })?;
                if src_ok {
                    with_buffer_raw(outbuf, |o| o.add_buffer(&mut copy))?;
                }
                src_ok
            }
        };
        after(outbuf);
        Ok(if ok { 0 } else { -1 })
    })();
    error::int("evbuffer_add_buffer_reference", r)
}

/// A file segment: its file range, its bytes once read, and its cleanup.
struct Segment {
    fd: c_int,
    offset: u64,
    length: u64,
    flags: u32,
    contents: Option<Arc<Vec<u8>>>,
    /// The program's reference (dropped by `evbuffer_file_segment_free`); each chunk of it
    /// holds another.
    held: Arc<Release>,
    cleanup: Arc<Mutex<Option<(SegCleanupCb, usize)>>>,
    _token: Token,
}

static SEGMENTS: LazyLock<Mutex<HashMap<usize, Segment>>> = LazyLock::new(Mutex::default);

fn segments<R>(f: impl FnOnce(&mut HashMap<usize, Segment>) -> R) -> R {
    f(&mut SEGMENTS.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Reads a segment's bytes, if not read yet (libevent's `evbuffer_file_segment_materialize`).
fn materialize(seg: &mut Segment) -> Result<Arc<Vec<u8>>> {
    if let Some(c) = &seg.contents {
        return Ok(c.clone());
    }
    let len = usize::try_from(seg.length).map_err(|_| CError::Invalid("too long".into()))?;
    // libevent maps the file (zeros past its end), unless told not to.
    let pad = seg.flags & FS_DISABLE_MMAP == 0;
    let bytes = bufcall::read_at(seg.fd, seg.offset, len, pad)
        .map_err(|e| CError::Invalid(format!("reading the file segment: {e}")))?;
    let c = Arc::new(bytes);
    seg.contents = Some(c.clone());
    Ok(c)
}

/// libevent's `evbuffer_file_segment_new`: `length` bytes (-1: to the end) of `fd` from
/// `offset`. With `EVBUF_FS_CLOSE_ON_FREE` the fd is closed when the segment goes.
#[no_mangle]
pub extern "C" fn evbuffer_file_segment_new(
    fd: c_int,
    offset: i64,
    length: i64,
    flags: u32,
) -> *mut evbuffer_file_segment {
    let r = (|| {
        let length = if length == -1 {
            bufcall::file_size(fd).map_err(|e| CError::Invalid(format!("fstat: {e}")))? as i64
        } else {
            length
        };
        if offset < 0 || length < 0 || offset.checked_add(length).is_none() {
            return Err(CError::Invalid("bad offset or length".into()));
        }
        let token = Token::new();
        let key = token.key();
        let cleanup: Arc<Mutex<Option<(SegCleanupCb, usize)>>> = Arc::default();
        let cell = cleanup.clone();
        let held = Release::new(move || {
            if flags & FS_CLOSE_ON_FREE != 0 && fd >= 0 {
                let _ = os::close(fd);
            }
            let cb = cell.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some((f, arg)) = cb {
                queue(Cleanup::Seg(f, key, flags as c_int, arg));
            }
        });
        let mut seg = Segment {
            fd,
            offset: offset as u64,
            length: length as u64,
            flags,
            contents: None,
            held,
            cleanup,
            _token: token,
        };
        if flags & FS_DISABLE_SENDFILE != 0 {
            materialize(&mut seg)?;
        }
        segments(|s| s.insert(key, seg));
        Ok(key)
    })();
    error::ptr("evbuffer_file_segment_new", r)
}

/// libevent's `evbuffer_file_segment_free`: drops the program's reference; the segment goes
/// (fd closed, cleanup run) once no buffer holds its bytes either.
#[no_mangle]
pub extern "C" fn evbuffer_file_segment_free(seg: *mut evbuffer_file_segment) {
    let gone = segments(|s| s.remove(&(seg as usize)));
    match gone {
        Some(seg) => {
            drop(seg);
            run_cleanups();
        }
        None => error::unit(
            "evbuffer_file_segment_free",
            Err(CError::Stale("evbuffer_file_segment")),
        ),
    }
}

/// libevent's `evbuffer_file_segment_add_cleanup_cb`: `cb` runs when the segment goes.
#[no_mangle]
pub extern "C" fn evbuffer_file_segment_add_cleanup_cb(
    seg: *mut evbuffer_file_segment,
    cb: Option<SegCleanupCb>,
    arg: *mut c_void,
) {
    let found = segments(|s| {
        s.get(&(seg as usize)).map(|seg| {
            *seg.cleanup.lock().unwrap_or_else(PoisonError::into_inner) =
                cb.map(|f| (f, arg as usize));
        })
    });
    if found.is_none() {
        error::unit(
            "evbuffer_file_segment_add_cleanup_cb",
            Err(CError::Stale("evbuffer_file_segment")),
        );
    }
}

/// A segment's bytes, its release, and its length.
type Piece = (Arc<Vec<u8>>, Arc<Release>, u64);

/// libevent's `evbuffer_add_file_segment`: appends `length` bytes (-1: the rest) of the
/// segment from `offset`. On failure, as libevent, the program's reference to the segment is
/// dropped.
#[no_mangle]
pub extern "C" fn evbuffer_add_file_segment(
    buf: *mut evbuffer,
    seg: *mut evbuffer_file_segment,
    offset: i64,
    length: i64,
) -> c_int {
    let key = seg as usize;
    let r = (|| {
        let piece = segments(|s| -> Result<Option<Piece>> {
            let seg = s
                .get_mut(&key)
                .ok_or(CError::Stale("evbuffer_file_segment"))?;
            let Ok(contents) = materialize(seg) else {
                return Ok(None);
            };
            Ok(Some((contents, seg.held.clone(), seg.length)))
        })?;
        let Some((contents, held, seg_len)) = piece else {
            return Ok(-1);
        };
        let frozen_end = frozen(buf)?.1;
        let (offset, length) = (offset as u64, length);
        let length = if length < 0 {
            if offset > seg_len {
                return Ok(-2);
            }
            seg_len - offset
        } else {
            length as u64
        };
        if frozen_end || offset.saturating_add(length) > seg_len {
            return Ok(-2);
        }
        let bytes = &contents[offset as usize..(offset + length) as usize];
        with_buffer(buf, |b| b.add_segment(bytes, held))?;
        Ok(0)
    })();
    match r {
        Ok(-2) => {
            // libevent's error path lowers the segment's reference count.
            evbuffer_file_segment_free(seg);
            -1
        }
        other => error::int("evbuffer_add_file_segment", other),
    }
}

/// libevent's `evbuffer_add_file`: appends `length` bytes (-1: to the end) of `fd` from
/// `offset`, taking the fd: it is closed once those bytes have all left the buffer (or at
/// once if the add fails).
#[no_mangle]
pub extern "C" fn evbuffer_add_file(
    buf: *mut evbuffer,
    fd: c_int,
    offset: i64,
    length: i64,
) -> c_int {
    let seg = evbuffer_file_segment_new(fd, offset, length, FS_CLOSE_ON_FREE);
    if seg.is_null() {
        return -1;
    }
    let r = evbuffer_add_file_segment(buf, seg, 0, length);
    if r == 0 {
        evbuffer_file_segment_free(seg);
    }
    r
}

/// libevent's `evbuffer_find` (`buffer_compat.h`): where the first `what` is, made contiguous
/// with everything before it (`evbuffer_pullup`); NULL when not found.
#[no_mangle]
pub extern "C" fn evbuffer_find(
    buf: *mut evbuffer,
    what: InSlice<'_, u8>,
    len: usize,
) -> *mut c_uchar {
    let p = crate::buffer::evbuffer_search(buf, what, len, In::null());
    let Ok(pos) = usize::try_from(p.pos) else {
        return std::ptr::null_mut();
    };
    let start = crate::buffer::evbuffer_pullup(buf, (pos + len) as isize);
    if start.is_null() {
        return start;
    }
    start.wrapping_add(pos)
}
