//! Bytes that libevent keeps in chains of their own: `evbuffer_add_reference` (the program's
//! memory), `evbuffer_add_file_segment` (a file's) and `evbuffer_add_buffer_reference` (another
//! buffer's). Here the bytes are copied into an immutable chunk of their own, one per chain
//! libevent would make, so the chain looks the same (nothing is added into it, it is freed when
//! its last byte is drained) and its [`Release`] runs when libevent's cleanup would: when the
//! chunk is freed (drained, pulled up, or its buffer freed), or for a shared one, when the last
//! chunk holding it is.

use std::sync::Arc;

use super::super::chunk::{Chunk, ChunkKind, Release};
use super::Evbuffer;

impl Evbuffer {
    /// Appends `data` as one immutable chunk (libevent's `evbuffer_add_reference`); `release`
    /// runs when that chunk is freed.
    pub fn add_reference(&mut self, data: &[u8], release: Option<Arc<Release>>) {
        self.add_chunk(Chunk::exact(data, ChunkKind::Reference, release));
    }

    /// Appends `data`, a file segment's bytes, as one immutable chunk (libevent's
    /// `evbuffer_add_file_segment`); `segment` is released when that chunk is freed.
    pub fn add_segment(&mut self, data: &[u8], segment: Arc<Release>) {
        self.add_chunk(Chunk::exact(data, ChunkKind::Segment, Some(segment)));
    }

    fn add_chunk(&mut self, chunk: Chunk) {
        let n = chunk.off;
        self.chain_insert(chunk);
        self.note(n, 0);
    }

    /// Appends a copy of every byte of `src`, which keeps them (libevent's
    /// `evbuffer_add_buffer_reference`): one immutable chunk per chunk of `src` with data,
    /// holding that chunk's release, and `src`'s chunks become immutable. False, and nothing
    /// done, when `src` holds file segments or references to another buffer (libevent refuses
    /// them).
    pub fn add_buffer_reference(&mut self, src: &mut Evbuffer) -> bool {
        if src
            .chunks
            .iter()
            .any(|c| matches!(c.kind, ChunkKind::Segment | ChunkKind::Multicast))
        {
            return false;
        }
        if src.len == 0 {
            return true;
        }
        if self.len == 0 {
            self.chunks.clear();
            self.lwd = 0;
        }
        for chunk in src.chunks.iter_mut().filter(|c| c.off > 0) {
            chunk.immutable = true;
            let copy = Chunk::exact(chunk.data(), ChunkKind::Multicast, chunk.release.clone());
            self.chain_insert(copy);
        }
        self.note(src.len, 0);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counter() -> (Arc<AtomicUsize>, Arc<Release>) {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        (
            n,
            Release::new(move || {
                m.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    #[test]
    fn a_reference_is_released_with_its_last_byte() {
        let (n, release) = counter();
        let mut b = Evbuffer::new();
        b.add_reference(b"reference", Some(release));
        b.add(b"tail");
        b.prepend(b"<");
        // Neither the add nor the prepend went into the reference's chunk.
        assert_eq!(b.peek().count(), 3);
        assert_eq!(b.to_vec(), b"<referencetail");
        b.drain(9);
        assert_eq!(n.load(Ordering::SeqCst), 0);
        b.drain(1);
        assert_eq!(n.load(Ordering::SeqCst), 1);
        assert_eq!(b.to_vec(), b"tail");
    }

    #[test]
    fn a_shared_reference_waits_for_both_buffers() {
        let (n, release) = counter();
        let mut src = Evbuffer::new();
        src.add_reference(b"shared", Some(release));
        let mut dst = Evbuffer::new();
        assert!(dst.add_buffer_reference(&mut src));
        assert_eq!(
            (src.to_vec(), dst.to_vec()),
            (b"shared".to_vec(), b"shared".to_vec())
        );
        // A copy cannot be referenced again.
        assert!(!Evbuffer::new().add_buffer_reference(&mut dst));
        drop(src);
        assert_eq!(n.load(Ordering::SeqCst), 0);
        dst.drain(6);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_referenced_source_takes_no_more_bytes_in_its_chunks() {
        let mut src = Evbuffer::new();
        src.add(b"abc");
        let mut dst = Evbuffer::new();
        dst.add_buffer_reference(&mut src);
        src.add(b"def");
        assert_eq!(src.peek().count(), 2);
        assert_eq!(dst.to_vec(), b"abc");
    }
}
