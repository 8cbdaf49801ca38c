//! One link of an evbuffer's chain (libevent's `struct evbuffer_chain`), sized exactly as
//! libevent sizes it, and a per-thread pool that recycles chunk storage by size class, so moving
//! bytes through buffers allocates nothing once warm.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

/// libevent's `EVBUFFER_CHAIN_SIZE` on a 64-bit system: the chain header allocated in front of
/// each chain's bytes, and taken off the power of two it allocates.
pub(crate) const CHAIN_HEADER: usize = 48;

/// libevent's `MIN_BUFFER_SIZE` (64-bit): the smallest allocation for a chain, header included.
const MIN_BUFFER_SIZE: usize = 1024;

/// Allocations up to this size (header included) are pooled: 1 KiB to 64 KiB, seven classes.
const POOLED_MAX: usize = 64 * 1024;
const CLASSES: usize = (POOLED_MAX / MIN_BUFFER_SIZE).trailing_zeros() as usize + 1;

/// At most this many bytes of recycled storage are kept per class and thread.
const POOL_BYTES_PER_CLASS: usize = 4 << 20;

/// libevent's `buffer_len` of `evbuffer_chain_new(size)`: the header and `size` rounded up to a
/// power of two (at least `MIN_BUFFER_SIZE`), less the header.
pub(crate) fn capacity_for(size: usize) -> usize {
    let total = size.saturating_add(CHAIN_HEADER);
    let alloc = if total < (isize::MAX as usize) / 2 {
        total.max(MIN_BUFFER_SIZE).next_power_of_two()
    } else {
        total
    };
    alloc - CHAIN_HEADER
}

/// The pool class of a storage length, if it is one of libevent's pooled sizes.
fn class_of(len: usize) -> Option<usize> {
    let alloc = len + CHAIN_HEADER;
    (alloc.is_power_of_two() && (MIN_BUFFER_SIZE..=POOLED_MAX).contains(&alloc))
        .then(|| (alloc / MIN_BUFFER_SIZE).trailing_zeros() as usize)
}

#[derive(Default)]
struct Pool {
    classes: [Vec<Box<[u8]>>; CLASSES],
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// Storage of exactly `len` bytes: recycled when `len` is a pooled size, else new.
fn take_storage(len: usize) -> Box<[u8]> {
    let pooled = class_of(len).and_then(|class| {
        POOL.try_with(|p| p.try_borrow_mut().ok()?.classes[class].pop())
            .ok()
            .flatten()
    });
    pooled.unwrap_or_else(|| vec![0u8; len].into_boxed_slice())
}

fn give_storage(buf: Box<[u8]>) {
    let Some(class) = class_of(buf.len()) else {
        return;
    };
    // A thread that is exiting has no pool left; the storage is then simply freed.
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            let keep = (POOL_BYTES_PER_CLASS / buf.len()).max(16);
            let list = &mut p.classes[class];
            if list.len() < keep {
                list.push(buf);
            }
        }
    });
}

/// One chain: `buf[misalign..misalign + off]` is data, `buf[misalign + off..capacity]` is free
/// space for appending, `buf[..misalign]` space freed at the front (libevent's `buffer_len`,
/// `misalign` and `off`). The storage may be longer than `capacity` (see
/// [`Chunk::for_read`]); only `capacity` bytes of it count.
pub(crate) struct Chunk {
    buf: Box<[u8]>,
    capacity: usize,
    pub(crate) misalign: usize,
    pub(crate) off: usize,
    /// libevent's `EVBUFFER_IMMUTABLE`: nothing is written into it (no free space, no
    /// realigning, no prepending into its misalignment).
    pub(crate) immutable: bool,
    /// What kind of chain libevent would have here.
    pub(crate) kind: ChunkKind,
    /// Runs when the last chunk holding it is freed (a reference's or file segment's cleanup).
    pub(crate) release: Option<Arc<Release>>,
}

/// The kind of a chain, as libevent's flags tell them apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) enum ChunkKind {
    /// Bytes of the buffer's own.
    #[default]
    Plain,
    /// `evbuffer_add_reference`'s `EVBUFFER_REFERENCE`.
    Reference,
    /// `evbuffer_add_file_segment`'s `EVBUFFER_FILESEGMENT`.
    Segment,
    /// `evbuffer_add_buffer_reference`'s `EVBUFFER_MULTICAST`.
    Multicast,
}

/// Something to do once, when the last chunk (or other holder) of it is freed: libevent's
/// `cleanupfn` of a reference chain, or the release of a file segment's last reference.
pub struct Release(Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl Release {
    /// A release running `f` when the last clone of the returned `Arc` goes.
    pub fn new(f: impl FnOnce() + Send + 'static) -> Arc<Release> {
        Arc::new(Release(Mutex::new(Some(Box::new(f)))))
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        let f = self
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(f) = f {
            f();
        }
    }
}

impl Chunk {
    /// An empty chunk as libevent's `evbuffer_chain_new(size)` makes it.
    pub(crate) fn new(size: usize) -> Chunk {
        let capacity = capacity_for(size);
        Chunk {
            buf: take_storage(capacity),
            capacity,
            misalign: 0,
            off: 0,
            immutable: false,
            kind: ChunkKind::Plain,
            release: None,
        }
    }

    /// An immutable chunk holding exactly a copy of `data` (libevent's reference, file segment
    /// and multicast chains, whose `buffer_len` is their data's length), of `kind`, releasing
    /// `release` when freed.
    pub(crate) fn exact(data: &[u8], kind: ChunkKind, release: Option<Arc<Release>>) -> Chunk {
        Chunk {
            buf: data.to_vec().into_boxed_slice(),
            capacity: data.len(),
            misalign: 0,
            off: data.len(),
            immutable: true,
            kind,
            release,
        }
    }

    /// Makes the capacity that of `evbuffer_chain_new(size)`, which must fit the storage and
    /// the data: a chunk made for the most a read could bring takes the size libevent would
    /// have given it, had it known how much would come.
    pub(crate) fn set_size(&mut self, size: usize) {
        let capacity = capacity_for(size);
        debug_assert!(capacity <= self.buf.len() && self.misalign + self.off <= capacity);
        self.capacity = capacity;
    }

    /// libevent's `buffer_len`.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes held.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.misalign..self.misalign + self.off]
    }

    /// Free space after the data (libevent's `CHAIN_SPACE_LEN`).
    pub(crate) fn space(&self) -> usize {
        if self.immutable {
            return 0;
        }
        self.capacity - self.misalign - self.off
    }

    /// The free space after the data, to be filled and then [`Chunk::commit`]ted.
    pub(crate) fn space_mut(&mut self) -> &mut [u8] {
        let start = self.misalign + self.off;
        let end = start + self.space();
        &mut self.buf[start..end]
    }

    /// Where the free space starts (libevent's `CHAIN_SPACE_PTR`), to recognise it.
    pub(crate) fn space_ptr(&self) -> *const u8 {
        self.buf[self.misalign + self.off..].as_ptr()
    }

    /// Marks `n` bytes of the free space as data.
    pub(crate) fn commit(&mut self, n: usize) {
        debug_assert!(n <= self.space());
        self.off += n;
    }

    /// Copies `data`, which must fit, into the free space.
    pub(crate) fn append(&mut self, data: &[u8]) {
        let start = self.misalign + self.off;
        self.buf[start..start + data.len()].copy_from_slice(data);
        self.off += data.len();
    }

    /// Drops `n` bytes from the front: they become misalignment, as libevent keeps them.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.off);
        self.misalign += n;
        self.off -= n;
    }

    /// Puts `data`, which must fit the misalignment, just before the data.
    pub(crate) fn put_front(&mut self, data: &[u8]) {
        debug_assert!(data.len() <= self.misalign);
        self.misalign -= data.len();
        self.buf[self.misalign..self.misalign + data.len()].copy_from_slice(data);
        self.off += data.len();
    }

    /// Moves the data to the start of the chunk (libevent's `evbuffer_chain_align`).
    pub(crate) fn align(&mut self) {
        self.buf
            .copy_within(self.misalign..self.misalign + self.off, 0);
        self.misalign = 0;
    }

    /// libevent's `evbuffer_chain_should_realign`: worth moving the data to the front to fit
    /// `n` more bytes (much room freed, little data to move).
    pub(crate) fn should_realign(&self, n: usize) -> bool {
        /// libevent's `MAX_TO_REALIGN_IN_EXPAND`.
        const MAX_TO_REALIGN: usize = 2048;
        !self.immutable
            && self.capacity - self.off >= n
            && self.off < self.capacity / 2
            && self.off <= MAX_TO_REALIGN
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
    fn capacities_are_libevents() {
        // evbuffer_chain_new: the 48-byte header plus the size, rounded up to a power of two of
        // at least 1024, less the header.
        assert_eq!(capacity_for(0), 976);
        assert_eq!(capacity_for(976), 976);
        assert_eq!(capacity_for(977), 2000);
        assert_eq!(capacity_for(3000), 4048);
        assert_eq!(capacity_for(4048), 4048);
        assert_eq!(capacity_for(4096), 8144);
        assert_eq!(capacity_for(100_000), 131_024);
    }

    #[test]
    fn append_consume_keeps_misalignment() {
        let mut c = Chunk::new(10);
        assert_eq!(c.space(), 976);
        c.append(b"hello");
        c.consume(2);
        assert_eq!(c.data(), b"llo");
        assert_eq!((c.misalign, c.space()), (2, 971));
        c.align();
        assert_eq!((c.misalign, c.space(), c.data()), (0, 973, &b"llo"[..]));
    }

    #[test]
    fn put_front_fills_the_misalignment() {
        let mut c = Chunk::new(1);
        c.misalign = c.capacity();
        c.put_front(b"world");
        c.put_front(b"hello ");
        assert_eq!(c.data(), b"hello world");
        assert_eq!(c.space(), 0);
    }

    #[test]
    fn recycled_storage_is_reused() {
        let c = Chunk::new(4096);
        let ptr = c.buf.as_ptr();
        drop(c);
        let d = Chunk::new(5000);
        assert_eq!(d.buf.as_ptr(), ptr);
    }

    #[test]
    fn a_read_chunk_shrinks_to_what_came() {
        let mut c = Chunk::new(4096);
        assert_eq!(c.space(), 8144);
        c.commit(100);
        c.set_size(100);
        assert_eq!((c.capacity(), c.space()), (976, 876));
    }
}
