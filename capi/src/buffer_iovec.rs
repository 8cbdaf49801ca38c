//! `buffer.h`'s calls that hand out or take the chain's own memory as `struct evbuffer_iovec`s:
//! `evbuffer_peek` (the extents holding the data), `evbuffer_reserve_space` /
//! `evbuffer_commit_space` (free space written in place), and `evbuffer_add_iovec`. The
//! pointers are into the engine's chunks, valid until the buffer next changes, as libevent's.

use std::os::raw::{c_int, c_void};

use evscope_core::ev::Evbuffer;

use crate::buffer::{frozen, with_buffer};
use crate::error::{self, CError, Result};
use crate::sys::cptr::{In, InSlice, OutSlice};
use crate::types::{evbuffer, evbuffer_ptr};

/// `struct evbuffer_iovec`: a piece of an evbuffer's memory.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evbuffer_iovec {
    /// Where the piece starts.
    pub iov_base: *mut c_void,
    /// How long it is.
    pub iov_len: usize,
}

impl evbuffer_iovec {
    fn of(piece: &[u8]) -> evbuffer_iovec {
        evbuffer_iovec {
            iov_base: piece.as_ptr().cast_mut().cast(),
            iov_len: piece.len(),
        }
    }
}

fn vecs<'a>(vec: OutSlice<'a, evbuffer_iovec>, n: usize) -> Result<&'a mut [evbuffer_iovec]> {
    vec.get_mut(n)
        .ok_or(CError::Invalid("the evbuffer_iovec array is NULL".into()))
}

/// Where `start_at` points: the chunk and the offset in it, found as `evbuffer_ptr_set` finds
/// them; None when it points at the end or nowhere (libevent's NULL `internal_.chain`).
fn locate(b: &Evbuffer, pos: isize) -> Option<(usize, usize)> {
    let mut left = usize::try_from(pos).ok()?;
    for (i, data) in b.peek().enumerate() {
        if left < data.len() {
            return Some((i, left));
        }
        left -= data.len();
    }
    None
}

/// The body of libevent's `evbuffer_peek`.
fn peek(
    b: &Evbuffer,
    mut len: isize,
    start: Option<isize>,
    out: &mut [evbuffer_iovec],
    n_vec: c_int,
) -> c_int {
    let n_vec = isize::try_from(n_vec).unwrap_or(isize::MAX);
    let mut extents = b.peek();
    let (mut idx, mut so_far): (isize, isize) = (0, 0);
    if let Some(pos) = start {
        let Some((chunk, offset)) = locate(b, pos) else {
            return 0;
        };
        let first = &extents.nth(chunk).unwrap_or_default()[offset..];
        so_far = first.len() as isize;
        idx = 1;
        if let Some(v) = out.first_mut() {
            *v = evbuffer_iovec::of(first);
        }
    }
    if n_vec == 0 && len < 0 {
        // No vectors, "everything": how many extents everything takes.
        len = (b.len() as isize) - start.unwrap_or(0);
    }
    for data in extents {
        if len >= 0 && so_far >= len {
            break;
        }
        if idx < n_vec {
            if let Some(v) = out.get_mut(idx as usize) {
                *v = evbuffer_iovec::of(data);
            }
        } else if len < 0 {
            break;
        }
        idx += 1;
        so_far += data.len() as isize;
    }
    c_int::try_from(idx).unwrap_or(c_int::MAX)
}

/// libevent's `evbuffer_peek`: fills up to `n_vec` extents with the first `len` bytes (-1:
/// all) from `start_at` (NULL: the start), without copying; returns how many extents they
/// take, which may be more than `n_vec`.
#[no_mangle]
pub extern "C" fn evbuffer_peek(
    buf: *mut evbuffer,
    len: isize,
    start_at: In<'_, evbuffer_ptr>,
    vec: OutSlice<'_, evbuffer_iovec>,
    n_vec: c_int,
) -> c_int {
    let r = (|| {
        let start = start_at.read().map(|p| p.pos);
        let out = vecs(vec, usize::try_from(n_vec).unwrap_or(0))?;
        with_buffer(buf, |b| peek(b, len, start, out, n_vec))
    })();
    error::int("evbuffer_peek", r)
}

/// libevent's `evbuffer_reserve_space`: free space for `size` bytes, in one extent when
/// `n_vecs` is 1, else in at most `n_vecs`; returns how many extents were filled in, -1 on
/// failure (also for a bufferevent's input, which libevent keeps frozen).
#[no_mangle]
pub extern "C" fn evbuffer_reserve_space(
    buf: *mut evbuffer,
    size: isize,
    vec: OutSlice<'_, evbuffer_iovec>,
    n_vecs: c_int,
) -> c_int {
    let (Ok(size), Ok(n)) = (usize::try_from(size), usize::try_from(n_vecs)) else {
        return -1;
    };
    if n == 0 || frozen(buf).is_ok_and(|(_, end)| end) {
        return -1;
    }
    let r = vecs(vec, n).and_then(|out| {
        with_buffer(buf, |b| {
            let spaces = b.reserve_space(size, n)?;
            for (v, space) in out.iter_mut().zip(&spaces) {
                *v = evbuffer_iovec::of(space);
            }
            Some(spaces.len() as c_int)
        })
    });
    match r {
        Ok(n) => n.unwrap_or(-1),
        Err(e) => error::int("evbuffer_reserve_space", Err(e)),
    }
}

/// libevent's `evbuffer_commit_space`: adds what was written into reserved space, each
/// `iov_len` saying how much; -1 (nothing added) when the extents are not the buffer's free
/// space.
#[no_mangle]
pub extern "C" fn evbuffer_commit_space(
    buf: *mut evbuffer,
    vec: InSlice<'_, evbuffer_iovec>,
    n_vecs: c_int,
) -> c_int {
    let r = (|| {
        if frozen(buf)?.1 {
            return Ok(-1);
        }
        let n = usize::try_from(n_vecs).unwrap_or(0);
        let given = vec
            .get(n)
            .ok_or(CError::Invalid("the evbuffer_iovec array is NULL".into()))?;
        let extents: Vec<(*const u8, usize)> = given
            .iter()
            .map(|v| (v.iov_base.cast_const().cast(), v.iov_len))
            .collect();
        with_buffer(buf, |b| if b.commit_space(&extents) { 0 } else { -1 })
    })();
    error::int("evbuffer_commit_space", r)
}

/// libevent's `evbuffer_add_iovec`: appends copies of the `n_vec` pieces, having made room for
/// all of them first; returns how many bytes were added.
#[no_mangle]
pub extern "C" fn evbuffer_add_iovec(
    buf: *mut evbuffer,
    vec: InSlice<'_, evbuffer_iovec>,
    n_vec: c_int,
) -> usize {
    let r = (|| {
        let n = usize::try_from(n_vec).unwrap_or(0);
        let pieces = vec
            .extents(n)
            .ok_or(CError::Invalid("the evbuffer_iovec array is NULL".into()))?
            .ok_or(CError::Invalid(
                "an evbuffer_iovec's iov_base is NULL".into(),
            ))?;
        if frozen(buf)?.1 {
            // libevent makes the room, then its first evbuffer_add is refused.
            let total = pieces.iter().map(|p| p.len()).sum();
            return with_buffer(buf, |b| b.reserve_space(total, 2).map_or(0, |_| 0));
        }
        with_buffer(buf, |b| b.add_iovec(&pieces))
    })();
    r.unwrap_or_else(|e| {
        error::report("evbuffer_add_iovec", &e);
        0
    })
}
