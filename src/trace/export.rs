//! Chrome Trace Event JSON (opens in Perfetto and `chrome://tracing`): callbacks and backend
//! waits as complete (`X`) slices, each event's pending and active intervals as async (`b`/`e`)
//! slices, buffer fill levels as counters (`C`), notes, accepts and bufferevent events as
//! instants (`i`), and process / thread names as metadata (`M`). Each base of the trace is a
//! thread of the exported process (base 0 is tid 1, base 1 tid 2, …). Times stay in
//! microseconds.
//! Names and text from the trace are escaped ([`escape_text`](super::escape_text)) as every
//! other view of a trace escapes them.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use serde_json::{json, Value};

use super::error::TraceError;
use super::escape::{escape_header, escape_record};
use super::explain::{Explainer, Lang};
use super::reader::Reader;
use crate::ev::State;
use evscope_core::trace::{Body, Record};

/// The exported thread id of base `base`'s loop.
fn tid(base: u32) -> u64 {
    u64::from(base) + 1
}

/// Streams Chrome trace JSON for the trace `reader` reads into `out`; returns how many trace
/// events were written. The trace is checked as it is read; a bad trace stops the export with
/// its line-numbered error.
pub fn chrome<R: BufRead, W: Write>(mut reader: Reader<R>, out: W) -> Result<u64, TraceError> {
    let header = escape_header(reader.header().clone());
    let pid = u64::from(header.pid.max(1));
    let mut ex = Exporter {
        out,
        pid,
        written: 0,
        names: Explainer::new(Lang::En),
        open: HashMap::new(),
        callbacks: HashMap::new(),
        poll: HashMap::new(),
        last_t: 0,
    };
    ex.names.learn_header(&header);
    ex.raw(b"{\"traceEvents\":[\n")?;
    let program = if header.program.is_empty() {
        "evscope".to_string()
    } else {
        format!("evscope: {}", header.program)
    };
    ex.event(
        json!({"name": "process_name", "ph": "M", "ts": 0, "pid": pid, "tid": tid(0),
        "args": {"name": program}}),
    )?;
    ex.event(
        json!({"name": "thread_name", "ph": "M", "ts": 0, "pid": pid, "tid": tid(0),
        "args": {"name": format!("event loop ({})", header.backend)}}),
    )?;
    while let Some(rec) = reader.next_record()? {
        let rec = escape_record(rec);
        ex.names.learn(&rec);
        ex.record(&rec)?;
    }
    ex.close_all()?;
    let other = json!({"format": header.format, "version": header.version,
        "backend": header.backend, "program": header.program,
        "start_unix_us": header.start_unix_us});
    ex.raw(b"\n],\"displayTimeUnit\":\"ms\",\"otherData\":")?;
    let other = serde_json::to_vec(&other).map_err(|e| TraceError::at(0, e.to_string()))?;
    ex.raw(&other)?;
    ex.raw(b"}\n")?;
    ex.out
        .flush()
        .map_err(|e| TraceError::at(0, format!("cannot write the export: {e}")))?;
    Ok(ex.written)
}

struct Exporter<W> {
    out: W,
    pid: u64,
    written: u64,
    names: Explainer,
    /// Open async interval per (base, event): its name.
    open: HashMap<(u32, u64), &'static str>,
    /// Callback start per (base, event).
    callbacks: HashMap<(u32, u64), u64>,
    /// Open backend wait per base: (start, backend, timeout).
    poll: HashMap<u32, (u64, String, Option<u64>)>,
    last_t: u64,
}

impl<W: Write> Exporter<W> {
    fn raw(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        self.out
            .write_all(bytes)
            .map_err(|e| TraceError::at(0, format!("cannot write the export: {e}")))
    }

    fn event(&mut self, v: Value) -> Result<(), TraceError> {
        if self.written > 0 {
            self.raw(b",\n")?;
        }
        let bytes = serde_json::to_vec(&v).map_err(|e| TraceError::at(0, e.to_string()))?;
        self.raw(&bytes)?;
        self.written += 1;
        Ok(())
    }

    fn instant(&mut self, base: u32, name: String, t: u64, args: Value) -> Result<(), TraceError> {
        let pid = self.pid;
        self.event(
            json!({"name": name, "cat": "loop", "ph": "i", "s": "t", "ts": t,
            "pid": pid, "tid": tid(base), "args": args}),
        )
    }

    /// Async intervals: close the open one, open the one for `to`.
    fn interval(&mut self, base: u32, ev: u64, to: State, t: u64) -> Result<(), TraceError> {
        let (pid, tid) = (self.pid, tid(base));
        let id = match base {
            0 => format!("ev{ev}"),
            b => format!("b{b}ev{ev}"),
        };
        if let Some(name) = self.open.remove(&(base, ev)) {
            self.event(
                json!({"name": name, "cat": "event", "ph": "e", "id": id, "ts": t,
                "pid": pid, "tid": tid}),
            )?;
        }
        let name = match to {
            State::Pending => "pending",
            State::Active => "active",
            _ => return Ok(()),
        };
        let label = self.names.event_name_in(base, ev);
        self.open.insert((base, ev), name);
        self.event(
            json!({"name": name, "cat": "event", "ph": "b", "id": id, "ts": t,
            "pid": pid, "tid": tid, "args": {"event": label}}),
        )
    }

    fn record(&mut self, rec: &Record) -> Result<(), TraceError> {
        let (t, pid, base) = (rec.t_us, self.pid, rec.base);
        let tid = tid(base);
        self.last_t = self.last_t.max(t);
        match &rec.body {
            Body::BaseNew { backend, thread } => {
                self.event(
                    json!({"name": "thread_name", "ph": "M", "ts": 0, "pid": pid,
                    "tid": tid, "args": {"name": format!("event loop {base} ({backend})"),
                    "thread": thread}}),
                )?;
            }
            Body::Transition { ev, to, .. } => self.interval(base, *ev, *to, t)?,
            Body::CallbackBegin { ev, .. } => {
                self.callbacks.insert((base, *ev), t);
            }
            Body::CallbackEnd { ev, what, dur_us } => {
                let start = self
                    .callbacks
                    .remove(&(base, *ev))
                    .unwrap_or(t.saturating_sub(*dur_us));
                let name = format!("callback {}", self.names.event_name_in(base, *ev));
                self.event(
                    json!({"name": name, "cat": "callback", "ph": "X", "ts": start,
                    "dur": dur_us, "pid": pid, "tid": tid,
                    "args": {"ev": ev, "what": what.names()}}),
                )?;
            }
            Body::PollBegin {
                backend,
                timeout_us,
            } => {
                self.poll
                    .insert(base, (t, backend.to_string(), *timeout_us));
            }
            Body::PollEnd { ready } => {
                if let Some((start, backend, timeout)) = self.poll.remove(&base) {
                    self.event(json!({"name": format!("wait ({backend})"), "cat": "poll",
                        "ph": "X", "ts": start, "dur": t - start, "pid": pid, "tid": tid,
                        "args": {"timeout_us": timeout, "ready": ready}}))?;
                }
            }
            Body::Buffer {
                bev,
                levels: crate::ev::Levels { input, output, .. },
            } => {
                let name = format!("{} buffers", self.names.bev_name_in(base, *bev));
                self.event(
                    json!({"name": name, "ph": "C", "ts": t, "pid": pid, "tid": tid,
                    "args": {"input": input, "output": output}}),
                )?;
            }
            Body::BevEvent { bev, events } => {
                let name = format!("{} {events}", self.names.bev_name_in(base, *bev));
                self.instant(base, name, t, json!({"events": events.names()}))?;
            }
            Body::Accept { listener, fd, peer } => {
                let name = format!("accept fd {fd}");
                self.instant(base, name, t, json!({"listener": listener, "peer": peer}))?;
            }
            Body::Note { text } => self.instant(base, format!("note: {text}"), t, json!({}))?,
            Body::Dropped { count } => {
                self.instant(base, format!("{count} records dropped"), t, json!({}))?
            }
            _ => {}
        }
        Ok(())
    }

    /// Closes what is still open at the end of the trace.
    fn close_all(&mut self) -> Result<(), TraceError> {
        let mut evs: Vec<(u32, u64)> = self.open.keys().copied().collect();
        evs.sort_unstable();
        for (base, ev) in evs {
            self.interval(base, ev, State::NonPending, self.last_t)?;
        }
        Ok(())
    }
}
