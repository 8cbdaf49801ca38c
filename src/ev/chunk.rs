//! One link of an evbuffer's chain (libevent's `evbuffer_chain`), and a per-thread pool that
//! recycles chunks so moving bytes through buffers allocates nothing once warm.

use std::cell::RefCell;

/// The size of a chunk for small writes and reads.
pub(crate) const SMALL: usize = 4096;
/// The size of a chunk for bulk reads and writes (and the most one read asks for).
pub(crate) const LARGE: usize = 64 * 1024;

/// At most this many recycled chunks of each size are kept per thread.
const POOL_SMALL: usize = 1024;
const POOL_LARGE: usize = 64;

#[derive(Default)]
struct Pool {
    small: Vec<Box<[u8]>>,
    large: Vec<Box<[u8]>>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

fn take_storage(size: usize) -> Box<[u8]> {
    let pooled = POOL
        .try_with(|p| {
            let mut p = p.try_borrow_mut().ok()?;
            match size {
                SMALL => p.small.pop(),
                LARGE => p.large.pop(),
                _ => None,
            }
        })
        .ok()
        .flatten();
    pooled.unwrap_or_else(|| vec![0u8; size].into_boxed_slice())
}

fn give_storage(buf: Box<[u8]>) {
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            match buf.len() {
                SMALL if p.small.len() < POOL_SMALL => p.small.push(buf),
                LARGE if p.large.len() < POOL_LARGE => p.large.push(buf),
                _ => {}
            }
        }
    });
}

/// Bytes `buf[start..end]` are data; `buf[end..]` is free space for appending.
pub(crate) struct Chunk {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Chunk {
    /// A chunk with room for at least `min` bytes: a pooled small or large one when `min` fits,
    /// else one of exactly `min` bytes.
    pub(crate) fn with_room(min: usize) -> Chunk {
        let size = if min <= SMALL {
            SMALL
        } else if min <= LARGE {
            LARGE
        } else {
            min
        };
        Chunk {
            buf: take_storage(size),
            start: 0,
            end: 0,
        }
    }

    /// The bytes held.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Free space after the data.
    pub(crate) fn room(&self) -> usize {
        self.buf.len() - self.end
    }

    /// The free space, to be filled and then [`Chunk::commit`]ted.
    pub(crate) fn spare_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes of the free space as data.
    pub(crate) fn commit(&mut self, n: usize) {
        debug_assert!(n <= self.room());
        self.end += n;
    }

    /// Copies as much of `data` as fits into the free space; returns how much.
    pub(crate) fn append(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.room());
        self.buf[self.end..self.end + n].copy_from_slice(&data[..n]);
        self.end += n;
        n
    }

    /// Drops `n` bytes from the front. An emptied chunk rewinds, so all its space is free again.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Makes room for `n` bytes before the data by moving the data to the end of the chunk;
    /// false when the chunk is too small.
    pub(crate) fn make_headroom(&mut self, n: usize) -> bool {
        if self.start >= n {
            return true;
        }
        let len = self.len();
        if len + n > self.buf.len() {
            return false;
        }
        let new_start = self.buf.len() - len;
        self.buf.copy_within(self.start..self.end, new_start);
        self.start = new_start;
        self.end = self.buf.len();
        true
    }

    /// Puts `data` just before the current data; the caller made the headroom.
    pub(crate) fn prepend(&mut self, data: &[u8]) {
        debug_assert!(self.start >= data.len());
        self.start -= data.len();
        self.buf[self.start..self.start + data.len()].copy_from_slice(data);
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        give_storage(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_consume_and_rewind() {
        let mut c = Chunk::with_room(10);
        assert_eq!(c.room(), SMALL);
        assert_eq!(c.append(b"hello"), 5);
        c.consume(2);
        assert_eq!(c.data(), b"llo");
        c.consume(3);
        assert!(c.is_empty());
        assert_eq!(c.room(), SMALL);
    }

    #[test]
    fn headroom_moves_data_to_the_end() {
        let mut c = Chunk::with_room(1);
        c.append(b"world");
        assert!(c.make_headroom(6));
        c.prepend(b"hello ");
        assert_eq!(c.data(), b"hello world");
        assert_eq!(c.room(), 0);
    }

    #[test]
    fn recycled_storage_is_reused() {
        let c = Chunk::with_room(LARGE);
        let ptr = c.buf.as_ptr();
        drop(c);
        let d = Chunk::with_room(LARGE);
        assert_eq!(d.buf.as_ptr(), ptr);
    }
}
