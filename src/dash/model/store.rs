//! [`RecordStore`]: a timeline's records held compactly. Records are appended to an open block
//! of [`BLOCK`] records; a full block is written as the trace's own JSON lines
//! (`trace::encode_line`) and zstd-compressed, and read back on demand through a small cache of
//! decoded blocks. A record held costs a few bytes of compressed text instead of a `Record`
//! with its strings (about 185 bytes).
//!
//! Beyond [`MEMORY_BOUND`] bytes of compressed blocks, the oldest are moved to a temporary file
//! (unlinked at once, so it goes when the viewer does) and read back from there when needed.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::ops::{Deref, Range};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::{Arc, Mutex, PoisonError};

use crate::trace::{encode_line, Record};

/// Records per block (a block is compressed, and decoded, as a whole).
pub const BLOCK: usize = 1024;

/// Decoded blocks kept for reading (the most recently used).
const CACHED: usize = 8;

/// zstd level for closed blocks: the fastest, which already gains most.
const LEVEL: i32 = 1;

/// Compressed blocks kept in memory (64 MiB, a few million records); older ones are spilled to
/// a temporary file.
pub const MEMORY_BOUND: usize = 64 << 20;

/// Where a closed block's bytes are.
#[derive(Clone)]
enum Bytes {
    Memory(Box<[u8]>),
    /// At `offset` in a spill file, `len` bytes.
    Spilled {
        file: Arc<File>,
        offset: u64,
        len: u32,
    },
}

/// One closed block: [`BLOCK`] records as JSON lines, zstd-compressed (or as they are, should
/// compression fail).
#[derive(Clone)]
struct Packed {
    bytes: Bytes,
    /// Length of the JSON lines before compression; 0 when `bytes` are the lines themselves.
    raw_len: u32,
    /// `t_us` of the block's first record (records of one base never go back in time).
    first_t_us: u64,
}

/// The records of one timeline, in order: closed blocks compressed, the last block open.
pub struct RecordStore {
    closed: Vec<Packed>,
    open: Vec<Record>,
    /// Decoded closed blocks by index, least recently used first.
    cache: Mutex<Vec<(usize, Arc<[Record]>)>>,
    /// Bytes of compressed text of `closed` held in memory.
    packed_bytes: usize,
    scratch: Vec<u8>,
    /// Most bytes of compressed blocks kept in memory.
    bound: usize,
    /// Blocks before this one were spilled (or tried to be).
    spilled: usize,
    /// The file blocks are spilled to, and its length (made at the first spill; a clone makes
    /// its own).
    spill: Option<(Arc<File>, u64)>,
}

/// The records of one block, borrowed (the open block) or shared (a decoded closed block).
#[derive(Clone)]
enum BlockRef<'a> {
    Open(&'a [Record]),
    Closed(Arc<[Record]>),
}

impl Deref for BlockRef<'_> {
    type Target = [Record];
    fn deref(&self) -> &[Record] {
        match self {
            BlockRef::Open(r) => r,
            BlockRef::Closed(r) => r,
        }
    }
}

/// One record of a `RecordStore`; dereferences to the [`Record`] (so `clone()` gives one).
pub struct RecordRef<'a> {
    block: BlockRef<'a>,
    i: usize,
}

impl Deref for RecordRef<'_> {
    type Target = Record;
    fn deref(&self) -> &Record {
        &self.block[self.i]
    }
}

impl fmt::Debug for RecordRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Record::fmt(self, f)
    }
}

impl PartialEq<Record> for RecordRef<'_> {
    fn eq(&self, other: &Record) -> bool {
        **self == *other
    }
}

impl Default for RecordStore {
    fn default() -> RecordStore {
        RecordStore {
            closed: Vec::new(),
            open: Vec::with_capacity(BLOCK),
            cache: Mutex::new(Vec::new()),
            packed_bytes: 0,
            scratch: Vec::new(),
            bound: MEMORY_BOUND,
            spilled: 0,
            spill: None,
        }
    }
}

impl Clone for RecordStore {
    fn clone(&self) -> RecordStore {
        RecordStore {
            closed: self.closed.clone(),
            open: self.open.clone(),
            cache: Mutex::new(Vec::new()),
            packed_bytes: self.packed_bytes,
            scratch: Vec::new(),
            bound: self.bound,
            spilled: self.spilled,
            spill: None,
        }
    }
}

impl fmt::Debug for RecordStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordStore")
            .field("len", &self.len())
            .field("packed_bytes", &self.packed_bytes)
            .finish()
    }
}

impl RecordStore {
    /// An empty store keeping at most `bound` bytes of compressed blocks in memory.
    #[cfg(test)]
    pub fn with_memory_bound(bound: usize) -> RecordStore {
        RecordStore {
            bound,
            ..RecordStore::default()
        }
    }

    /// Bytes of records spilled to the temporary file.
    pub fn spilled_bytes(&self) -> u64 {
        self.spill.as_ref().map_or(0, |(_, len)| *len)
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.closed.len() * BLOCK + self.open.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `r`; closes the open block when it is full.
    pub fn push(&mut self, r: Record) {
        self.open.push(r);
        if self.open.len() == BLOCK {
            self.close_block();
        }
    }

    fn close_block(&mut self) {
        self.scratch.clear();
        for r in &self.open {
            encode_line(r, &mut self.scratch);
        }
        let first_t_us = self.open.first().map_or(0, |r| r.t_us);
        let packed = match zstd::bulk::compress(&self.scratch, LEVEL) {
            Ok(z) if u32::try_from(self.scratch.len()).is_ok() => Packed {
                bytes: Bytes::Memory(z.into_boxed_slice()),
                raw_len: self.scratch.len() as u32,
                first_t_us,
            },
            _ => Packed {
                bytes: Bytes::Memory(self.scratch.as_slice().into()),
                raw_len: 0,
                first_t_us,
            },
        };
        if let Bytes::Memory(b) = &packed.bytes {
            self.packed_bytes += b.len();
        }
        self.closed.push(packed);
        while self.packed_bytes > self.bound && self.spilled < self.closed.len() {
            self.spill_oldest();
        }
        // The block just closed is the likeliest to be read next (a live view steps back).
        let records: Arc<[Record]> = std::mem::replace(&mut self.open, Vec::with_capacity(BLOCK))
            .into_boxed_slice()
            .into();
        self.remember(self.closed.len() - 1, records);
    }

    /// Moves the oldest block still in memory to the spill file; a block that cannot be
    /// written stays in memory (the bound is then exceeded, nothing is lost).
    fn spill_oldest(&mut self) {
        let k = self.spilled;
        self.spilled += 1;
        let Bytes::Memory(bytes) = &self.closed[k].bytes else {
            return;
        };
        let Ok(len) = u32::try_from(bytes.len()) else {
            return;
        };
        if self.spill.is_none() {
            match spill_file() {
                Ok(f) => self.spill = Some((Arc::new(f), 0)),
                Err(_) => return,
            }
        }
        let Some((file, end)) = self.spill.as_mut() else {
            return;
        };
        if file.write_all_at(bytes, *end).is_err() {
            return;
        }
        let freed = bytes.len();
        self.closed[k].bytes = Bytes::Spilled {
            file: file.clone(),
            offset: *end,
            len,
        };
        *end += u64::from(len);
        self.packed_bytes -= freed;
    }

    /// Block `k`'s records (`k` may be the open block's index).
    fn block(&self, k: usize) -> Option<BlockRef<'_>> {
        if k == self.closed.len() {
            return Some(BlockRef::Open(&self.open));
        }
        let packed = self.closed.get(k)?;
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = cache.iter().position(|(i, _)| *i == k) {
                let hit = cache.remove(at);
                let records = hit.1.clone();
                cache.push(hit);
                return Some(BlockRef::Closed(records));
            }
        }
        let records: Arc<[Record]> = decode(packed).into();
        self.remember(k, records.clone());
        Some(BlockRef::Closed(records))
    }

    fn remember(&self, k: usize, records: Arc<[Record]>) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|(i, _)| *i != k);
        if cache.len() == CACHED {
            cache.remove(0);
        }
        cache.push((k, records));
    }

    /// Record `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<RecordRef<'_>> {
        let block = self.block(i / BLOCK)?;
        let i = i % BLOCK;
        (i < block.len()).then_some(RecordRef { block, i })
    }

    /// The records in `range` (clamped to the length), in order.
    pub fn range(&self, range: Range<usize>) -> Records<'_> {
        let end = range.end.min(self.len());
        Records {
            store: self,
            next: range.start.min(end),
            end,
            current: None,
        }
    }

    /// The position of the first record whose `t_us` is after `t_us` (records of one base are
    /// in time order): a binary search over the blocks, then within one.
    pub fn partition_by_time(&self, t_us: u64) -> usize {
        let blocks = self.closed.len() + usize::from(!self.open.is_empty());
        let first = |k: usize| match self.closed.get(k) {
            Some(p) => p.first_t_us,
            None => self.open[0].t_us,
        };
        let (mut lo, mut hi) = (0, blocks);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if first(mid) <= t_us {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let Some(k) = lo.checked_sub(1) else {
            return 0;
        };
        match self.block(k) {
            Some(b) => k * BLOCK + b.partition_point(|r| r.t_us <= t_us),
            None => k * BLOCK,
        }
    }

    /// Bytes this store holds: compressed blocks, the open block, decoded blocks cached, and
    /// the bookkeeping around them (string contents of the open and cached records excluded:
    /// labels and notes are short and rare).
    pub fn held_bytes(&self) -> usize {
        let record = std::mem::size_of::<Record>();
        let cached: usize = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.iter().map(|(_, r)| r.len() * record).sum()
        };
        self.packed_bytes
            + self.closed.capacity() * std::mem::size_of::<Packed>()
            + self
                .spill
                .as_ref()
                .map_or(0, |_| std::mem::size_of::<File>())
            + self.open.capacity() * record
            + self.scratch.capacity()
            + cached
    }

    /// Every record, handed over one block at a time.
    pub fn into_records(self) -> impl Iterator<Item = Record> {
        let RecordStore { closed, open, .. } = self;
        closed.into_iter().flat_map(|p| decode(&p)).chain(open)
    }
}

/// A closed block's records. The text was written by `encode_line` from records, so it reads
/// back whole; a line that did not would be left out rather than stop the viewer.
fn decode(packed: &Packed) -> Vec<Record> {
    let read;
    let bytes: &[u8] = match &packed.bytes {
        Bytes::Memory(b) => b,
        Bytes::Spilled { file, offset, len } => {
            let mut buf = vec![0; *len as usize];
            if file.read_exact_at(&mut buf, *offset).is_err() {
                buf.clear();
            }
            read = buf;
            &read
        }
    };
    let raw;
    let text: &[u8] = if packed.raw_len == 0 {
        bytes
    } else {
        raw = zstd::bulk::decompress(bytes, packed.raw_len as usize).unwrap_or_default();
        &raw
    };
    let mut out = Vec::with_capacity(BLOCK);
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Ok(r) = serde_json::from_slice::<Record>(line) {
            out.push(r);
        }
    }
    out
}

/// A new file in the temporary directory, already unlinked: only this process can reach it,
/// and it goes when the viewer does.
fn spill_file() -> std::io::Result<File> {
    let dir = std::env::temp_dir();
    let mut last = None;
    for n in 0..100u32 {
        let path = dir.join(format!("evscope-history-{}-{n}", std::process::id()));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no spill file")))
}

/// An iterator over some of a store's records (`RecordStore::range`).
pub struct Records<'a> {
    store: &'a RecordStore,
    next: usize,
    end: usize,
    current: Option<(usize, BlockRef<'a>)>,
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordRef<'a>;

    fn next(&mut self) -> Option<RecordRef<'a>> {
        if self.next >= self.end {
            return None;
        }
        let k = self.next / BLOCK;
        let block = match &self.current {
            Some((at, b)) if *at == k => b.clone(),
            _ => {
                let b = self.store.block(k)?;
                self.current = Some((k, b.clone()));
                b
            }
        };
        let i = self.next % BLOCK;
        if i >= block.len() {
            self.next = self.end;
            return None;
        }
        self.next += 1;
        Some(RecordRef { block, i })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Body;

    fn note(seq: u64) -> Record {
        Record {
            seq,
            t_us: seq * 2,
            base: 0,
            body: Body::Note {
                text: format!("n{seq}"),
            },
        }
    }

    #[test]
    fn records_read_back_from_closed_and_open_blocks() {
        let mut s = RecordStore::default();
        let n = 3 * BLOCK + 17;
        for i in 0..n as u64 {
            s.push(note(i + 1));
        }
        assert_eq!(s.len(), n);
        assert_eq!(s.closed.len(), 3);
        for i in [0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 5, n - 1] {
            assert_eq!(*s.get(i).expect("held"), note(i as u64 + 1), "record {i}");
        }
        assert!(s.get(n).is_none());
        let all: Vec<u64> = s.range(0..usize::MAX).map(|r| r.seq).collect();
        assert_eq!(all, (1..=n as u64).collect::<Vec<_>>());
        let some: Vec<u64> = s.range(BLOCK - 2..BLOCK + 2).map(|r| r.seq).collect();
        assert_eq!(
            some,
            vec![
                BLOCK as u64 - 1,
                BLOCK as u64,
                BLOCK as u64 + 1,
                BLOCK as u64 + 2
            ]
        );
        let back: Vec<Record> = s.clone().into_records().collect();
        assert_eq!(back.len(), n);
        assert_eq!(back[2 * BLOCK], note(2 * BLOCK as u64 + 1));
    }

    #[test]
    fn blocks_beyond_the_memory_bound_are_spilled_and_read_back() {
        let mut s = RecordStore::with_memory_bound(0);
        let mut unbounded = RecordStore::default();
        let n = 5 * BLOCK + 3;
        for i in 0..n as u64 {
            s.push(note(i + 1));
            unbounded.push(note(i + 1));
        }
        assert_eq!(s.packed_bytes, 0, "every closed block is in the file");
        assert_eq!(s.spilled_bytes(), unbounded.packed_bytes as u64);
        assert!(
            s.held_bytes() + unbounded.packed_bytes <= unbounded.held_bytes() + 64,
            "the spilled bytes are no longer held"
        );
        let all: Vec<u64> = s.range(0..n).map(|r| r.seq).collect();
        assert_eq!(all, (1..=n as u64).collect::<Vec<_>>());
        // A clone reads the same file and spills to a file of its own.
        let mut c = s.clone();
        c.cache = Mutex::new(Vec::new());
        for i in n as u64..(n + BLOCK) as u64 {
            c.push(note(i + 1));
        }
        assert_eq!(*c.get(3).expect("held"), note(4));
        assert_eq!(*c.get(n + 7).expect("held"), note(n as u64 + 8));
        assert_eq!(*s.get(2 * BLOCK).expect("held"), note(2 * BLOCK as u64 + 1));
    }

    #[test]
    fn time_search_finds_the_first_record_after() {
        let mut s = RecordStore::default();
        for i in 0..(2 * BLOCK + 10) as u64 {
            s.push(note(i + 1));
        }
        // t_us = 2 * seq: the records up to seq 700 have t_us <= 1400.
        assert_eq!(s.partition_by_time(1400), 700);
        assert_eq!(s.partition_by_time(1401), 700);
        assert_eq!(s.partition_by_time(0), 0);
        assert_eq!(s.partition_by_time(2 * BLOCK as u64 * 2), 2 * BLOCK);
        assert_eq!(s.partition_by_time(u64::MAX), s.len());
    }
}
