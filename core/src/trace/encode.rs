//! A record as one JSON line, written by hand: the sink thread's hot path. It writes exactly
//! what `Record`'s `Serialize` writes (a test holds them together), several times faster.

use super::record::{Body, Record};
use crate::ev::{BevEvents, State, What};

/// Appends `rec` as one JSON line (with its newline) to `out`.
pub fn encode_line(rec: &Record, out: &mut Vec<u8>) {
    let mut e = Enc(out);
    e.raw("{\"seq\":");
    e.num(rec.seq);
    e.raw(",\"t_us\":");
    e.num(rec.t_us);
    if rec.base != 0 {
        e.field_num("base", u64::from(rec.base));
    }
    e.raw(",\"kind\":\"");
    e.raw(rec.body.kind());
    e.raw("\"");
    match &rec.body {
        Body::EventNew {
            ev,
            fd,
            what,
            label,
        } => {
            e.field_num("ev", *ev);
            e.field_fd("fd", *fd);
            e.field_what("what", *what);
            e.field_str("label", label);
        }
        Body::Transition {
            ev,
            fd,
            from,
            to,
            cause,
        } => {
            e.field_num("ev", *ev);
            e.field_fd("fd", *fd);
            e.field_state("from", *from);
            e.field_state("to", *to);
            e.field_str("cause", cause);
        }
        Body::CallbackBegin { ev, what } => {
            e.field_num("ev", *ev);
            e.field_what("what", *what);
        }
        Body::CallbackEnd { ev, what, dur_us } => {
            e.field_num("ev", *ev);
            e.field_what("what", *what);
            e.field_num("dur_us", *dur_us);
        }
        Body::LoopIteration { n, thread } => {
            e.field_num("n", *n);
            if let Some(t) = thread {
                e.field_num("thread", *t);
            }
        }
        Body::TimersExpired { n } => e.field_num("n", *n),
        Body::PollBegin {
            backend,
            timeout_us,
        } => {
            e.field_str("backend", backend);
            e.key("timeout_us");
            match timeout_us {
                Some(t) => e.num(*t),
                None => e.raw("null"),
            }
        }
        Body::PollEnd { ready } => e.field_num("ready", *ready),
        Body::RunActive { priority, queued } => {
            e.field_num("priority", u64::from(*priority));
            e.field_num("queued", *queued);
        }
        Body::BevNew { bev, fd, label } => {
            e.field_num("bev", *bev);
            e.field_fd("fd", *fd);
            e.field_str("label", label);
        }
        Body::Buffer {
            bev,
            input,
            output,
            read_low,
            read_high,
            write_low,
            write_high,
            enabled,
            kernel_in,
            kernel_out,
        } => {
            e.field_num("bev", *bev);
            e.field_num("input", *input);
            e.field_num("output", *output);
            e.field_num("read_low", *read_low);
            e.field_num("read_high", *read_high);
            e.field_num("write_low", *write_low);
            e.field_num("write_high", *write_high);
            e.field_what("enabled", *enabled);
            if let Some(k) = kernel_in {
                e.field_num("kernel_in", *k);
            }
            if let Some(k) = kernel_out {
                e.field_num("kernel_out", *k);
            }
        }
        Body::BevEvent { bev, events } => {
            e.field_num("bev", *bev);
            e.field_bev_events("events", *events);
        }
        Body::BevFree { bev } => e.field_num("bev", *bev),
        Body::Accept { listener, fd, peer } => {
            e.field_num("listener", *listener);
            e.key("fd");
            e.int(i64::from(*fd));
            e.key("peer");
            match peer {
                Some(p) => e.string(p),
                None => e.raw("null"),
            }
        }
        Body::Note { text } => e.field_str("text", text),
        Body::Dropped { count } => e.field_num("count", *count),
        Body::BaseNew { backend, thread } => {
            e.field_str("backend", backend);
            e.field_num("thread", *thread);
        }
    }
    e.raw("}\n");
}

struct Enc<'a>(&'a mut Vec<u8>);

impl Enc<'_> {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    fn num(&mut self, n: u64) {
        self.raw(itoa::Buffer::new().format(n));
    }
    fn int(&mut self, n: i64) {
        self.raw(itoa::Buffer::new().format(n));
    }
    fn key(&mut self, k: &str) {
        self.raw(",\"");
        self.raw(k);
        self.raw("\":");
    }
    fn field_num(&mut self, k: &str, n: u64) {
        self.key(k);
        self.num(n);
    }
    fn field_fd(&mut self, k: &str, fd: Option<i32>) {
        self.key(k);
        match fd {
            Some(fd) => self.int(i64::from(fd)),
            None => self.raw("null"),
        }
    }
    fn field_str(&mut self, k: &str, s: &str) {
        self.key(k);
        self.string(s);
    }
    fn field_state(&mut self, k: &str, s: State) {
        self.key(k);
        self.raw("\"");
        self.raw(s.as_str());
        self.raw("\"");
    }
    fn names<'n>(&mut self, k: &str, names: impl Iterator<Item = &'n str>) {
        self.key(k);
        self.raw("[");
        for (i, n) in names.enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.raw("\"");
            self.raw(n);
            self.raw("\"");
        }
        self.raw("]");
    }
    fn field_what(&mut self, k: &str, w: What) {
        if w.is_empty() {
            self.key(k);
            self.raw("[]");
        } else {
            self.names(k, w.iter_names());
        }
    }
    fn field_bev_events(&mut self, k: &str, ev: BevEvents) {
        self.names(k, ev.iter_names());
    }
    /// A JSON string, escaped as serde_json escapes it.
    fn string(&mut self, s: &str) {
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
