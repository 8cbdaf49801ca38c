//! Helpers for the trace tests: a sample of every record kind, trace text builders, and paths
//! to the built binary and examples.

use std::path::PathBuf;
use std::process::Command;

use evscope::ev::{BevEvents, State, What};
use evscope::trace::{read_all, Body, Header, Record, TraceError};

/// A fixed header (fixed pid and start, so written traces compare byte for byte).
pub fn header() -> Header {
    Header {
        format: "evscope-trace".into(),
        version: 2,
        backend: "epoll".into(),
        program: "sample".into(),
        pid: 42,
        start_unix_us: 1_700_000_000_000_000,
        thread: None,
    }
}

/// The header as its JSON line (no newline).
pub fn header_line() -> String {
    serde_json::to_string(&header()).unwrap()
}

fn rec(seq: u64, body: Body) -> Record {
    Record {
        seq,
        t_us: seq * 10,
        base: 0,
        body,
    }
}

fn tr(ev: u64, fd: Option<i32>, from: State, to: State, cause: &str) -> Body {
    Body::Transition {
        ev,
        fd,
        from,
        to,
        cause: cause.to_string().into(),
    }
}

/// A legal trace using every kind of record.
pub fn sample_records() -> Vec<Record> {
    use State::*;
    let bodies = vec![
        Body::EventNew {
            ev: 3,
            fd: Some(7),
            what: What::READ | What::PERSIST,
            label: "reader \"one\"".into(),
        },
        tr(3, Some(7), New, Pending, "event_add"),
        Body::EventNew {
            ev: (1 << 32) | 4,
            fd: None,
            what: What::NONE,
            label: String::new(),
        },
        tr((1 << 32) | 4, None, New, Pending, "event_add"),
        Body::LoopIteration { n: 1, thread: None },
        Body::PollBegin {
            backend: "epoll".into(),
            timeout_us: Some(5000),
        },
        Body::PollEnd { ready: 1 },
        tr(3, Some(7), Pending, Active, "fd_readable"),
        Body::TimersExpired { n: 0 },
        Body::RunActive {
            priority: 0,
            queued: 1,
        },
        tr(3, Some(7), Active, Callback, "dispatch"),
        Body::CallbackBegin {
            ev: 3,
            what: What::READ,
        },
        Body::Accept {
            listener: 0,
            fd: 9,
            peer: Some("127.0.0.1:5555".into()),
        },
        Body::BevNew {
            bev: 1,
            fd: Some(9),
            label: "conn".into(),
        },
        Body::Buffer {
            bev: 1,
            levels: evscope::ev::Levels {
                input: 12,
                output: 0,
                read_low: 0,
                read_high: 4096,
                write_low: 0,
                write_high: 0,
                enabled: What::READ | What::WRITE,
                kernel_in: Some(3),
                kernel_out: None,
            },
        },
        Body::BevEvent {
            bev: 1,
            events: BevEvents::EOF | BevEvents::READING,
        },
        Body::BevFree { bev: 1 },
        Body::Note {
            text: "ünïcode and \"quotes\"\n".into(),
        },
        Body::CallbackEnd {
            ev: 3,
            what: What::READ,
            dur_us: 7,
        },
        tr(3, Some(7), Callback, Pending, "callback_returned"),
        Body::LoopIteration { n: 2, thread: None },
        Body::PollBegin {
            backend: "epoll".into(),
            timeout_us: None,
        },
        Body::PollEnd { ready: 0 },
        Body::Dropped { count: 5 },
        tr(3, Some(7), Pending, NonPending, "event_del"),
        tr(3, Some(7), NonPending, Freed, "event_free"),
    ];
    let mut records: Vec<Record> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| rec(i as u64 + 1, b))
        .collect();
    // A second base, made by another thread and run by a third: its own seq from 1, its own
    // ids (its event 3 is not base 0's).
    let second = vec![
        Body::BaseNew {
            backend: "poll".into(),
            thread: 4243,
        },
        Body::EventNew {
            ev: 3,
            fd: Some(9),
            what: What::READ,
            label: "worker pipe".into(),
        },
        tr(3, Some(9), New, Pending, "event_add"),
        Body::LoopIteration {
            n: 1,
            thread: Some(4244),
        },
    ];
    records.extend(second.into_iter().enumerate().map(|(i, body)| Record {
        seq: i as u64 + 1,
        t_us: 200 + i as u64,
        base: 1,
        body,
    }));
    records
}

/// The sample trace as text: header and one line per record.
pub fn sample_text() -> String {
    let mut s = header_line();
    s.push('\n');
    for r in sample_records() {
        s.push_str(&serde_json::to_string(&r).unwrap());
        s.push('\n');
    }
    s
}

/// A header line, then `lines`, each ended by a newline.
pub fn trace_text(lines: &[&str]) -> String {
    let mut s = header_line();
    s.push('\n');
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// The sample header with `version`.
pub fn header_v(version: u32) -> Header {
    Header {
        version,
        ..header()
    }
}

/// A header of `version`, then `lines`.
pub fn text_v(version: u32, lines: &[&str]) -> String {
    let mut s = serde_json::to_string(&header_v(version)).unwrap_or_default();
    s.push('\n');
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// The error reading `text` stops at (an error itself when it reads to the end).
pub fn first_error(text: &str) -> Result<TraceError, Box<dyn std::error::Error>> {
    match read_all(std::io::Cursor::new(text)) {
        Ok((_, recs)) => Err(format!("expected an error, read {} records", recs.len()).into()),
        Err(e) => Ok(e),
    }
}

/// Reading `text` stops at `line`, with an error that says `says`.
pub fn expect_error(text: &str, line: u64, says: &str) -> Result<(), Box<dyn std::error::Error>> {
    let e = first_error(text)?;
    assert_eq!(e.line, line, "wrong line in: {e}");
    assert!(e.what.contains(says), "expected {says:?} in: {e}");
    Ok(())
}

/// The `evscope` binary cargo built for these tests.
pub fn evscope_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_evscope"))
}

/// Builds (if needed) and returns the path of example `name`.
pub fn example(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()?;
    if !status.success() {
        return Err(format!("building example {name} failed").into());
    }
    let dir = evscope_bin()
        .parent()
        .ok_or("the binary has no directory")?
        .join("examples")
        .join(name);
    Ok(dir)
}

/// The text of `docs/trace-format.md`'s section whose heading starts with `heading` (e.g.
/// "## Version 4"), up to the next section of that level.
pub fn doc_section(heading: &str) -> Result<String, Box<dyn std::error::Error>> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/trace-format.md"),
    )?;
    let section = doc
        .split(heading)
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .ok_or_else(|| format!("docs/trace-format.md has no section {heading:?}"))?;
    Ok(section.to_string())
}

/// The committed fixtures directory.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Records of one base, numbered as they are pushed; each a microsecond after the one before,
/// or, once [`Trace::at`] set a time, at that time until it sets another.
pub struct Trace {
    pub base: u32,
    pub seq: u64,
    pub t_us: u64,
    /// No time was set: each record is a microsecond after the one before.
    ticking: bool,
    pub recs: Vec<Record>,
}

impl Trace {
    pub fn new(base: u32) -> Trace {
        Trace {
            base,
            seq: 0,
            t_us: 100,
            ticking: true,
            recs: Vec::new(),
        }
    }

    /// The records pushed from now on are at `t_us`.
    pub fn at(&mut self, t_us: u64) -> &mut Trace {
        self.t_us = t_us;
        self.ticking = false;
        self
    }

    pub fn push(&mut self, body: Body) {
        self.seq += 1;
        if self.ticking {
            self.t_us += 1;
        }
        self.recs.push(Record {
            seq: self.seq,
            t_us: self.t_us,
            base: self.base,
            body,
        });
    }

    /// `event_new` of a persistent READ event on `fd`.
    pub fn event(&mut self, ev: u64, fd: i32) {
        self.push(Body::EventNew {
            ev,
            fd: Some(fd),
            what: What::READ | What::PERSIST,
            label: String::new(),
        });
    }

    pub fn tr(&mut self, ev: u64, fd: i32, from: State, to: State, cause: &'static str) {
        self.push(Body::Transition {
            ev,
            fd: Some(fd),
            from,
            to,
            cause: cause.into(),
        });
    }
}
