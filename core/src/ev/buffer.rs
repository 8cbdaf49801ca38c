//! [`Evbuffer`]: a FIFO of bytes kept as a chain of chunks (libevent's `struct evbuffer`).
//!
//! The chain is libevent's, link for link: every chunk has the capacity `evbuffer_chain_new`
//! gives it, bytes go where `evbuffer_add`, `evbuffer_prepend`, `evbuffer_read` and the rest put
//! them, and chunks are moved, split, merged and freed when libevent's are. So everything a
//! program can see of the chain — `evbuffer_get_contiguous_space`, `evbuffer_peek`'s extents,
//! what `evbuffer_reserve_space` offers, how much one write sends — is what libevent shows.
//! Moving one buffer into another moves chunks, not bytes; reading from an fd fills the chain
//! with one readv, writing drains it with one writev.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::RawFd;

use super::chunk::Chunk;
use super::sys::socket;

mod extra;
mod watch;

pub use watch::{Change, WatchHook};

/// The most one [`Evbuffer::read_from`] reads (libevent's `EVBUFFER_MAX_READ`).
pub const MAX_READ: usize = 4096;

/// libevent's `NUM_READ_IOVEC`: one read fills at most this many chunks.
const NUM_READ_IOVEC: usize = 4;

/// libevent's `NUM_WRITE_IOVEC`: one write sends at most this many chunks.
const NUM_WRITE_IOVEC: usize = 128;

/// libevent's `EVBUFFER_CHAIN_MAX_AUTO_SIZE`: `evbuffer_add` doubles the size of the chunks it
/// allocates up to this.
const CHAIN_MAX_AUTO_SIZE: usize = 4096;

/// libevent's `MAX_TO_COPY_IN_EXPAND`: `evbuffer_expand` grows a chunk by copying only this much.
const MAX_TO_COPY_IN_EXPAND: usize = 4096;

/// libevent's `EVBUFFER_CHAIN_MAX` (64-bit).
const CHAIN_MAX: usize = isize::MAX as usize;

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

/// One chunk of the chain as libevent holds it (see [`Evbuffer::chains`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChainInfo {
    /// Bytes the chunk can hold (libevent's `buffer_len`).
    pub capacity: usize,
    /// Free bytes before the data (libevent's `misalign`).
    pub misalign: usize,
    /// Bytes held (libevent's `off`).
    pub len: usize,
}

/// A byte queue: append at the back, consume from the front (libevent's `struct evbuffer`).
#[derive(Default)]
pub struct Evbuffer {
    /// libevent's chain, first to last. Chunks may be empty: a new buffer's first chunk, free
    /// space reserved or read into, wherever libevent would keep an empty chain.
    chunks: VecDeque<Chunk>,
    len: usize,
    /// libevent's `last_with_datap` as an index: `chunks.get(lwd)` is the chunk it points at
    /// (the last one holding data, or the first when none does); 0 stands for `&buf->first`.
    lwd: usize,
    /// Records each change of the length for the program's callbacks, once it has some
    /// (`watch.rs`); None costs one check per change.
    watch: Option<Box<watch::Watch>>,
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

    /// Bytes held in the first chunk (libevent's `evbuffer_get_contiguous_space`).
    pub fn contiguous_space(&self) -> usize {
        self.chunks.front().map_or(0, |c| c.off)
    }

    /// The chain: each chunk's capacity, free bytes before its data, and bytes held, first to
    /// last, as libevent's `struct evbuffer_chain` list would show them.
    pub fn chains(&self) -> impl Iterator<Item = ChainInfo> + '_ {
        self.chunks.iter().map(|c| ChainInfo {
            capacity: c.capacity(),
            misalign: c.misalign,
            len: c.off,
        })
    }

    // ---- the chain's primitives (libevent's static helpers in buffer.c) ----------------------

    /// libevent's `evbuffer_free_trailing_empty_chains`: frees the empty chunks from the last one
    /// with data on; returns where a new chunk goes.
    fn free_trailing_empty(&mut self) -> usize {
        let mut at = self.lwd;
        while self.chunks.get(at).is_some_and(|c| c.off != 0) {
            at += 1;
        }
        self.chunks.truncate(at);
        at
    }

    /// libevent's `evbuffer_chain_insert`: appends `chunk` after the last chunk with data,
    /// freeing the empty ones there; returns its index.
    fn chain_insert(&mut self, chunk: Chunk) -> usize {
        let at = if self.chunks.is_empty() {
            0
        } else {
            self.free_trailing_empty()
        };
        if chunk.off > 0 {
            self.lwd = at;
        }
        self.len += chunk.off;
        self.chunks.push_back(chunk);
        at
    }

    /// libevent's `advance_last_with_data`.
    fn advance_last_with_data(&mut self) {
        let mut at = self.lwd;
        if at >= self.chunks.len() {
            return;
        }
        while at + 1 < self.chunks.len() {
            at += 1;
            if self.chunks[at].off > 0 {
                self.lwd = at;
            }
        }
    }

    /// The first chunk with free space from the last one with data on (where libevent's
    /// `evbuffer_read_setup_vecs_` and `evbuffer_commit_space` start).
    fn first_with_space(&self) -> usize {
        match self.chunks.get(self.lwd) {
            Some(c) if c.space() == 0 => self.lwd + 1,
            _ => self.lwd,
        }
    }

    /// libevent's `evbuffer_expand_singlechain`: makes one chunk with `n` bytes of free space
    /// and returns its index.
    fn expand_singlechain(&mut self, n: usize) -> usize {
        let at = self.first_with_space();
        let Some(chain) = self.chunks.get_mut(at) else {
            return self.chain_insert(Chunk::new(n));
        };
        if chain.immutable {
            return self.chain_insert(Chunk::new(n));
        }
        if chain.space() >= n {
            return at;
        }
        if chain.off == 0 {
            return self.chain_insert(Chunk::new(n));
        }
        if chain.should_realign(n) {
            chain.align();
            return at;
        }
        if chain.space() < chain.capacity() / 8
            || chain.off > MAX_TO_COPY_IN_EXPAND
            || n >= CHAIN_MAX - chain.off
        {
            // Not worth growing: use the next chunk if it has the room, else a new one.
            if self.chunks.get(at + 1).is_some_and(|c| c.space() >= n) {
                return at + 1;
            }
            return self.chain_insert(Chunk::new(n));
        }
        // Grow it: a chunk for its data and `n` more replaces it.
        let mut bigger = Chunk::new(chain.off + n);
        bigger.append(chain.data());
        self.chunks[at] = bigger;
        at
    }

    /// libevent's `evbuffer_expand_fast_`: makes `n` bytes of free space in at most `vecs`
    /// chunks at the end, never moving data.
    fn expand_fast(&mut self, n: usize, vecs: usize) {
        if self.chunks.back().is_none_or(|c| c.immutable) {
            self.chain_insert(Chunk::new(n));
            return;
        }
        let (mut used, mut avail) = (0, 0);
        let mut ran_off = true;
        for chain in self.chunks.range_mut(self.lwd..) {
            if chain.off > 0 {
                let space = chain.space();
                if space > 0 {
                    avail += space;
                    used += 1;
                }
            } else {
                chain.misalign = 0;
                avail += chain.capacity();
                used += 1;
            }
            if avail >= n {
                return;
            }
            if used == vecs {
                ran_off = false;
                break;
            }
        }
        if ran_off {
            self.chunks.push_back(Chunk::new(n - avail));
            return;
        }
        // Too many small chunks: replace every empty one with a single chunk with the room.
        let lwd = self.lwd;
        if self.chunks[lwd].off == 0 {
            self.chunks.clear();
            self.chunks.push_back(Chunk::new(n));
            self.lwd = 0;
        } else {
            let avail = self.chunks[lwd].space();
            self.chunks.truncate(lwd + 1);
            self.chunks.push_back(Chunk::new(n - avail));
        }
    }

    // ---- adding ------------------------------------------------------------------------------

    /// Appends a copy of `data` (libevent's `evbuffer_add`): into the free space of the last
    /// chunk with data, the rest into a new chunk twice that one's size (up to 4 KiB) or as big
    /// as the rest, whichever is more.
    pub fn add(&mut self, data: &[u8]) {
        self.add_quietly(data);
        self.note(data.len(), 0);
    }

    /// [`Evbuffer::add`] without telling the callbacks (a part of a larger change).
    fn add_quietly(&mut self, data: &[u8]) {
        if self.chunks.is_empty() {
            self.chain_insert(Chunk::new(data.len()));
        }
        let chain = &mut self.chunks[self.lwd];
        let remain = chain.space();
        if remain >= data.len() {
            chain.append(data);
            self.len += data.len();
            return;
        }
        if chain.should_realign(data.len()) {
            chain.align();
            chain.append(data);
            self.len += data.len();
            return;
        }
        let mut to_alloc = chain.capacity();
        if to_alloc <= CHAIN_MAX_AUTO_SIZE / 2 {
            to_alloc <<= 1;
        }
        let mut tmp = Chunk::new(to_alloc.max(data.len()));
        chain.append(&data[..remain]);
        self.len += remain;
        tmp.append(&data[remain..]);
        self.chain_insert(tmp);
    }

    /// Appends text the way libevent's `evbuffer_add_printf` places what it formats: whole, in
    /// one chunk with room for it and a NUL after it.
    pub fn add_printf(&mut self, text: &[u8]) {
        let mut at = self.expand_singlechain(64);
        loop {
            let chain = &mut self.chunks[at];
            if text.len() < chain.space() {
                chain.append(text);
                self.len += text.len();
                self.advance_last_with_data();
                self.note(text.len(), 0);
                return;
            }
            at = self.expand_singlechain(text.len() + 1);
        }
    }

    /// Appends copies of `pieces`, having made room for all of them in at most two chunks
    /// (libevent's `evbuffer_add_iovec`); returns how many bytes were added.
    pub fn add_iovec(&mut self, pieces: &[&[u8]]) -> usize {
        let total = pieces.iter().map(|p| p.len()).sum();
        self.expand_fast(total, 2);
        for piece in pieces {
            self.add(piece);
        }
        total
    }

    /// Puts a copy of `data` before the bytes held (libevent's `evbuffer_prepend`): into the
    /// free space before the first chunk's data, the rest into a new chunk in front.
    pub fn prepend(&mut self, data: &[u8]) {
        self.prepend_quietly(data);
        self.note(data.len(), 0);
    }

    fn prepend_quietly(&mut self, mut data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.chunks.is_empty() {
            self.chain_insert(Chunk::new(data.len()));
        }
        let chain = &mut self.chunks[0];
        if chain.off == 0 && !chain.immutable {
            chain.misalign = chain.capacity();
        }
        if chain.immutable {
            // Its misalignment is not ours to write into: all goes into a new chunk.
        } else if chain.misalign >= data.len() {
            chain.put_front(data);
            self.len += data.len();
            return;
        } else if chain.misalign > 0 {
            let (rest, fits) = data.split_at(data.len() - chain.misalign);
            chain.put_front(fits);
            self.len += fits.len();
            data = rest;
        }
        let first_has_data = chain.off > 0;
        let mut tmp = Chunk::new(data.len());
        tmp.misalign = tmp.capacity();
        tmp.put_front(data);
        self.len += data.len();
        self.chunks.push_front(tmp);
        if self.lwd > 0 {
            self.lwd += 1;
        } else if first_has_data {
            self.lwd = 1;
        }
    }

    /// Free space for up to `size` bytes to be written in place (libevent's
    /// `evbuffer_reserve_space`): one chunk with all the room when `n_vecs` is 1, else at most
    /// `n_vecs` chunks at the end. None when `n_vecs` is 0. Nothing is added until
    /// [`Evbuffer::commit_space`].
    pub fn reserve_space(&mut self, size: usize, n_vecs: usize) -> Option<Vec<&mut [u8]>> {
        match n_vecs {
            0 => None,
            1 => {
                let at = self.expand_singlechain(size);
                Some(vec![self.chunks[at].space_mut()])
            }
            _ => {
                self.expand_fast(size, n_vecs);
                let first = self.first_with_space();
                let mut so_far = 0;
                let mut spaces = Vec::new();
                for chain in self.chunks.range_mut(first.min(self.chunks.len())..) {
                    if spaces.len() == n_vecs || so_far >= size {
                        break;
                    }
                    so_far += chain.space();
                    spaces.push(chain.space_mut());
                }
                Some(spaces)
            }
        }
    }

    /// Adds the bytes written into reserved space (libevent's `evbuffer_commit_space`):
    /// `extents` are where each written piece starts and how long it is, in the order
    /// [`Evbuffer::reserve_space`] gave the spaces. False, and nothing added, when they are not
    /// this buffer's free space (it changed since, or they were not from it).
    pub fn commit_space(&mut self, extents: &[(*const u8, usize)]) -> bool {
        let before = self.len;
        let ok = self.commit_space_quietly(extents);
        self.note(self.len - before, 0);
        ok
    }

    fn commit_space_quietly(&mut self, extents: &[(*const u8, usize)]) -> bool {
        if extents.is_empty() {
            return true;
        }
        if let ([(ptr, n)], Some(last)) = (extents, self.chunks.back_mut()) {
            if *ptr == last.space_ptr() {
                if *n > last.space() {
                    return false;
                }
                last.commit(*n);
                self.len += n;
                if *n > 0 {
                    self.advance_last_with_data();
                }
                return true;
            }
        }
        let first = self.first_with_space();
        let fits = extents.iter().enumerate().all(|(i, (ptr, n))| {
            self.chunks
                .get(first + i)
                .is_some_and(|c| *ptr == c.space_ptr() && *n <= c.space())
        });
        if !fits || self.chunks.get(self.lwd).is_none() {
            return false;
        }
        for (i, (_, n)) in extents.iter().enumerate() {
            self.chunks[first + i].commit(*n);
            self.len += n;
            if *n > 0 {
                self.lwd = first + i;
            }
        }
        true
    }

    /// Makes room for `n` more bytes in one chunk, so the next `n` bytes added land in one place
    /// (libevent's `evbuffer_expand`).
    pub fn expand(&mut self, n: usize) {
        self.expand_singlechain(n);
    }

    // ---- moving between buffers --------------------------------------------------------------

    /// Takes `src`'s chain whole, this buffer being empty (libevent's `COPY_CHAIN`).
    fn take_chain(&mut self, src: &mut Evbuffer) {
        self.chunks.clear();
        std::mem::swap(&mut self.chunks, &mut src.chunks);
        self.lwd = src.lwd;
        self.len = src.len;
    }

    /// Moves every byte of `src` to the end of this buffer, leaving `src` empty (libevent's
    /// `evbuffer_add_buffer`). Its chunks move as they are, after this buffer's last chunk with
    /// data.
    pub fn add_buffer(&mut self, src: &mut Evbuffer) {
        let n = src.len;
        self.add_buffer_quietly(src);
        src.note(0, n);
        self.note(n, 0);
    }

    fn add_buffer_quietly(&mut self, src: &mut Evbuffer) {
        if src.len == 0 {
            return;
        }
        if self.len == 0 {
            self.take_chain(src);
        } else {
            let at = self.free_trailing_empty();
            self.lwd = at + src.lwd;
            self.len += src.len;
            self.chunks.append(&mut src.chunks);
        }
        src.chunks.clear();
        src.len = 0;
        src.lwd = 0;
    }

    /// Moves every byte of `src` to the front of this buffer, leaving `src` empty (libevent's
    /// `evbuffer_prepend_buffer`). Its chunks move as they are.
    pub fn prepend_buffer(&mut self, src: &mut Evbuffer) {
        let n = src.len;
        self.prepend_buffer_quietly(src);
        src.note(0, n);
        self.note(n, 0);
    }

    fn prepend_buffer_quietly(&mut self, src: &mut Evbuffer) {
        if src.len == 0 {
            return;
        }
        if self.len == 0 {
            self.take_chain(src);
        } else {
            let moved = src.chunks.len();
            while let Some(chunk) = src.chunks.pop_back() {
                self.chunks.push_front(chunk);
            }
            self.lwd = if self.lwd == 0 {
                moved
            } else {
                self.lwd + moved
            };
            self.len += src.len;
        }
        src.chunks.clear();
        src.len = 0;
        src.lwd = 0;
    }

    /// Moves up to `n` bytes from the front of this buffer to the end of `dst` (libevent's
    /// `evbuffer_remove_buffer`): whole chunks move, the bytes of a chunk split are copied.
    /// Returns how many moved.
    pub fn remove_buffer(&mut self, dst: &mut Evbuffer, n: usize) -> usize {
        let moved = self.remove_buffer_quietly(dst, n);
        dst.note(moved, 0);
        self.note(0, moved);
        moved
    }

    fn remove_buffer_quietly(&mut self, dst: &mut Evbuffer, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        if n >= self.len {
            let all = self.len;
            dst.add_buffer_quietly(self);
            return all;
        }
        let (mut left, mut moved, mut whole) = (n, 0, 0);
        while self.chunks[whole].off <= left {
            left -= self.chunks[whole].off;
            moved += self.chunks[whole].off;
            whole += 1;
        }
        if whole > 0 {
            dst.free_trailing_empty();
            dst.chunks.extend(self.chunks.drain(..whole));
            self.lwd = self.lwd.saturating_sub(whole);
            dst.advance_last_with_data();
            dst.len += moved;
        }
        let first = &mut self.chunks[0];
        dst.add_quietly(&first.data()[..left]);
        first.consume(left);
        self.len -= n;
        n
    }

    // ---- taking out --------------------------------------------------------------------------

    /// Copies bytes from the front into `out` and drains them; returns how many (libevent's
    /// `evbuffer_remove`).
    pub fn remove(&mut self, out: &mut [u8]) -> usize {
        let n = self.copyout(out);
        if n > 0 {
            self.drain(n);
        }
        n
    }

    /// Discards up to `n` bytes from the front; returns how many (libevent's `evbuffer_drain`).
    /// Chunks emptied are freed; all of them when everything goes.
    pub fn drain(&mut self, n: usize) -> usize {
        let drained = self.drain_quietly(n);
        self.note(0, drained);
        drained
    }

    fn drain_quietly(&mut self, n: usize) -> usize {
        let old = self.len;
        if old == 0 {
            return 0;
        }
        if n >= old {
            self.chunks.clear();
            self.lwd = 0;
            self.len = 0;
            return old;
        }
        self.len -= n;
        let mut left = n;
        while left >= self.chunks[0].off {
            left -= self.chunks[0].off;
            self.chunks.pop_front();
            self.lwd = self.lwd.saturating_sub(1);
        }
        self.chunks[0].consume(left);
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

    /// The bytes held, chunk by chunk in order, without copying (libevent's `evbuffer_peek`
    /// extents; a chunk libevent keeps empty gives an empty slice).
    pub fn peek(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.chunks.iter().map(Chunk::data)
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
    /// (libevent's `evbuffer_pullup`). The first chunk takes them if it has the room, else a new
    /// chunk of `n` bytes does.
    pub fn pullup(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.len {
            return None;
        }
        if n == 0 {
            return Some(&[]);
        }
        let first = &self.chunks[0];
        if first.off < n {
            self.merge_front(n);
        }
        Some(&self.chunks[0].data()[..n])
    }

    /// The body of libevent's `evbuffer_pullup` once the first chunk is too short.
    fn merge_front(&mut self, n: usize) {
        let lwd = self.lwd;
        // Freed chunks are old indices [from, to).
        let (mut tmp, from) = if self.chunks[0].capacity() - self.chunks[0].misalign >= n {
            let first = self.chunks.pop_front().expect("a first chunk is held");
            (first, 1)
        } else {
            (Chunk::new(n), 0)
        };
        let mut to = from;
        let mut need = n - tmp.off;
        while let Some(chain) = self.chunks.front() {
            if need < chain.off {
                break;
            }
            tmp.append(chain.data());
            need -= chain.off;
            self.chunks.pop_front();
            to += 1;
        }
        if let Some(chain) = self.chunks.front_mut() {
            tmp.append(&chain.data()[..need]);
            chain.consume(need);
        }
        self.chunks.push_front(tmp);
        let removed_last_with_data = (from..to).contains(&lwd);
        let removed_its_pointer = lwd > 0 && (from..to).contains(&(lwd - 1));
        self.lwd = if removed_last_with_data {
            0
        } else if removed_its_pointer {
            usize::from(self.chunks.get(1).is_some_and(|c| c.off > 0))
        } else if lwd == 0 {
            0
        } else {
            lwd + 1 - to
        };
    }

    // ---- searching ---------------------------------------------------------------------------

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
        self.remove(&mut line);
        self.drain(eol);
        Some(line)
    }

    // ---- descriptors -------------------------------------------------------------------------

    /// Reads once from `fd` with readv, at most `howmuch` bytes and at most [`MAX_READ`],
    /// appending them (libevent's `evbuffer_read`). `Ok(0)` is end of file.
    ///
    /// Like libevent, it fills the free space at the end of the chain, then one new chunk
    /// as big as the rest of what is read. libevent asks the kernel first how much is waiting
    /// (`FIONREAD`) to size that chunk; here the chunk is sized after the read, from what came,
    /// which gives the same chain without the extra system call (the question is asked only when
    /// more than `NUM_READ_IOVEC` chunks have free space, where the answer decides which).
    pub fn read_from(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        let most = howmuch.min(MAX_READ);
        let (mut with_space, mut room) = (0, 0);
        for chain in self.chunks.range(self.lwd.min(self.chunks.len())..) {
            if chain.space() > 0 {
                with_space += 1;
                room += chain.space();
            }
        }
        if with_space >= NUM_READ_IOVEC {
            return self.read_asking(fd, howmuch);
        }
        let first = self.first_with_space().min(self.chunks.len());
        // libevent adds a chunk for what does not fit the free space, of the size that is then
        // known; until then it has the size for the most that may come.
        let mut fresh = (self.chunks.is_empty() || most > room).then(|| Chunk::new(most - room));
        let res = self.readv_at(fd, first, most, fresh.as_mut());
        let got = *res.as_ref().unwrap_or(&0);
        // What libevent would have asked for: what came, or `most` when nothing did.
        let asked = if got > 0 { got } else { most };
        if let Some(mut chunk) = fresh {
            if self.chunks.is_empty() || asked > room {
                chunk.set_size(asked - room);
                self.chunks.push_back(chunk);
            }
        }
        self.commit_read(first, got);
        res
    }

    /// [`Evbuffer::read_from`] as libevent does it, asking the kernel how much is waiting first.
    fn read_asking(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        let waiting = match socket::unread_bytes(fd) {
            Ok(n) if n > 0 && n <= MAX_READ => n,
            _ => MAX_READ,
        };
        let n = howmuch.min(waiting);
        self.expand_fast(n, NUM_READ_IOVEC);
        let first = self.first_with_space().min(self.chunks.len());
        let res = self.readv_at(fd, first, n, None);
        self.commit_read(first, *res.as_ref().unwrap_or(&0));
        res
    }

    /// One readv into the free space of the chunks from `first` on, then `fresh`: at most
    /// `most` bytes in at most [`NUM_READ_IOVEC`] pieces (libevent's
    /// `evbuffer_read_setup_vecs_` with `exact`).
    fn readv_at(
        &mut self,
        fd: RawFd,
        first: usize,
        most: usize,
        fresh: Option<&mut Chunk>,
    ) -> io::Result<usize> {
        let mut iov: [IoSliceMut<'_>; NUM_READ_IOVEC] =
            [(); NUM_READ_IOVEC].map(|()| IoSliceMut::new(&mut []));
        let (mut used, mut left) = (0, most);
        let spaces = self
            .chunks
            .range_mut(first..)
            .chain(fresh)
            .map(Chunk::space_mut);
        for space in spaces {
            if used == NUM_READ_IOVEC || left == 0 {
                break;
            }
            let take = space.len().min(left);
            iov[used] = IoSliceMut::new(&mut space[..take]);
            used += 1;
            left -= take;
        }
        socket::readv(fd, &mut iov[..used])
    }

    /// Marks `n` bytes read into the chunks from `first` on as data (the end of libevent's
    /// `evbuffer_read`).
    fn commit_read(&mut self, first: usize, n: usize) {
        if n == 0 {
            return;
        }
        let mut left = n;
        for (at, chain) in self.chunks.range_mut(first..).enumerate() {
            let space = chain.space();
            if space < left {
                chain.commit(space);
                left -= space;
            } else {
                chain.commit(left);
                self.lwd = first + at;
                break;
            }
        }
        self.len += n;
        self.note(n, 0);
    }

    /// Writes as much as the kernel takes with one writev, draining it (libevent's
    /// `evbuffer_write`).
    pub fn write_to(&mut self, fd: RawFd) -> io::Result<usize> {
        self.write_atmost(fd, usize::MAX)
    }

    /// Writes at most `howmuch` bytes with one writev, draining them (libevent's
    /// `evbuffer_write_atmost`). `Ok(0)` without a system call when there is nothing to write.
    pub fn write_atmost(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        self.flush_with(howmuch, |iov| socket::writev(fd, iov))
    }

    /// Like [`Evbuffer::write_atmost`] on a socket, with `MSG_NOSIGNAL`: a closed peer gives
    /// EPIPE rather than SIGPIPE.
    pub(crate) fn send_atmost(&mut self, fd: RawFd, howmuch: usize) -> io::Result<usize> {
        self.flush_with(howmuch, |iov| socket::send_vectored(fd, iov))
    }

    /// libevent's `evbuffer_write_iovec`: the first chunks, at most [`NUM_WRITE_IOVEC`] of
    /// them, up to `howmuch` bytes, in one call; what was written is drained.
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
            let mut iov = [IoSlice::new(&[]); NUM_WRITE_IOVEC];
            let mut used = 0;
            for data in self.peek() {
                if left == 0 || used == NUM_WRITE_IOVEC {
                    break;
                }
                let take = data.len().min(left);
                iov[used] = IoSlice::new(&data[..take]);
                used += 1;
                left -= take;
            }
            write(&iov[..used])?
        };
        if n > 0 {
            self.drain(n);
        }
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
