//! [`Evbuffer`]: a FIFO of bytes kept as a chain of chunks (libevent's `struct evbuffer`).
//! Moving one buffer into another moves chunks, not bytes; reading from an fd fills the chain
//! with one readv, writing drains it with one writev.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::RawFd;

use super::chunk::{Chunk, LARGE, SMALL};
use super::sys::socket;

/// The most one [`Evbuffer::read_from`] asks the kernel for (libevent asks for 4 KiB).
pub const MAX_READ: usize = LARGE;

/// Chunks holding at most this much are copied into the tail's free space by
/// [`Evbuffer::add_buffer`] instead of moved, so a buffer that grows from many small pieces
/// does not hold one mostly empty chunk per piece.
const COPY_MAX: usize = 512;

/// The most chunks one writev sends.
const MAX_IOV: usize = 64;

/// How a line ends, for [`Evbuffer::readln`] (libevent's `enum evbuffer_eol_style`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EolStyle {
    /// `EVBUFFER_EOL_ANY`: any run of CR and LF characters.
    Any,
    /// `EVBUFFER_EOL_CRLF`: an optional CR, then LF.
    Crlf,
    /// `EVBUFFER_EOL_CRLF_STRICT`: exactly CR LF.
    CrlfStrict,
    /// `EVBUFFER_EOL_LF`: LF.
    Lf,
    /// `EVBUFFER_EOL_NUL`: a NUL byte.
    Nul,
}

/// A byte queue: append at the back, consume from the front (libevent's `struct evbuffer`).
#[derive(Default)]
pub struct Evbuffer {
    /// Only a lone chunk may be empty: kept as free space for the next append or read.
    chunks: VecDeque<Chunk>,
    len: usize,
    /// What the last `read_from` got, to size the next one's fresh chunk.
    last_read: usize,
}

impl Evbuffer {
    /// An empty buffer (libevent's `evbuffer_new`).
    pub fn new() -> Evbuffer {
        Evbuffer::default()
    }

    /// Bytes held (libevent's `evbuffer_get_length`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a copy of `data` (libevent's `evbuffer_add`).
    pub fn add(&mut self, mut data: &[u8]) {
        self.len += data.len();
        if let Some(tail) = self.chunks.back_mut() {
            let n = tail.append(data);
            data = &data[n..];
        }
        while !data.is_empty() {
            let mut chunk = Chunk::with_room(data.len().min(LARGE));
            let n = chunk.append(data);
            data = &data[n..];
            self.chunks.push_back(chunk);
        }
    }

    /// Puts a copy of `data` before the bytes held (libevent's `evbuffer_prepend`).
    pub fn prepend(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.len += data.len();
        if let Some(front) = self.chunks.front_mut() {
            if front.make_headroom(data.len()) {
                front.prepend(data);
                return;
            }
        }
        let mut chunk = Chunk::with_room(data.len());
        chunk.make_headroom(data.len());
        chunk.prepend(data);
        self.chunks.push_front(chunk);
    }

    /// Moves every byte of `src` to the end of this buffer, leaving `src` empty (libevent's
    /// `evbuffer_add_buffer`). Chunks move; only small pieces that fit the free space are copied.
    pub fn add_buffer(&mut self, src: &mut Evbuffer) {
        if src.len == 0 {
            return;
        }
        if self.len == 0 {
            self.chunks.clear();
        }
        while let Some(chunk) = src.chunks.pop_front() {
            if chunk.is_empty() {
                continue;
            }
            if chunk.len() <= COPY_MAX {
                if let Some(tail) = self.chunks.back_mut() {
                    if tail.room() >= chunk.len() {
                        tail.append(chunk.data());
                        continue;
                    }
                }
            }
            self.chunks.push_back(chunk);
        }
        self.len += src.len;
        src.len = 0;
    }

    /// Moves up to `n` bytes from the front of this buffer to the end of `dst`, moving whole
    /// chunks where it can (libevent's `evbuffer_remove_buffer`). Returns how many moved.
    pub fn remove_buffer(&mut self, dst: &mut Evbuffer, n: usize) -> usize {
        let n = n.min(self.len);
        if n == self.len {
            dst.add_buffer(self);
            return n;
        }
        if dst.len == 0 {
            dst.chunks.clear();
        }
        let mut left = n;
        while left > 0 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            if front.len() <= left {
                left -= front.len();
                dst.len += front.len();
                if let Some(chunk) = self.chunks.pop_front() {
                    dst.chunks.push_back(chunk);
                }
            } else {
                dst.add(&front.data()[..left]);
                front.consume(left);
                left = 0;
            }
        }
        self.len -= n;
        n
    }

    /// Copies bytes from the front into `out` and drains them; returns how many (libevent's
    /// `evbuffer_remove`).
    pub fn remove(&mut self, out: &mut [u8]) -> usize {
        let n = self.copyout(out);
        self.drain(n);
        n
    }

    /// Discards up to `n` bytes from the front; returns how many (libevent's `evbuffer_drain`).
    pub fn drain(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        let mut left = n;
        while left > 0 {
            let lone = self.chunks.len() == 1;
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let take = front.len().min(left);
            left -= take;
            if take == front.len() && !lone {
                self.chunks.pop_front();
            } else {
                front.consume(take);
            }
        }
        self.len -= n;
        n
    }

    /// Copies bytes from the front into `out` without draining them; returns how many
    /// (libevent's `evbuffer_copyout`).
    pub fn copyout(&self, out: &mut [u8]) -> usize {
        self.copyout_from(0, out)
    }

    /// Copies bytes starting `pos` bytes in into `out`; returns how many (libevent's
    /// `evbuffer_copyout_from`).
    pub fn copyout_from(&self, mut pos: usize, out: &mut [u8]) -> usize {
        let mut copied = 0;
        for data in self.peek() {
            if copied == out.len() {
                break;
            }
            if pos >= data.len() {
                pos -= data.len();
                continue;
            }
            let data = &data[pos..];
            pos = 0;
            let n = data.len().min(out.len() - copied);
            out[copied..copied + n].copy_from_slice(&data[..n]);
            copied += n;
        }
        copied
    }

    /// The bytes held, as the chain's slices in order, without copying (libevent's
    /// `evbuffer_peek`).
    pub fn peek(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.chunks
            .iter()
            .map(Chunk::data)
            .filter(|d| !d.is_empty())
    }

    /// A copy of every byte held.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        for data in self.peek() {
            out.extend_from_slice(data);
        }
        out
    }

    /// Makes the first `n` bytes contiguous and returns them; None when fewer are held
    /// (libevent's `evbuffer_pullup`).
    pub fn pullup(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.len {
            return None;
        }
        let first = self.chunks.front().map_or(0, Chunk::len);
        if first < n {
            let mut merged = Chunk::with_room(n);
            while merged.len() < n {
                let Some(front) = self.chunks.front_mut() else {
                    break;
                };
                let take = front.len().min(n - merged.len());
                merged.append(&front.data()[..take]);
                if take == front.len() {
                    self.chunks.pop_front();
                } else {
                    front.consume(take);
                }
            }
            self.chunks.push_front(merged);
        }
        Some(self.chunks.front().map_or(&[][..], |c| &c.data()[..n]))
    }

    /// The position of the first `what` starting at or after `from` (libevent's
    /// `evbuffer_search`).
    pub fn search(&self, what: &[u8], from: usize) -> Option<usize> {
        self.search_range(what, from, self.len)
    }

    /// Like [`Evbuffer::search`], but the match must end by `to` (libevent's
    /// `evbuffer_search_range`).
    pub fn search_range(&self, what: &[u8], from: usize, to: usize) -> Option<usize> {
        let to = to.min(self.len);
        if from > to || what.len() > to - from {
            return None;
        }
        let Some(&first) = what.first() else {
            return Some(from);
        };
        let mut base = 0;
        for (ci, chunk) in self.chunks.iter().enumerate() {
            let data = chunk.data();
            let mut off = from.saturating_sub(base).min(data.len());
            while let Some(i) = data[off..].iter().position(|&b| b == first) {
                let at = base + off + i;
                if at + what.len() > to {
                    return None;
                }
                if self.matches_at(ci, off + i, what) {
                    return Some(at);
                }
                off += i + 1;
            }
            base += data.len();
        }
        None
    }

    /// True when `what` starts at offset `off` of chunk `ci` (running on into later chunks).
    fn matches_at(&self, mut ci: usize, mut off: usize, mut what: &[u8]) -> bool {
        while !what.is_empty() {
            let Some(chunk) = self.chunks.get(ci) else {
                return false;
            };
            let data = &chunk.data()[off..];
            let n = data.len().min(what.len());
            if data[..n] != what[..n] {
                return false;
            }
            what = &what[n..];
            ci += 1;
            off = 0;
        }
        true
    }

    /// The byte at `pos`, if held.
    fn byte_at(&self, mut pos: usize) -> Option<u8> {
        for data in self.peek() {
            if pos < data.len() {
                return Some(data[pos]);
            }
            pos -= data.len();
        }
        None
    }

    /// Where the first line ending at or after `from` starts, and how long it is (libevent's
    /// `evbuffer_search_eol`).
    pub fn search_eol(&self, from: usize, style: EolStyle) -> Option<(usize, usize)> {
        match style {
            EolStyle::Lf => self.search(b"\n", from).map(|p| (p, 1)),
            EolStyle::Nul => self.search(b"\0", from).map(|p| (p, 1)),
            EolStyle::CrlfStrict => self.search(b"\r\n", from).map(|p| (p, 2)),
            EolStyle::Crlf => {
                let p = self.search(b"\n", from)?;
                if p > from && self.byte_at(p - 1) == Some(b'\r') {
                    Some((p - 1, 2))
                } else {
                    Some((p, 1))
                }
            }
            EolStyle::Any => {
                let cr = self.search(b"\r", from);
                let lf = self.search(b"\n", from);
                let p = match (cr, lf) {
                    (Some(a), Some(b)) => a.min(b),
                    (a, b) => a.or(b)?,
                };
                let mut n = 0;
                while matches!(self.byte_at(p + n), Some(b'\r' | b'\n')) {
                    n += 1;
                }
                Some((p, n))
            }
        }
    }

    /// Takes one line off the front, without its line ending; None when no complete line is
    /// held (libevent's `evbuffer_readln`).
    pub fn readln(&mut self, style: EolStyle) -> Option<Vec<u8>> {
        let (at, eol) = self.search_eol(0, style)?;
        let mut line = vec![0; at];
        self.copyout(&mut line);
        self.drain(at + eol);
        Some(line)
    }

    /// Reads once from `fd` with readv, at most `howmuch` bytes (capped at [`MAX_READ`]),
    /// appending them (libevent's `evbuffer_read`). `Ok(0)` is end of file.
    pub fn read_from(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        let howmuch = howmuch.clamp(1, MAX_READ);
        let tail_room = self.chunks.back().map_or(0, Chunk::room).min(howmuch);
        let want = howmuch - tail_room;
        let mut fresh = (want > 0).then(|| {
            // Small reads get a small chunk; once reads come back big, offer a large one.
            let size = if self.last_read >= SMALL { want } else { 1 };
            Chunk::with_room(size)
        });
        let n = {
            let mut iov = [IoSliceMut::new(&mut []), IoSliceMut::new(&mut [])];
            let mut used = 0;
            if tail_room > 0 {
                if let Some(tail) = self.chunks.back_mut() {
                    iov[used] = IoSliceMut::new(&mut tail.spare_mut()[..tail_room]);
                    used += 1;
                }
            }
            if let Some(chunk) = fresh.as_mut() {
                let room = chunk.room().min(want);
                iov[used] = IoSliceMut::new(&mut chunk.spare_mut()[..room]);
                used += 1;
            }
            socket::readv(fd, &mut iov[..used])?
        };
        let into_tail = n.min(tail_room);
        if into_tail > 0 {
            if let Some(tail) = self.chunks.back_mut() {
                tail.commit(into_tail);
            }
        }
        if let Some(mut chunk) = fresh {
            if n > into_tail {
                chunk.commit(n - into_tail);
                if self.chunks.back().is_some_and(Chunk::is_empty) {
                    self.chunks.pop_back();
                }
                self.chunks.push_back(chunk);
            }
        }
        self.len += n;
        self.last_read = n;
        Ok(n)
    }

    /// Writes as much as the kernel takes with one writev, draining it (libevent's
    /// `evbuffer_write`).
    pub fn write_to(&mut self, fd: RawFd) -> io::Result<usize> {
        self.write_atmost(fd, usize::MAX)
    }

    /// Writes at most `howmuch` bytes with one writev, draining them (libevent's
    /// `evbuffer_write_atmost`).
    pub fn write_atmost(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        self.flush_with(howmuch, |iov| socket::writev(fd, iov))
    }

    /// Like [`Evbuffer::write_atmost`] on a socket, with `MSG_NOSIGNAL`: a closed peer gives
    /// EPIPE rather than SIGPIPE.
    pub(crate) fn send_atmost(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        self.flush_with(howmuch, |iov| socket::send_vectored(fd, iov))
    }

    fn flush_with(
        &mut self,
        howmuch: usize,
        write: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let mut left = howmuch.min(self.len);
        if left == 0 {
            return Ok(0);
        }
        let n = {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut used = 0;
            for data in self.peek() {
                if left == 0 || used == MAX_IOV {
                    break;
                }
                let take = data.len().min(left);
                iov[used] = IoSlice::new(&data[..take]);
                used += 1;
                left -= take;
            }
            write(&iov[..used])?
        };
        self.drain(n);
        Ok(n)
    }
}

impl io::Write for Evbuffer {
    /// Appends `buf` (so `write!` works like libevent's `evbuffer_add_printf`).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.add(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for Evbuffer {
    /// Removes bytes from the front ([`Evbuffer::remove`]).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.remove(buf))
    }
}

impl fmt::Debug for Evbuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evbuffer")
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_buffer_moves_chunks_without_copying() {
        let mut a = Evbuffer::new();
        a.add(&[7u8; 1000]);
        let before: Vec<*const u8> = a.peek().map(<[u8]>::as_ptr).collect();
        let mut b = Evbuffer::new();
        b.add_buffer(&mut a);
        let after: Vec<*const u8> = b.peek().map(<[u8]>::as_ptr).collect();
        assert_eq!(before, after);
        assert_eq!((a.len(), b.len()), (0, 1000));
    }

    #[test]
    fn readln_styles() {
        let mut b = Evbuffer::new();
        b.add(b"one\r\ntwo\nthree\r\r\nfour");
        assert_eq!(b.readln(EolStyle::CrlfStrict).as_deref(), Some(&b"one"[..]));
        assert_eq!(
            b.readln(EolStyle::CrlfStrict),
            Some(b"two\nthree\r".to_vec())
        );
        let mut b = Evbuffer::new();
        b.add(b"a\r\nb\nc\r\n\r\nd");
        assert_eq!(b.readln(EolStyle::Crlf).as_deref(), Some(&b"a"[..]));
        assert_eq!(b.readln(EolStyle::Crlf).as_deref(), Some(&b"b"[..]));
        assert_eq!(b.readln(EolStyle::Any).as_deref(), Some(&b"c"[..]));
        assert_eq!(b.readln(EolStyle::Any), None);
        assert_eq!(b.to_vec(), b"d");
    }
}
