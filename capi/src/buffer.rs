//! `buffer.h`: `struct evbuffer`, made by `evbuffer_new` or handed out by
//! `bufferevent_get_input` / `bufferevent_get_output`. A bufferevent's buffer lives in the
//! engine; each call borrows it there, so the bufferevent reacts when the call ends (new output
//! is written, drained input lets reading resume) as libevent's buffer callbacks make it do.

use std::os::raw::{c_char, c_int, c_void};

use evscope_core::ev::{BevId, EolStyle, Evbuffer};

use crate::base::on_base;
use crate::buffer_cb::after;
use crate::bufferevent;
use crate::error::{self, CError, Result};
use crate::handles::{self, BufData, BufEntry, Token};
use crate::sys::cptr::{In, InOut, InSlice, Out, OutSlice};
use crate::sys::mem;
use crate::types::{evbuffer, evbuffer_ptr};

/// Where a buffer's bytes are.
enum Place {
    Owned,
    Bev {
        bev: usize,
        base: usize,
        id: BevId,
        output: bool,
    },
}

/// The base of a bufferevent's buffer (None: the program's own buffer).
pub(crate) fn locate_base(key: usize) -> Result<Option<usize>> {
    Ok(match locate(key)? {
        Place::Owned => None,
        Place::Bev { base, .. } => Some(base),
    })
}

fn locate(key: usize) -> Result<Place> {
    let of_bev = handles::with(|h| {
        Ok(match h.buf_mut(key)?.data {
            BufData::Owned(_) => None,
            BufData::OfBev { bev, output, .. } => Some((bev, output)),
        })
    })?;
    match of_bev {
        None => Ok(Place::Owned),
        Some((bev, output)) => {
            let (base, id) = bufferevent::live(bev, None)?;
            Ok(Place::Bev {
                bev,
                base,
                id,
                output,
            })
        }
    }
}

/// Which ends of `buf` refuse the program's changes, (start, end): libevent freezes a
/// bufferevent's input at its end and its output at its start (`evbuffer_freeze`), so a call
/// that would add to the one or take from the other returns -1, until
/// `bufferevent_socket_connect` thaws them.
pub(crate) fn frozen(buf: *const evbuffer) -> Result<(bool, bool)> {
    handles::with(|h| {
        let entry = h.buf_mut(buf as usize)?;
        let (start, end) = match entry.data {
            BufData::OfBev {
                output,
                frozen: true,
                ..
            } => (output, !output),
            _ => (false, false),
        };
        Ok((start || entry.ext.freeze_start, end || entry.ext.freeze_end))
    })
}

/// libevent's `bufferevent_setfd` (which `bufferevent_socket_connect` calls) thaws the
/// bufferevent's buffers for good.
pub(crate) fn thaw(input: usize, output: usize) -> Result<()> {
    handles::with(|h| {
        for key in [input, output] {
            let entry = h.buf_mut(key)?;
            if let BufData::OfBev { frozen, .. } = &mut entry.data {
                *frozen = false;
            }
            if key == input {
                entry.ext.freeze_end = false;
            } else {
                entry.ext.freeze_start = false;
            }
        }
        Ok(())
    })
}

/// Runs `f` on the buffer `buf`, wherever its bytes are; then what the change owes the program
/// (its buffer callbacks, the cleanups of bytes freed) runs, the buffer let go.
pub(crate) fn with_buffer<R>(
    buf: *const evbuffer,
    f: impl FnOnce(&mut Evbuffer) -> R,
) -> Result<R> {
    let r = with_buffer_raw(buf, f);
    after(buf);
    r
}

/// [`with_buffer`] without running the callbacks.
pub(crate) fn with_buffer_raw<R>(
    buf: *const evbuffer,
    f: impl FnOnce(&mut Evbuffer) -> R,
) -> Result<R> {
    let key = buf as usize;
    match locate(key)? {
        Place::Owned => handles::with(|h| match &mut h.buf_mut(key)?.data {
            BufData::Owned(b) => Ok(f(b)),
            BufData::OfBev { .. } => Err(CError::Stale("evbuffer")),
        }),
        Place::Bev {
            bev,
            base,
            id,
            output,
        } => on_base(base, |b| {
            let r = {
                let mut guard = if output {
                    b.bufferevent_get_output(id)?
                } else {
                    b.bufferevent_get_input(id)?
                };
                f(&mut guard)
            };
            // The bufferevent reacted as the guard went (writing, resuming reading).
            bufferevent::sync(bev, b);
            Ok(r)
        }),
    }
}

/// Takes every byte out of `buf` (chunks move, bytes are not copied).
pub(crate) fn take_all(buf: *const evbuffer) -> Result<Evbuffer> {
    with_buffer(buf, |b| {
        let mut all = Evbuffer::new();
        all.add_buffer(b);
        all
    })
}

/// Appends `bytes` to `buf`.
pub(crate) fn put_all(buf: *const evbuffer, bytes: &mut Evbuffer) -> Result<()> {
    with_buffer(buf, |b| b.add_buffer(bytes))
}

fn eol_style(style: c_int) -> Result<EolStyle> {
    Ok(match style {
        0 => EolStyle::Any,
        1 => EolStyle::Crlf,
        2 => EolStyle::CrlfStrict,
        3 => EolStyle::Lf,
        4 => EolStyle::Nul,
        other => {
            return Err(CError::Invalid(format!(
                "unknown evbuffer_eol_style {other}"
            )))
        }
    })
}

fn data<'a>(p: InSlice<'a, u8>, len: usize) -> Result<&'a [u8]> {
    p.get(len)
        .ok_or(CError::Invalid("the data pointer is NULL".into()))
}

fn data_mut<'a>(p: OutSlice<'a, u8>, len: usize) -> Result<&'a mut [u8]> {
    p.get_mut(len)
        .ok_or(CError::Invalid("the data pointer is NULL".into()))
}

/// The offset a `struct evbuffer_ptr *` holds (None, for NULL: the start).
fn start_of(p: Option<evbuffer_ptr>) -> Result<usize> {
    let Some(pos) = p else {
        return Ok(0);
    };
    usize::try_from(pos.pos).map_err(|_| CError::Invalid("the evbuffer_ptr is not set".into()))
}

/// libevent's `evbuffer_new`.
#[no_mangle]
pub extern "C" fn evbuffer_new() -> *mut evbuffer {
    let r = handles::with(|h| {
        let token = Token::new();
        let key = token.key();
        h.bufs.insert(
            key,
            BufEntry {
                data: BufData::Owned(Evbuffer::new()),
                ext: Default::default(),
                _token: token,
            },
        );
        Ok(key)
    });
    error::ptr("evbuffer_new", r)
}

/// libevent's `evbuffer_free` (for buffers from `evbuffer_new`; a bufferevent frees its own).
#[no_mangle]
pub extern "C" fn evbuffer_free(buf: *mut evbuffer) {
    let r = handles::with(|h| {
        let key = buf as usize;
        match h.buf_mut(key)?.data {
            BufData::Owned(_) => {
                let mut entry = h.bufs.remove(&key).ok_or(CError::Stale("evbuffer"))?;
                Ok(crate::buffer_cb::forget(&mut entry.ext))
            }
            BufData::OfBev { .. } => Err(CError::Invalid(
                "this evbuffer belongs to a bufferevent, which frees it".into(),
            )),
        }
    });
    // The cleanups of the bytes it still held run now, as libevent frees its chains.
    crate::buffer_ref::run_cleanups();
    error::unit("evbuffer_free", r.map(crate::buffer_cb::cancel))
}

/// libevent's `evbuffer_get_length`.
#[no_mangle]
pub extern "C" fn evbuffer_get_length(buf: *const evbuffer) -> usize {
    with_buffer(buf, |b| b.len()).unwrap_or_else(|e| {
        error::report("evbuffer_get_length", &e);
        0
    })
}

/// libevent's `evbuffer_get_contiguous_space`: the bytes in the first chunk.
#[no_mangle]
pub extern "C" fn evbuffer_get_contiguous_space(buf: *const evbuffer) -> usize {
    with_buffer(buf, |b| b.contiguous_space()).unwrap_or_else(|e| {
        error::report("evbuffer_get_contiguous_space", &e);
        0
    })
}

/// libevent's `evbuffer_add`: append a copy of `len` bytes.
#[no_mangle]
pub extern "C" fn evbuffer_add(buf: *mut evbuffer, p: InSlice<'_, u8>, len: usize) -> c_int {
    let r = (|| {
        if frozen(buf)?.1 {
            return Ok(-1);
        }
        let d = data(p, len)?;
        with_buffer(buf, |b| b.add(d)).map(|()| 0)
    })();
    error::int("evbuffer_add", r)
}

/// libevent's `evbuffer_prepend`.
#[no_mangle]
pub extern "C" fn evbuffer_prepend(buf: *mut evbuffer, p: InSlice<'_, u8>, len: usize) -> c_int {
    let r = (|| {
        if len > 0 && frozen(buf)?.0 {
            return Ok(-1);
        }
        let d = data(p, len)?;
        with_buffer(buf, |b| b.prepend(d)).map(|()| 0)
    })();
    error::int("evbuffer_prepend", r)
}

/// Moves everything from `src` to `dst` (both checked first, so nothing is lost); its chain
/// moves whole, as libevent moves it. The same buffer on both sides: nothing to do.
fn move_all(dst: *mut evbuffer, src: *mut evbuffer, front: bool) -> Result<c_int> {
    locate(dst as usize)?;
    if dst == src || with_buffer(src, |s| s.is_empty())? {
        return Ok(0);
    }
    let (dst_start, dst_end) = frozen(dst)?;
    if frozen(src)?.0 || if front { dst_start } else { dst_end } {
        return Ok(-1);
    }
    let mut moved = take_all(src)?;
    let r = with_buffer(dst, |d| {
        if front {
            d.prepend_buffer(&mut moved);
        } else {
            d.add_buffer(&mut moved);
        }
    });
    if r.is_err() && !moved.is_empty() {
        let _ = with_buffer(src, |s| {
            moved.add_buffer(s);
            s.add_buffer(&mut moved);
        });
    }
    r.map(|()| 0)
}

/// libevent's `evbuffer_add_buffer`: move all of `src` to the end of `dst`.
#[no_mangle]
pub extern "C" fn evbuffer_add_buffer(dst: *mut evbuffer, src: *mut evbuffer) -> c_int {
    error::int("evbuffer_add_buffer", move_all(dst, src, false))
}

/// libevent's `evbuffer_prepend_buffer`: move all of `src` to the front of `dst`.
#[no_mangle]
pub extern "C" fn evbuffer_prepend_buffer(dst: *mut evbuffer, src: *mut evbuffer) -> c_int {
    error::int("evbuffer_prepend_buffer", move_all(dst, src, true))
}

/// libevent's `evbuffer_remove`: take up to `len` bytes into `p`; returns how many.
#[no_mangle]
pub extern "C" fn evbuffer_remove(buf: *mut evbuffer, p: OutSlice<'_, u8>, len: usize) -> c_int {
    let r = (|| {
        if frozen_for_taking(buf, 0, len)? {
            return Ok(-1);
        }
        let out = data_mut(p, len)?;
        with_buffer(buf, |b| b.remove(out) as c_int)
    })();
    error::int("evbuffer_remove", r)
}

/// True when taking up to `len` bytes from `pos` on out of `buf` is refused: something to take
/// from a buffer frozen at its start (libevent's `evbuffer_copyout_from`).
fn frozen_for_taking(buf: *const evbuffer, pos: usize, len: usize) -> Result<bool> {
    Ok(frozen(buf)?.0 && len > 0 && with_buffer(buf, |b| b.len() > pos)?)
}

/// libevent's `evbuffer_remove_buffer`: move up to `len` bytes from `src` to `dst`.
#[no_mangle]
pub extern "C" fn evbuffer_remove_buffer(
    src: *mut evbuffer,
    dst: *mut evbuffer,
    len: usize,
) -> c_int {
    let r = (|| {
        locate(dst as usize)?;
        if dst == src || len == 0 {
            return Ok(0);
        }
        if frozen(dst)?.1 || frozen(src)?.0 {
            return Ok(-1);
        }
        if let Some(n) = with_two(src, dst, |s, d| s.remove_buffer(d, len))? {
            return Ok(n as c_int);
        }
        // Both belong to bufferevents: through a buffer of our own, which moves the same bytes
        // (the chain differs from libevent's only when no whole chunk moves).
        locate(dst as usize)?;
        let mut moved = with_buffer(src, |s| {
            let mut m = Evbuffer::new();
            s.remove_buffer(&mut m, len);
            m
        })?;
        let n = moved.len();
        put_all(dst, &mut moved)?;
        Ok(n as c_int)
    })();
    error::int("evbuffer_remove_buffer", r)
}

/// Runs `f` on `a` and `b` together, as libevent's calls on two buffers do, when one of them is
/// a buffer of the program's own: that one is lifted out of its slot (its chain untouched) for
/// the call. None when both belong to bufferevents.
fn with_two<R>(
    a: *mut evbuffer,
    b: *mut evbuffer,
    f: impl FnOnce(&mut Evbuffer, &mut Evbuffer) -> R,
) -> Result<Option<R>> {
    let lift = |key: usize| {
        handles::with(|h| {
            Ok(match &mut h.buf_mut(key)?.data {
                BufData::Owned(buf) => Some(std::mem::take(buf)),
                BufData::OfBev { .. } => None,
            })
        })
    };
    let put_back = |key: usize, mut lifted: Evbuffer| {
        handles::with(|h| match &mut h.buf_mut(key)?.data {
            BufData::Owned(buf) => {
                std::mem::swap(buf, &mut lifted);
                Ok(())
            }
            BufData::OfBev { .. } => Err(CError::Stale("evbuffer")),
        })
    };
    locate(a as usize)?;
    let r = if let Some(mut lifted) = lift(b as usize)? {
        let r = with_buffer_raw(a, |x| f(x, &mut lifted));
        put_back(b as usize, lifted)?;
        r.map(Some)
    } else if let Some(mut lifted) = lift(a as usize)? {
        let r = with_buffer_raw(b, |y| f(&mut lifted, y));
        put_back(a as usize, lifted)?;
        r.map(Some)
    } else {
        return Ok(None);
    };
    // libevent's `evbuffer_remove_buffer` tells the destination first.
    after(b);
    after(a);
    r
}

/// libevent's `evbuffer_drain`: drop up to `len` bytes from the front.
#[no_mangle]
pub extern "C" fn evbuffer_drain(buf: *mut evbuffer, len: usize) -> c_int {
    let r = (|| {
        if frozen(buf)?.0 && with_buffer(buf, |b| !b.is_empty())? {
            return Ok(-1);
        }
        with_buffer(buf, |b| b.drain(len)).map(|_| 0)
    })();
    error::int("evbuffer_drain", r)
}

/// libevent's `evbuffer_copyout`: copy up to `len` bytes without removing them.
#[no_mangle]
pub extern "C" fn evbuffer_copyout(buf: *mut evbuffer, p: OutSlice<'_, u8>, len: usize) -> isize {
    let r = (|| {
        if frozen_for_taking(buf, 0, len)? {
            return Ok(-1);
        }
        let out = data_mut(p, len)?;
        with_buffer(buf, |b| b.copyout(out) as c_int)
    })();
    error::int("evbuffer_copyout", r) as isize
}

/// libevent's `evbuffer_copyout_from`: like `evbuffer_copyout`, from a position.
#[no_mangle]
pub extern "C" fn evbuffer_copyout_from(
    buf: *mut evbuffer,
    pos: In<'_, evbuffer_ptr>,
    p: OutSlice<'_, u8>,
    len: usize,
) -> isize {
    let r = start_of(pos.read()).and_then(|from| {
        if frozen_for_taking(buf, from, len)? {
            return Ok(-1);
        }
        let out = data_mut(p, len)?;
        with_buffer(buf, |b| b.copyout_from(from, out) as c_int)
    });
    error::int("evbuffer_copyout_from", r) as isize
}

/// libevent's `evbuffer_readln`: one line without its ending, `malloc`ed for the caller to
/// `free`; NULL when no complete line is held.
#[no_mangle]
pub extern "C" fn evbuffer_readln(
    buf: *mut evbuffer,
    n_read_out: Out<'_, usize>,
    style: c_int,
) -> *mut c_char {
    let r = eol_style(style).and_then(|style| {
        if frozen(buf)?.0 {
            return Ok(None);
        }
        // As libevent: the line is removed, then its ending drained, each change told to the
        // buffer's callbacks.
        let Some((at, eol)) = with_buffer_raw(buf, |b| b.search_eol(0, style))? else {
            return Ok(None);
        };
        let mut line = vec![0; at];
        with_buffer(buf, |b| b.remove(&mut line))?;
        with_buffer(buf, |b| b.drain(eol))?;
        Ok(Some(line))
    });
    match r {
        Ok(Some(line)) => {
            n_read_out.write(line.len());
            mem::malloc_copy(&line)
        }
        Ok(None) => {
            n_read_out.write(0);
            std::ptr::null_mut()
        }
        Err(e) => {
            error::report("evbuffer_readln", &e);
            n_read_out.write(0);
            std::ptr::null_mut()
        }
    }
}

/// libevent's `evbuffer_pullup`: make the first `size` bytes (-1: all) contiguous and return
/// them; NULL when fewer are held. Valid until the buffer next changes.
#[no_mangle]
pub extern "C" fn evbuffer_pullup(buf: *mut evbuffer, size: isize) -> *mut u8 {
    let r = with_buffer(buf, |b| {
        let n = usize::try_from(size).unwrap_or(b.len());
        if n == 0 {
            return std::ptr::null_mut();
        }
        b.pullup(n)
            .map_or(std::ptr::null_mut(), |s| s.as_ptr().cast_mut())
    });
    r.unwrap_or_else(|e| {
        error::report("evbuffer_pullup", &e);
        std::ptr::null_mut()
    })
}

/// libevent's `evbuffer_search`: where `what` first occurs at or after `start` (NULL: the
/// start); `pos` -1 when it does not.
#[no_mangle]
pub extern "C" fn evbuffer_search(
    buf: *mut evbuffer,
    what: InSlice<'_, u8>,
    len: usize,
    start: In<'_, evbuffer_ptr>,
) -> evbuffer_ptr {
    evbuffer_search_range(buf, what, len, start, In::null())
}

/// libevent's `evbuffer_search_range`: as `evbuffer_search`, the match ending by `end`.
#[no_mangle]
pub extern "C" fn evbuffer_search_range(
    buf: *mut evbuffer,
    what: InSlice<'_, u8>,
    len: usize,
    start: In<'_, evbuffer_ptr>,
    end: In<'_, evbuffer_ptr>,
) -> evbuffer_ptr {
    let r = (|| {
        let needle = data(what, len)?;
        let from = start_of(start.read())?;
        let to = if end.is_null() {
            usize::MAX
        } else {
            start_of(end.read())?
        };
        with_buffer(buf, |b| b.search_range(needle, from, to))
    })();
    evbuffer_ptr::at(r.unwrap_or_else(|e| {
        error::report("evbuffer_search", &e);
        None
    }))
}

/// libevent's `evbuffer_search_eol`: where the first line ending at or after `start` is, and
/// its length in `*eol_len_out`.
#[no_mangle]
pub extern "C" fn evbuffer_search_eol(
    buf: *mut evbuffer,
    start: In<'_, evbuffer_ptr>,
    eol_len_out: Out<'_, usize>,
    style: c_int,
) -> evbuffer_ptr {
    let r = (|| {
        let style = eol_style(style)?;
        let from = start_of(start.read())?;
        with_buffer(buf, |b| b.search_eol(from, style))
    })();
    match r {
        Ok(Some((at, n))) => {
            eol_len_out.write(n);
            evbuffer_ptr::at(Some(at))
        }
        Ok(None) => evbuffer_ptr::at(None),
        Err(e) => {
            error::report("evbuffer_search_eol", &e);
            evbuffer_ptr::at(None)
        }
    }
}

/// libevent's `evbuffer_ptr_set`: `EVBUFFER_PTR_SET` (0) or `EVBUFFER_PTR_ADD` (1).
#[no_mangle]
pub extern "C" fn evbuffer_ptr_set(
    buf: *mut evbuffer,
    p: InOut<'_, evbuffer_ptr>,
    position: usize,
    how: c_int,
) -> c_int {
    let r = (|| {
        let len = with_buffer(buf, |b| b.len())?;
        let at = match how {
            0 => position,
            1 => start_of(p.read())?.saturating_add(position),
            other => return Err(CError::Invalid(format!("unknown evbuffer_ptr_how {other}"))),
        };
        if at > len {
            p.write(evbuffer_ptr::at(None));
            return Err(CError::Invalid(format!(
                "position {at} is past the end ({len} bytes)"
            )));
        }
        if !p.write(evbuffer_ptr::at(Some(at))) {
            return Err(CError::Invalid("the evbuffer_ptr pointer is NULL".into()));
        }
        Ok(0)
    })();
    error::int("evbuffer_ptr_set", r)
}

/// libevent's `evbuffer_expand`: room is made as bytes come, so nothing to do.
#[no_mangle]
pub extern "C" fn evbuffer_expand(buf: *mut evbuffer, len: usize) -> c_int {
    error::int(
        "evbuffer_expand",
        with_buffer(buf, |b| b.expand(len)).map(|()| 0),
    )
}

/// libevent's `evbuffer_read`: read once from `fd`, at most `howmuch` bytes (-1: a default);
/// 0 at end of file.
#[no_mangle]
pub extern "C" fn evbuffer_read(buf: *mut evbuffer, fd: c_int, howmuch: c_int) -> c_int {
    let want = usize::try_from(howmuch).unwrap_or(evscope_core::ev::MAX_READ);
    match frozen(buf) {
        Ok((_, true)) => -1,
        Ok(_) => io_int("evbuffer_read", with_buffer(buf, |b| b.read_from(fd, want))),
        Err(e) => error::int("evbuffer_read", Err(e)),
    }
}

/// A read's or write's result as libevent gives it: the count, or -1 with `errno` set and
/// nothing printed (a would-block or a reset is the program's to handle).
fn io_int(call: &str, r: Result<std::io::Result<usize>>) -> c_int {
    match r {
        Ok(Ok(n)) => c_int::try_from(n).unwrap_or(c_int::MAX),
        Ok(Err(e)) => {
            mem::set_errno(e.raw_os_error().unwrap_or(libc::EIO));
            -1
        }
        Err(e) => error::int(call, Err(e)),
    }
}

/// libevent's `evbuffer_write`: write as much as `fd` takes now.
#[no_mangle]
pub extern "C" fn evbuffer_write(buf: *mut evbuffer, fd: c_int) -> c_int {
    evbuffer_write_atmost(buf, fd, -1)
}

/// libevent's `evbuffer_write_atmost`: at most `howmuch` bytes (-1: all).
#[no_mangle]
pub extern "C" fn evbuffer_write_atmost(buf: *mut evbuffer, fd: c_int, howmuch: isize) -> c_int {
    let most = usize::try_from(howmuch).unwrap_or(usize::MAX);
    let r = frozen(buf).and_then(|(start, _)| {
        with_buffer(buf, |b| {
            // Nothing to write: -1, errno untouched, and no system call, as libevent.
            (!start && most.min(b.len()) > 0).then(|| b.write_atmost(fd, most))
        })
    });
    match r {
        Ok(None) => -1,
        Ok(Some(r)) => io_int("evbuffer_write_atmost", Ok(r)),
        Err(e) => error::int("evbuffer_write_atmost", Err(e)),
    }
}

/// Where libevent's `evbuffer_add_printf` puts what it formatted: `printf.c` formats, this
/// places the bytes (whole, in one chunk with room for them and a NUL). 0, or -1.
#[no_mangle]
pub extern "C" fn evscope_evbuffer_add_printed(
    buf: *mut evbuffer,
    p: InSlice<'_, u8>,
    len: usize,
) -> c_int {
    let r = (|| {
        if frozen(buf)?.1 {
            return Ok(-1);
        }
        let d = data(p, len)?;
        with_buffer(buf, |b| b.add_printf(d)).map(|()| 0)
    })();
    error::int("evbuffer_add_printf", r)
}

/// libevent's `evbuffer_enable_locking`: one thread per base here, so no lock is needed.
#[no_mangle]
pub extern "C" fn evbuffer_enable_locking(_buf: *mut evbuffer, _lock: *mut c_void) -> c_int {
    0
}

/// libevent's `evbuffer_lock`: nothing to lock.
#[no_mangle]
pub extern "C" fn evbuffer_lock(_buf: *mut evbuffer) {}

/// libevent's `evbuffer_unlock`: nothing to unlock.
#[no_mangle]
pub extern "C" fn evbuffer_unlock(_buf: *mut evbuffer) {}
