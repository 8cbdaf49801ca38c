//! A record as one JSON line, written straight into a byte buffer: the sink thread's hot path.
//! The body's fields are written as the schema (`schema.rs`) says, the same as `Record`'s
//! `Serialize` writes them, several times faster: each key with its quotes, colon and the comma
//! before it is one static slice, the names the library writes (kinds, states, flag lists) are
//! made at compile time and appended as [`Short`]s, numbers below 100 are a byte or two, and a
//! string with nothing to escape is copied at once.

use super::record::Record;
use super::wire::bit;

/// Appends `rec` as one JSON line (with its newline) to `out`, every field written.
pub fn encode_line(rec: &Record, out: &mut Vec<u8>) {
    let mut e = Enc(out);
    e.raw("{\"seq\":");
    e.num(rec.seq);
    e.raw(",\"t_us\":");
    e.num(rec.t_us);
    if rec.base != 0 {
        e.raw(",\"base\":");
        e.num(u64::from(rec.base));
    }
    e.0.push(b',');
    e.short(&rec.body.kind_field());
    rec.body.encode_fields(&mut e, None);
    e.raw("}\n");
}

/// Appends `rec` as one line of version 3, 4 or 5, leaving out the fields whose `wire::bit` is in
/// `skip` (`seq` and `t_us` among them), which the lines before it imply (`implied.rs`).
pub(crate) fn encode_line_skipping(rec: &Record, skip: u32, out: &mut Vec<u8>) {
    let mut e = Enc(out);
    // The byte before the next field: the line's `{`, then a comma.
    let mut sep = b'{';
    if skip & const { bit("seq") } == 0 {
        e.raw("{\"seq\":");
        e.num(rec.seq);
        sep = b',';
    }
    if skip & const { bit("t_us") } == 0 {
        e.0.push(sep);
        e.raw("\"t_us\":");
        e.num(rec.t_us);
        sep = b',';
    }
    if rec.base != 0 {
        e.0.push(sep);
        e.raw("\"base\":");
        e.num(u64::from(rec.base));
        sep = b',';
    }
    e.0.push(sep);
    e.short(&rec.body.kind_field());
    rec.body.encode_fields(&mut e, Some(skip));
    e.raw("}\n");
}

/// At most `N` bytes made at compile time, kept padded to `N`: appending them is one copy of a
/// fixed size, which the compiler makes a few moves, and a truncation, where appending a slice
/// of unknown length is a call to `memcpy` for a few bytes.
#[derive(Clone, Copy)]
pub(crate) struct Short<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Short<N> {
    /// No bytes.
    pub(crate) const EMPTY: Short<N> = Short {
        bytes: [0; N],
        len: 0,
    };

    /// These bytes followed by `s` (past `N` bytes in all: a compile-time error where it is
    /// made in a constant).
    pub(crate) const fn then(mut self, s: &str) -> Short<N> {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            self.bytes[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// The bytes.
    #[cfg(test)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Appends JSON to a byte buffer.
pub(crate) struct Enc<'a>(pub(crate) &'a mut Vec<u8>);

impl Enc<'_> {
    /// Appends `s` as it is.
    pub(crate) fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    /// Appends `s`.
    pub(crate) fn short<const N: usize>(&mut self, s: &Short<N>) {
        let end = self.0.len() + s.len;
        self.0.extend_from_slice(&s.bytes);
        self.0.truncate(end);
    }
    /// Appends an unsigned number.
    pub(crate) fn num(&mut self, n: u64) {
        // Most numbers a line holds (descriptors, counts, priorities, ids) are below 100.
        if n < 100 {
            self.two_digits(n as u8);
        } else {
            self.raw(itoa::Buffer::new().format(n));
        }
    }
    /// Appends a signed number.
    pub(crate) fn int(&mut self, n: i64) {
        if (0..100).contains(&n) {
            self.two_digits(n as u8);
        } else {
            self.raw(itoa::Buffer::new().format(n));
        }
    }
    /// Appends `n` (below 100) in decimal.
    fn two_digits(&mut self, n: u8) {
        if n >= 10 {
            self.0.push(b'0' + n / 10);
        }
        self.0.push(b'0' + n % 10);
    }
    /// Appends `s` in quotes, for a string known to need no escaping.
    pub(crate) fn quoted(&mut self, s: &str) {
        self.0.reserve(s.len() + 2);
        self.0.push(b'"');
        self.raw(s);
        self.0.push(b'"');
    }
    /// Appends a list of names known to need no escaping, e.g. `["READ","PERSIST"]`.
    pub(crate) fn names<'n>(&mut self, names: impl Iterator<Item = &'n str>) {
        let mut sep = b'[';
        for n in names {
            self.0.push(sep);
            self.quoted(n);
            sep = b',';
        }
        if sep == b'[' {
            self.0.push(b'[');
        }
        self.0.push(b']');
    }
    /// A JSON string, escaped as serde_json escapes it.
    pub(crate) fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = s.as_bytes();
        // The usual case, a name or a label with nothing to escape, is one copy. The test looks
        // at every byte (no early exit), which the compiler does many bytes at a time.
        let plain = bytes
            .iter()
            .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
        if plain {
            self.quoted(s);
            return;
        }
        self.0.push(b'"');
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[start..i]);
            if esc.is_empty() {
                self.0.extend_from_slice(b"\\u00");
                self.0.push(HEX[usize::from(b >> 4)]);
                self.0.push(HEX[usize::from(b & 0xf)]);
            } else {
                self.0.extend_from_slice(esc);
            }
            start = i + 1;
        }
        self.0.extend_from_slice(&bytes[start..]);
        self.0.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ev::What;

    fn enc(f: impl FnOnce(&mut Enc<'_>)) -> String {
        let mut out = Vec::new();
        f(&mut Enc(&mut out));
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn numbers_are_written_as_serde_writes_them_on_both_sides_of_one_digit() {
        for n in [0, 1, 9, 10, 11, 99, 100, 12_345, u64::MAX] {
            assert_eq!(enc(|e| e.num(n)), n.to_string());
        }
        for n in [i64::MIN, -10, -9, -1, 0, 1, 9, 10, i64::MAX] {
            assert_eq!(enc(|e| e.int(n)), n.to_string());
        }
    }

    #[test]
    fn strings_with_and_without_escapes_are_written_as_serde_writes_them() -> serde_json::Result<()>
    {
        for s in [
            "",
            "event_add",
            "a\"",
            "\\",
            "\n",
            "x\u{1}y",
            "\u{1f}",
            " é 漢 🦀",
            "end\t",
        ] {
            assert_eq!(enc(|e| e.string(s)), serde_json::to_string(s)?);
        }
        Ok(())
    }

    #[test]
    fn the_tables_made_at_compile_time_write_what_the_names_say() {
        use crate::ev::{BevEvents, State};
        use crate::trace::wire::Wire;
        for (i, state) in State::ALL.into_iter().enumerate() {
            assert_eq!(state as usize, i, "State::ALL is in the variants' order");
            assert_eq!(enc(|e| state.encode(e)), format!("\"{}\"", state.as_str()));
        }
        let names = What::NAMES.map(|(w, _)| w);
        for mask in 0..1u32 << names.len() {
            let mut w = What::NONE;
            for (i, flag) in names.iter().enumerate() {
                if mask & 1 << i != 0 {
                    w |= *flag;
                }
            }
            for w in [w, w | What::FINALIZE] {
                assert_eq!(enc(|e| w.encode(e)), enc(|e| e.names(w.iter_names())));
            }
        }
        let names = BevEvents::NAMES.map(|(b, _)| b);
        for mask in 0..1u32 << names.len() {
            let mut b = BevEvents::empty();
            for (i, flag) in names.iter().enumerate() {
                if mask & 1 << i != 0 {
                    b |= *flag;
                }
            }
            assert_eq!(enc(|e| b.encode(e)), enc(|e| e.names(b.iter_names())));
        }
        let rec = Record {
            seq: 1,
            t_us: 0,
            base: 0,
            body: crate::trace::Body::TimersExpired { n: 0 },
        };
        assert_eq!(
            rec.body.kind_field().as_bytes(),
            br#""kind":"timers_expired""#
        );
    }

    #[test]
    fn name_lists_are_json_arrays_even_when_empty() {
        assert_eq!(enc(|e| e.names(What::NONE.iter_names())), "[]");
        assert_eq!(enc(|e| e.names(What::READ.iter_names())), r#"["READ"]"#);
        let rw = What::READ | What::WRITE | What::PERSIST;
        assert_eq!(
            enc(|e| e.names(rw.iter_names())),
            r#"["READ","WRITE","PERSIST"]"#
        );
    }
}
