//! [`RecordStore`]: a timeline's records held compactly. Records are appended to an open block
//! of [`BLOCK`] records; a full block is written as the trace's own JSON lines
//! (`trace::encode_line`) and zstd-compressed, and read back on demand through a small cache of
//! decoded blocks. A record held costs a few bytes of compressed text instead of a `Record`
//! with its strings (about 185 bytes).
//!
//! Beyond [`MEMORY_BOUND`] bytes of compressed blocks, the oldest are moved to a temporary file
//! (unlinked at once, so it goes when the viewer does) and read back from there when needed.
//!
//! A block that cannot be read back whole (the file fails, the bytes do not decompress, a line
//! does not parse) gives the records before the fault and a [`ReadError`] the store keeps (the
//! first one): the dashboard shows it, so lost history never passes for absent history.
//!
//! [`RecordStore::prefetch`] decodes the blocks next to the cursor on a background thread, so a
//! step across a block boundary finds its block already decoded.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::ops::{Deref, Range};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

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
    Memory(Arc<[u8]>),
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

/// Records of a closed block that could not be read back, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// Position of the first record lost.
    pub first: usize,
    /// Position of the last record lost.
    pub last: usize,
    /// What failed.
    pub why: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "history lost: records {}\u{2013}{} could not be read back ({})",
            self.first + 1,
            self.last + 1,
            self.why
        )
    }
}

impl std::error::Error for ReadError {}

/// What the store and its prefetch thread share: the decoded blocks and the first read error.
#[derive(Default)]
struct Shared {
    /// Decoded closed blocks by index, least recently used first.
    cache: Mutex<Vec<(usize, Arc<[Record]>)>>,
    /// The first block that could not be read back whole.
    error: Mutex<Option<ReadError>>,
}

impl Shared {
    fn cached(&self, k: usize) -> Option<Arc<[Record]>> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let at = cache.iter().position(|(i, _)| *i == k)?;
        let hit = cache.remove(at);
        let records = hit.1.clone();
        cache.push(hit);
        Some(records)
    }

    fn remember(&self, k: usize, records: Arc<[Record]>) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|(i, _)| *i != k);
        if cache.len() == CACHED {
            cache.remove(0);
        }
        cache.push((k, records));
    }

    /// Decodes block `k`, keeps the first error, and caches what was read.
    fn load(&self, k: usize, packed: &Packed) -> Arc<[Record]> {
        let (records, err) = decode(k, packed);
        if let Some(e) = err {
            let mut first = self.error.lock().unwrap_or_else(PoisonError::into_inner);
            first.get_or_insert(e);
        }
        let records: Arc<[Record]> = records.into();
        self.remember(k, records.clone());
        records
    }
}

/// Blocks to decode ahead, sent to the prefetch thread.
type Job = Vec<(usize, Packed)>;

/// The records of one timeline, in order: closed blocks compressed, the last block open.
pub struct RecordStore {
    closed: Vec<Packed>,
    open: Vec<Record>,
    shared: Arc<Shared>,
    /// The prefetch thread's queue (started at the first prefetch; `None` if it could not be).
    ahead: OnceLock<Option<Sender<Job>>>,
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
            shared: Arc::default(),
            ahead: OnceLock::new(),
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
            shared: Arc::new(Shared {
                error: Mutex::new(self.error()),
                ..Shared::default()
            }),
            ahead: OnceLock::new(),
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

    /// The first block of records that could not be read back, if any did not.
    pub fn error(&self) -> Option<ReadError> {
        let e = self
            .shared
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        e.clone()
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
                bytes: Bytes::Memory(z.into()),
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
        self.shared.remember(self.closed.len() - 1, records);
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
        let records = match self.shared.cached(k) {
            Some(records) => records,
            None => self.shared.load(k, packed),
        };
        Some(BlockRef::Closed(records))
    }

    /// Has the blocks a cursor at `pos` may step into next decoded on a background thread: its
    /// own, and the one before it (cursor in the first half of its block) or after it (in the
    /// second half). Blocks already decoded are not sent again.
    pub fn prefetch(&self, pos: usize) {
        let k = pos / BLOCK;
        let near = if pos % BLOCK < BLOCK / 2 {
            k.checked_sub(1)
        } else {
            Some(k + 1)
        };
        let job: Job = {
            let cache = self
                .shared
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            [Some(k), near]
                .into_iter()
                .flatten()
                .filter(|i| !cache.iter().any(|(c, _)| c == i))
                .filter_map(|i| Some((i, self.closed.get(i)?.clone())))
                .collect()
        };
        if job.is_empty() {
            return;
        }
        let ahead = self.ahead.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let shared = Arc::downgrade(&self.shared);
            let started = std::thread::Builder::new()
                .name("evscope-history".into())
                .spawn(move || decode_ahead(&rx, &shared));
            started.ok().map(|_| tx)
        });
        if let Some(tx) = ahead {
            // The thread only stops when the store goes: nothing to do if it did.
            tx.send(job).ok();
        }
    }

    /// True when block `k` is decoded and kept.
    #[cfg(test)]
    pub(crate) fn is_decoded(&self, k: usize) -> bool {
        self.shared.cached(k).is_some()
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
            let cache = self.shared.cache.lock();
            let cache = cache.unwrap_or_else(PoisonError::into_inner);
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

    /// Every record, handed over one block at a time; a block that cannot be read back ends
    /// them with the error (after the records before the fault).
    pub fn into_records(self) -> impl Iterator<Item = Result<Record, ReadError>> {
        let RecordStore { closed, open, .. } = self;
        let closed = closed.into_iter().enumerate().flat_map(|(k, p)| {
            let (records, err) = decode(k, &p);
            records.into_iter().map(Ok).chain(err.map(Err))
        });
        let mut ok = true;
        closed
            .chain(open.into_iter().map(Ok))
            .take_while(move |r| std::mem::replace(&mut ok, r.is_ok()))
    }
}

/// The prefetch thread: decodes the blocks asked for (only the latest request when several
/// wait) until the store goes.
fn decode_ahead(rx: &Receiver<Job>, shared: &std::sync::Weak<Shared>) {
    while let Ok(mut job) = rx.recv() {
        while let Ok(newer) = rx.try_recv() {
            job = newer;
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for (k, packed) in job {
            if shared.cached(k).is_none() {
                shared.load(k, &packed);
            }
        }
    }
}

/// Block `k`'s records, and what stopped them if they are not all there. The text was written
/// by `encode_line` from records, so it reads back whole unless the memory or the spill file
/// failed: then the records before the fault are given and the rest are reported lost.
fn decode(k: usize, packed: &Packed) -> (Vec<Record>, Option<ReadError>) {
    let lost = |read: usize, why: String| ReadError {
        first: k * BLOCK + read,
        last: k * BLOCK + BLOCK - 1,
        why,
    };
    let read;
    let bytes: &[u8] = match &packed.bytes {
        Bytes::Memory(b) => b,
        Bytes::Spilled { file, offset, len } => {
            let mut buf = vec![0; *len as usize];
            if let Err(e) = file.read_exact_at(&mut buf, *offset) {
                let why =
                    format!("block {k}: reading {len} bytes at {offset} of the spill file: {e}");
                return (Vec::new(), Some(lost(0, why)));
            }
            read = buf;
            &read
        }
    };
    let raw;
    let text: &[u8] = if packed.raw_len == 0 {
        bytes
    } else {
        match zstd::bulk::decompress(bytes, packed.raw_len as usize) {
            Ok(t) if t.len() == packed.raw_len as usize => {
                raw = t;
                &raw
            }
            Ok(t) => {
                let why = format!(
                    "block {k} decompressed to {} bytes, not {}",
                    t.len(),
                    packed.raw_len
                );
                return (Vec::new(), Some(lost(0, why)));
            }
            Err(e) => {
                let why = format!("block {k} does not decompress: {e}");
                return (Vec::new(), Some(lost(0, why)));
            }
        }
    };
    let mut out = Vec::with_capacity(BLOCK);
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => out.push(r),
            Err(e) => {
                let why = format!("block {k}, line {}: {e}", n + 1);
                let read = out.len();
                return (out, Some(lost(read, why)));
            }
        }
    }
    if out.len() < BLOCK {
        let why = format!("block {k} holds {} records, not {BLOCK}", out.len());
        let read = out.len();
        return (out, Some(lost(read, why)));
    }
    (out, None)
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
        let back: Vec<Record> = s
            .clone()
            .into_records()
            .collect::<Result<_, _>>()
            .expect("read back");
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
        c.shared.cache.lock().expect("cache").clear();
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

    fn filled(bound: usize, blocks: usize) -> RecordStore {
        let mut s = RecordStore::with_memory_bound(bound);
        for i in 0..(blocks * BLOCK + 5) as u64 {
            s.push(note(i + 1));
        }
        s.shared.cache.lock().expect("cache").clear();
        s
    }

    #[test]
    fn a_spill_file_that_fails_is_reported_not_read_as_no_records() {
        let s = filled(0, 3);
        assert_eq!(s.error(), None);
        let (file, _) = s.spill.as_ref().expect("spilled");
        file.set_len(10).expect("truncate the spill file");
        assert!(s.get(BLOCK + 3).is_none(), "block 1 is lost");
        let e = s.error().expect("the loss is reported");
        assert_eq!((e.first, e.last), (BLOCK, 2 * BLOCK - 1));
        assert!(e.why.contains("spill file"), "{e}");
        let shown = e.to_string();
        assert!(shown.contains("records 1025\u{2013}2048"), "{shown}");
        // Reading on does not replace the first error; the open block still reads.
        assert!(s.get(3).is_none());
        assert_eq!(s.error(), Some(e));
        assert_eq!(
            *s.get(3 * BLOCK + 1).expect("open block"),
            note(3 * BLOCK as u64 + 2)
        );
        // The records before the loss are given, then the error, then nothing.
        let all: Vec<_> = s.into_records().collect();
        assert_eq!(all.len(), 1);
        assert!(all[0].is_err());
    }

    #[test]
    fn a_block_that_does_not_decompress_is_reported() {
        let mut s = filled(MEMORY_BOUND, 3);
        let Bytes::Memory(b) = &s.closed[2].bytes else {
            panic!("held in memory");
        };
        let mut bad = b.to_vec();
        bad.truncate(bad.len() / 2);
        s.closed[2].bytes = Bytes::Memory(bad.into());
        let seqs: Vec<u64> = s.range(0..s.len()).map(|r| r.seq).collect();
        assert_eq!(
            seqs,
            (1..=2 * BLOCK as u64).collect::<Vec<_>>(),
            "stops at the loss"
        );
        let e = s.error().expect("reported");
        assert_eq!((e.first, e.last), (2 * BLOCK, 3 * BLOCK - 1));
        assert!(e.why.contains("block 2"), "{e}");
        let back: Vec<_> = s.into_records().collect();
        assert_eq!(back.len(), 2 * BLOCK + 1);
        assert!(back[2 * BLOCK].is_err());
    }

    #[test]
    fn a_line_that_does_not_parse_is_reported_with_its_number() {
        let mut s = filled(MEMORY_BOUND, 2);
        let mut text = Vec::new();
        for i in 0..BLOCK as u64 {
            if i == 4 {
                text.extend_from_slice(b"{\"seq\":5,\"t_us\n");
            } else {
                encode_line(&note(BLOCK as u64 + i + 1), &mut text);
            }
        }
        s.closed[1] = Packed {
            bytes: Bytes::Memory(text.into()),
            raw_len: 0,
            first_t_us: s.closed[1].first_t_us,
        };
        assert_eq!(
            *s.get(BLOCK + 3).expect("before the bad line"),
            note(BLOCK as u64 + 4)
        );
        assert!(s.get(BLOCK + 4).is_none());
        assert!(
            s.get(BLOCK + 5).is_none(),
            "nothing after it passes for fine"
        );
        let e = s.error().expect("reported");
        assert_eq!((e.first, e.last), (BLOCK + 4, 2 * BLOCK - 1));
        assert!(e.why.contains("block 1, line 5"), "{e}");
    }

    #[test]
    fn the_blocks_next_to_the_cursor_are_decoded_ahead() {
        let s = filled(MEMORY_BOUND, 4);
        let cached = |k: usize| {
            let cache = s.shared.cache.lock().expect("cache");
            cache.iter().any(|(i, _)| *i == k)
        };
        // The thread works on its own time: wait (generously) for what it was asked.
        let decoded = |ks: &[usize]| {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !ks.iter().all(|&k| cached(k)) && std::time::Instant::now() < until {
                std::thread::yield_now();
            }
            ks.iter().all(|&k| cached(k))
        };
        // In the first half of block 2: blocks 2 and 1.
        s.prefetch(2 * BLOCK + 3);
        assert!(decoded(&[2, 1]));
        assert!(!cached(0) && !cached(3));
        // In the second half of block 2: block 3.
        s.prefetch(3 * BLOCK - 3);
        assert!(decoded(&[3]));
        assert!(!cached(0));
        assert_eq!(s.error(), None);
    }
}
