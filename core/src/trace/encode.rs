//! A record as one JSON line, written straight into a byte buffer: the sink thread's hot path.
//! The body's fields are written as the schema (`schema.rs`) says, the same as `Record`'s
//! `Serialize` writes them, several times faster.

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
        e.key("base");
        e.num(u64::from(rec.base));
    }
    e.raw(",\"kind\":");
    e.quoted(rec.body.kind());
    rec.body.encode_fields(&mut e, None);
    e.raw("}\n");
}

/// Appends `rec` as one line of version 3, leaving out the fields whose `wire::bit` is in
/// `skip` (`seq` and `t_us` among them), which the lines before it imply (`implied.rs`).
pub(crate) fn encode_line_skipping(rec: &Record, skip: u32, out: &mut Vec<u8>) {
    let mut e = Enc(out);
    let mut sep = "{";
    if skip & const { bit("seq") } == 0 {
        e.raw("{\"seq\":");
        e.num(rec.seq);
        sep = ",";
    }
    if skip & const { bit("t_us") } == 0 {
        e.raw(sep);
        e.raw("\"t_us\":");
        e.num(rec.t_us);
        sep = ",";
    }
    if rec.base != 0 {
        e.raw(sep);
        e.raw("\"base\":");
        e.num(u64::from(rec.base));
        sep = ",";
    }
    e.raw(sep);
    e.raw("\"kind\":");
    e.quoted(rec.body.kind());
    rec.body.encode_fields(&mut e, Some(skip));
    e.raw("}\n");
}

/// Appends JSON to a byte buffer.
pub(crate) struct Enc<'a>(pub(crate) &'a mut Vec<u8>);

impl Enc<'_> {
    /// Appends `s` as it is.
    pub(crate) fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    /// Appends an unsigned number.
    pub(crate) fn num(&mut self, n: u64) {
        self.raw(itoa::Buffer::new().format(n));
    }
    /// Appends a signed number.
    pub(crate) fn int(&mut self, n: i64) {
        self.raw(itoa::Buffer::new().format(n));
    }
    /// Appends `,"k":`.
    pub(crate) fn key(&mut self, k: &str) {
        self.raw(",\"");
        self.raw(k);
        self.raw("\":");
    }
    /// Appends `s` in quotes, for a string known to need no escaping.
    pub(crate) fn quoted(&mut self, s: &str) {
        self.raw("\"");
        self.raw(s);
        self.raw("\"");
    }
    /// Appends a list of names known to need no escaping, e.g. `["READ","PERSIST"]`.
    pub(crate) fn names<'n>(&mut self, names: impl Iterator<Item = &'n str>) {
        self.raw("[");
        for (i, n) in names.enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.quoted(n);
        }
        self.raw("]");
    }
    /// A JSON string, escaped as serde_json escapes it.
    pub(crate) fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.0.push(b'"');
        let bytes = s.as_bytes();
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
