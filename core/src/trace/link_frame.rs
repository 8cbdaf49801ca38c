//! Frames: how a TCP link sends records to a viewer that asked for them (`"frames":"zstd"` on
//! its token line) — a batch of records as one zstd frame, compressed once and shared by every
//! such viewer and by the history kept for late ones.
//!
//! On the wire a frame is one JSON line, `{"frame":"zstd","bytes":N,"records":R}`, then exactly
//! N bytes: a zstd frame that decompresses to R record lines of the header's version (3 to 5;
//! this build writes 5, one line per record), read as if they began a trace (what a line
//! leaves out is implied by the lines before it *in the same frame* only). So every frame
//! stands alone: a viewer whose records are skipped misses whole frames, and the `dropped`
//! record it gets between two frames is an ordinary whole line, as are statuses.
//!
//! A batch of echo-server records compresses to about a twentieth of its JSON, so thirty
//! viewers cost the program about what one costs it with plain lines.

use std::io;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::encode::encode_line;
use super::implied::Implied;
use super::record::Record;
use super::record_json::Lenient;

/// The only frame encoding, as named on the token line and in each frame's line.
pub const ZSTD: &str = "zstd";

/// zstd's level: the fastest of the normal levels, about 1 GB/s here on trace text.
const LEVEL: i32 = 1;

/// The most compressed bytes one frame may hold; a frame line announcing more is refused.
pub const MAX_FRAME_BYTES: u64 = 16 << 20;

/// The most bytes of text one frame may decompress to.
pub const MAX_FRAME_TEXT: u64 = 64 << 20;

/// The most records one frame may hold.
pub const MAX_FRAME_RECORDS: u64 = 1 << 20;

/// The line before a frame's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameHead {
    /// The encoding: `"zstd"`, the only one there is.
    pub frame: String,
    /// The frame's length in bytes, which follow the line's newline.
    pub bytes: u64,
    /// The record lines the frame decompresses to.
    pub records: u64,
}

impl FrameHead {
    /// `None` when `line` (without its newline) is not a frame line; otherwise the frame line,
    /// or why it cannot be taken.
    pub fn parse(line: &[u8]) -> Option<Result<FrameHead, String>> {
        if !line.starts_with(b"{\"frame\"") {
            return None;
        }
        let head: FrameHead = match serde_json::from_slice(line) {
            Ok(h) => h,
            Err(e) => return Some(Err(format!("a frame line that does not parse: {e}"))),
        };
        Some(head.check().map(|()| head))
    }

    fn check(&self) -> Result<(), String> {
        if self.frame != ZSTD {
            return Err(format!(
                "a frame of unknown encoding {:?} (this build reads {ZSTD:?})",
                self.frame
            ));
        }
        if self.bytes > MAX_FRAME_BYTES {
            return Err(format!(
                "a frame of {} bytes, more than the {MAX_FRAME_BYTES} a frame may have",
                self.bytes
            ));
        }
        if self.records > MAX_FRAME_RECORDS {
            return Err(format!(
                "a frame of {} records, more than the {MAX_FRAME_RECORDS} a frame may have",
                self.records
            ));
        }
        Ok(())
    }
}

/// Makes frames; keeps its buffers and zstd's context from one frame to the next.
pub struct FrameEncoder {
    text: Vec<u8>,
    packed: Vec<u8>,
    zstd: zstd::bulk::Compressor<'static>,
}

impl FrameEncoder {
    /// A new encoder.
    pub fn new() -> io::Result<FrameEncoder> {
        Ok(FrameEncoder {
            text: Vec::with_capacity(1 << 16),
            packed: Vec::new(),
            zstd: zstd::bulk::Compressor::new(LEVEL)?,
        })
    }

    /// `records` as one frame: its line and its bytes.
    pub fn encode(&mut self, records: &[Record]) -> io::Result<Arc<[u8]>> {
        self.text.clear();
        // One line per record (never `encode_lines`' left-out lines): a frame says how many
        // records it holds, and its reader counts them in lines.
        let mut implied = Implied::new();
        for r in records {
            implied.encode_line(r, &mut self.text);
        }
        let bound = zstd::zstd_safe::compress_bound(self.text.len());
        if self.packed.capacity() < bound {
            self.packed = Vec::with_capacity(bound);
        }
        self.zstd.compress_to_buffer(&self.text, &mut self.packed)?;
        let mut head = serde_json::to_vec(&FrameHead {
            frame: ZSTD.into(),
            bytes: self.packed.len() as u64,
            records: records.len() as u64,
        })?;
        head.push(b'\n');
        let mut out = Vec::with_capacity(head.len() + self.packed.len());
        out.extend_from_slice(&head);
        out.extend_from_slice(&self.packed);
        if self.text.capacity() > 4 << 20 {
            self.text = Vec::with_capacity(1 << 16);
            self.packed = Vec::new();
        }
        Ok(out.into())
    }
}

/// Decompresses the frame `packed` that `head` announced into `text` (replacing what it held):
/// R record lines, each ending in a newline. Errors say what is wrong with the frame.
pub fn unpack(head: &FrameHead, packed: &[u8], text: &mut Vec<u8>) -> Result<(), String> {
    let size = match zstd::zstd_safe::get_frame_content_size(packed) {
        Ok(Some(n)) => n,
        Ok(None) => return Err("a frame that does not say its size".into()),
        Err(_) => return Err("a frame that is not zstd data".into()),
    };
    if size > MAX_FRAME_TEXT {
        return Err(format!(
            "a frame of {size} bytes of text, more than the {MAX_FRAME_TEXT} a frame may have"
        ));
    }
    text.clear();
    text.reserve(size as usize);
    let mut z = zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?;
    z.decompress_to_buffer(packed, text)
        .map_err(|e| format!("a frame that does not decompress: {e}"))?;
    if text.len() as u64 != size {
        return Err(format!(
            "a frame that decompressed to {} bytes, not the {size} it said",
            text.len()
        ));
    }
    let lines = text.iter().filter(|&&b| b == b'\n').count() as u64;
    if lines != head.records || text.last().is_some_and(|&b| b != b'\n') {
        return Err(format!(
            "a frame of {lines} whole lines, not the {} records its line said",
            head.records
        ));
    }
    Ok(())
}

/// A whole frame (line and bytes) as whole record lines, for a viewer that reads lines: what a
/// late viewer catches up on is kept as frames.
pub fn frame_as_lines(frame: &[u8]) -> Result<Vec<u8>, String> {
    let nl = frame
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("a frame without its line")?;
    let head = match FrameHead::parse(&frame[..nl]) {
        Some(h) => h?,
        None => return Err("a frame without its line".into()),
    };
    let mut text = Vec::new();
    unpack(&head, &frame[nl + 1..], &mut text)?;
    let mut implied = Implied::new();
    let mut out = Vec::with_capacity(text.len() * 3 / 2);
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let Lenient(rec, absent) =
            serde_json::from_slice(line).map_err(|e| format!("a frame's line: {e}"))?;
        let (first, then) = implied.fill(rec, &absent)?;
        for rec in std::iter::once(&first).chain(&then) {
            encode_line(rec, &mut out);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ev::State;
    use crate::trace::schema::Body;

    fn records(n: u64) -> Vec<Record> {
        (1..=n)
            .map(|seq| Record {
                seq,
                t_us: 10 + seq / 3,
                base: 0,
                body: Body::Transition {
                    ev: 7,
                    fd: Some(5),
                    from: State::Pending,
                    to: State::Active,
                    cause: "fd_readable".into(),
                },
            })
            .collect()
    }

    fn split(frame: &[u8]) -> (FrameHead, &[u8]) {
        let nl = frame.iter().position(|&b| b == b'\n').unwrap();
        (
            FrameHead::parse(&frame[..nl]).unwrap().unwrap(),
            &frame[nl + 1..],
        )
    }

    #[test]
    fn a_frame_unpacks_to_its_records_and_converts_to_whole_lines() {
        let recs = records(500);
        let mut enc = FrameEncoder::new().unwrap();
        let frame = enc.encode(&recs).unwrap();
        let (head, packed) = split(&frame);
        assert_eq!(head.records, 500);
        assert_eq!(head.bytes as usize, packed.len());
        let mut whole = Vec::new();
        for r in &recs {
            encode_line(r, &mut whole);
        }
        assert!(
            packed.len() * 10 < whole.len(),
            "{} of {}",
            packed.len(),
            whole.len()
        );
        let mut text = Vec::new();
        unpack(&head, packed, &mut text).unwrap();
        assert!(
            text.len() < whole.len(),
            "the lines leave out what is implied"
        );
        assert_eq!(frame_as_lines(&frame).unwrap(), whole);
        // The encoder's state does not leak from one frame into the next.
        let again = enc.encode(&recs[250..]).unwrap();
        let mut tail = Vec::new();
        for r in &recs[250..] {
            encode_line(r, &mut tail);
        }
        assert_eq!(frame_as_lines(&again).unwrap(), tail);
    }

    #[test]
    fn bad_frames_are_refused_with_what_is_wrong() {
        let frame = FrameEncoder::new().unwrap().encode(&records(3)).unwrap();
        let (head, packed) = split(&frame);
        let mut text = Vec::new();
        let lying = FrameHead {
            records: 4,
            ..head.clone()
        };
        let e = unpack(&lying, packed, &mut text).unwrap_err();
        assert!(e.contains("3 whole lines, not the 4"), "{e}");
        let e = unpack(&head, &packed[..packed.len() - 2], &mut text).unwrap_err();
        assert!(e.contains("does not decompress"), "{e}");
        let e = unpack(&head, b"not zstd at all", &mut text).unwrap_err();
        assert!(e.contains("not zstd"), "{e}");
        let e = FrameHead::parse(br#"{"frame":"gzip","bytes":3,"records":1}"#)
            .unwrap()
            .unwrap_err();
        assert!(e.contains("unknown encoding"), "{e}");
        let e = FrameHead::parse(br#"{"frame":"zstd","bytes":99999999999,"records":1}"#)
            .unwrap()
            .unwrap_err();
        assert!(e.contains("more than"), "{e}");
        assert!(FrameHead::parse(br#"{"kind":"dropped"}"#).is_none());
    }
}
