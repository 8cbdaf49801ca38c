//! Recording: real bases on every backend recorded to files, flushed on drop, lossless under a
//! slow sink, lossy mode counting what it drops, sinks chosen by EVSCOPE_TRACE, and late TCP
//! viewers.

use crate::util;
use crate::util::trace as trace_util;

use std::io::{Cursor, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evscope::ev::{EventBase, Observer, State, What};
use evscope::trace::{read_all, Body, LinkClient, LinkMsg, Record, Recorder};
use trace_util::*;
use util::*;

/// A writer into shared memory, optionally held on its first write until released.
#[derive(Clone, Default)]
struct Shared {
    bytes: Arc<Mutex<Vec<u8>>>,
    hold: Option<Arc<Mutex<Option<mpsc::Receiver<()>>>>>,
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(hold) = &self.hold {
            if let Some(rx) = hold.lock().unwrap().take() {
                let _ = rx.recv();
            }
        }
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn transitions_of(records: &[Record], ev: u64) -> Vec<State> {
    let mut path = Vec::new();
    for r in records {
        match &r.body {
            Body::EventNew { ev: e, .. } if *e == ev => path.push(State::New),
            Body::Transition { ev: e, to, .. } if *e == ev => path.push(*to),
            _ => {}
        }
    }
    path
}

#[test]
fn a_base_records_a_valid_trace_to_a_file_and_drop_flushes_it() {
    each_backend(|kind| {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl");
        let mut base = EventBase::with_backend(kind)?;
        base.set_observer(Box::new(Recorder::to_file(&path)?));
        let (a, b) = socketpair()?;
        poke(&b, b"x")?;
        let ev = base.event_new(fd(&a), What::READ, |_, _, _| {})?;
        base.event_add(ev, None)?;
        let timer = base.event_new(None, What::NONE, |_, _, _| {})?;
        base.event_add(timer, Some(ms(2)))?;
        base.dispatch()?;
        // The last record is made just before the base (and its recorder) is dropped.
        base.event_free(timer)?;
        drop(base);
        let (h, records) = read_all(std::io::BufReader::new(std::fs::File::open(&path)?))?;
        assert_eq!(h.backend, kind.name());
        use State::*;
        assert_eq!(
            transitions_of(&records, ev.trace_id()),
            vec![New, Pending, Active, Callback, NonPending]
        );
        assert_eq!(
            transitions_of(&records, timer.trace_id()),
            vec![New, Pending, Active, Callback, NonPending, Freed]
        );
        assert!(records
            .iter()
            .any(|r| matches!(r.body, Body::CallbackEnd { ev: e, .. } if e == ev.trace_id())));
        assert!(records
            .iter()
            .any(|r| matches!(r.body, Body::PollBegin { .. })));
        let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=records.len() as u64).collect::<Vec<_>>());
        Ok(())
    });
}

#[test]
fn lossless_by_default_the_loop_waits_for_a_stuck_sink() -> TestResult {
    let (release, held) = mpsc::channel();
    let out = Shared {
        hold: Some(Arc::new(Mutex::new(Some(held)))),
        ..Shared::default()
    };
    let mut rec = Recorder::to_writer(out.clone());
    let stuck_for = Duration::from_millis(100);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(stuck_for);
        let _ = release.send(());
    });
    // Far more than the channel holds: the loop must wait for the sink, not drop.
    let n = 100_000u64;
    let started = std::time::Instant::now();
    for i in 0..n {
        rec.loop_iteration(i + 1);
    }
    assert!(started.elapsed() >= stuck_for, "the loop did not wait");
    drop(rec);
    releaser.join().map_err(|_| "releaser panicked")?;
    let bytes = out.bytes.lock().unwrap().clone();
    let (_, records) = read_all(Cursor::new(bytes))?;
    assert_eq!(records.len() as u64, n);
    assert!(records
        .iter()
        .all(|r| !matches!(r.body, Body::Dropped { .. })));
    Ok(())
}

#[test]
fn lossy_mode_never_waits_and_says_how_many_it_dropped() -> TestResult {
    let (release, held) = mpsc::channel();
    let out = Shared {
        hold: Some(Arc::new(Mutex::new(Some(held)))),
        ..Shared::default()
    };
    let mut rec = Recorder::to_writer(out.clone()).lossy(true);
    // Far more than the channel holds while the sink is stuck on its first write.
    let n = 200_000u64;
    for i in 0..n {
        rec.loop_iteration(i + 1);
    }
    release.send(())?;
    drop(rec);
    let bytes = out.bytes.lock().unwrap().clone();
    let (_, records) = read_all(Cursor::new(bytes))?;
    let dropped: u64 = records
        .iter()
        .filter_map(|r| match r.body {
            Body::Dropped { count } => Some(count),
            _ => None,
        })
        .sum();
    let kept = records
        .iter()
        .filter(|r| matches!(r.body, Body::LoopIteration { .. }))
        .count() as u64;
    assert!(dropped > 0, "nothing was dropped");
    assert_eq!(kept + dropped, n);
    Ok(())
}

#[test]
fn to_channel_delivers_records_in_order() -> TestResult {
    let (rec, rx) = Recorder::to_channel();
    let mut base = EventBase::new()?;
    base.set_observer(Box::new(rec));
    base.note("hello");
    drop(base);
    let got: Vec<Record> = rx.try_iter().collect();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].body,
        Body::Note {
            text: "hello".into()
        }
    );
    Ok(())
}

#[test]
fn evscope_trace_file_records_the_ticker_on_every_backend() {
    each_backend(|kind| {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ticker.jsonl");
        let out = std::process::Command::new(example("ticker")?)
            .env("EVSCOPE_TRACE", format!("file:{}", path.display()))
            .env("EVSCOPE_BACKEND", kind.name())
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (h, records) = read_all(std::io::BufReader::new(std::fs::File::open(&path)?))?;
        assert_eq!(h.backend, kind.name());
        assert!(h.program.contains("ticker"));
        let news = records
            .iter()
            .filter(|r| matches!(r.body, Body::EventNew { .. }))
            .count();
        assert_eq!(news, 3);
        assert!(records
            .iter()
            .any(|r| matches!(&r.body, Body::Note { text } if text.contains("halfway"))));
        // The reader frees itself in its callback: the last transition is to freed.
        assert!(records.iter().any(|r| matches!(
            r.body,
            Body::Transition {
                to: State::Freed,
                ..
            }
        )));
        Ok(())
    });
}

#[test]
fn a_trace_file_that_cannot_be_written_is_told_once_and_the_exit_status_stays_the_programs(
) -> TestResult {
    let out = std::process::Command::new(example("ticker")?)
        .env("EVSCOPE_TRACE", "file:/dev/full")
        .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the program's own status: {err}");
    let told: Vec<&str> = err.lines().filter(|l| l.starts_with("evscope:")).collect();
    assert_eq!(told.len(), 1, "one line: {err}");
    assert!(
        told[0].contains("writing the trace to /dev/full failed")
            && told[0].contains("incomplete")
            && told[0].contains("No space left on device"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_bad_evscope_trace_value_is_a_clear_error() -> TestResult {
    for (value, says) in [
        ("bogus", "has no scheme"),
        ("ftp:x", "unknown scheme"),
        ("tcp:localhost", "not an IP address and port"),
        ("file:/nonexistent-dir/x.jsonl", "cannot create trace file"),
        (
            "unix:/nonexistent-dir/s.sock",
            "cannot connect to the trace viewer",
        ),
        ("tcp:192.0.2.1:0", "not a loopback address"),
    ] {
        let out = std::process::Command::new(example("ticker")?)
            .env("EVSCOPE_TRACE", value)
            .output()?;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{value} was accepted");
        assert!(err.contains(says), "{value}: expected {says:?} in {err:?}");
    }
    Ok(())
}

#[test]
fn a_late_tcp_viewer_gets_the_header_and_every_record_so_far() -> TestResult {
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let (rec, bound) = Recorder::listen_tcp(addr, false)?;
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let program = std::thread::spawn(move || -> Result<(), String> {
        let mut base = EventBase::new().map_err(|e| e.to_string())?;
        base.set_observer(Box::new(rec));
        let t = base
            .event_new(None, What::NONE, |_, _, _| {})
            .map_err(|e| e.to_string())?;
        base.event_add(t, Some(ms(1))).map_err(|e| e.to_string())?;
        // Recorded before any viewer: must reach the late viewer from history.
        base.note("before the viewer");
        let _ = go_rx.recv();
        base.dispatch().map_err(|e| e.to_string())?;
        base.note("after the loop");
        Ok(())
    });
    // The note is only in history once the recorder has sent its batch; the viewer then gets
    // history and live records in order either way.
    let mut client = LinkClient::attach(bound, false)?;
    go_tx.send(())?;
    let mut notes = Vec::new();
    let mut first_seq = None;
    let mut header = false;
    while let Some(msg) = client.recv()? {
        match msg {
            LinkMsg::Header(_) => header = true,
            LinkMsg::Record(r) => {
                first_seq.get_or_insert(r.seq);
                if let Body::Note { text } = r.body {
                    notes.push(text);
                }
            }
            LinkMsg::Status(_) => {}
        }
    }
    program.join().map_err(|_| "the program panicked")??;
    assert!(header);
    assert_eq!(first_seq, Some(1));
    assert_eq!(notes, vec!["before the viewer", "after the loop"]);
    assert_eq!(client.stats().events, 1);
    Ok(())
}

#[test]
fn non_loopback_links_are_refused_unless_forced() -> TestResult {
    let remote: SocketAddr = "192.0.2.1:4000".parse()?;
    let err = Recorder::listen_tcp(remote, false)
        .err()
        .ok_or("listen accepted")?;
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    let err = LinkClient::attach(remote, false)
        .err()
        .ok_or("attach accepted")?;
    assert!(err.to_string().contains("not a loopback address"));
    Ok(())
}

#[test]
fn an_in_process_viewer_steps_the_loop_through_the_gate() -> TestResult {
    use evscope::trace::{Control, Gate, Status};
    let gate = Arc::new(Gate::new());
    gate.connect();
    gate.apply(&Control::Pause);
    let (rec, rx) = Recorder::to_messages();
    let rec = rec.with_gate(gate.clone());
    let program = std::thread::spawn(move || -> Result<(), String> {
        let mut base = EventBase::new().map_err(|e| e.to_string())?;
        base.set_observer(Box::new(rec));
        let t = base
            .event_new(None, What::NONE, |_, _, _| {})
            .map_err(|e| e.to_string())?;
        base.event_add(t, Some(ms(1))).map_err(|e| e.to_string())?;
        base.dispatch().map_err(|e| e.to_string())?;
        Ok(())
    });
    let wait = Duration::from_secs(10);
    assert!(matches!(rx.recv_timeout(wait)?, LinkMsg::Header(_)));
    assert!(
        rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "ran while paused"
    );
    gate.apply(&Control::Step { n: 1 });
    match rx.recv_timeout(wait)? {
        LinkMsg::Record(r) => assert_eq!(r.seq, 1),
        other => return Err(format!("expected record 1, got {other:?}").into()),
    }
    assert!(
        rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "a step released more"
    );
    gate.apply(&Control::NextIteration);
    let mut paused = false;
    while let Ok(m) = rx.recv_timeout(wait) {
        if let LinkMsg::Status(Status::Paused { reason, .. }) = m {
            assert_eq!(reason, "next_iteration");
            paused = true;
            break;
        }
    }
    assert!(paused);
    gate.disconnect();
    program.join().map_err(|_| "the program panicked")??;
    Ok(())
}

#[test]
fn bases_of_one_process_share_a_trace_each_with_its_own_ids_and_seq() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("t.jsonl");
    let recorder = Recorder::to_file(&path)?;
    // Base 1's recorder is made here and its base on another thread, which runs it.
    let lane = recorder.lane(1);
    assert_eq!((recorder.base(), lane.base()), (0, 1));
    let worker = std::thread::spawn(move || -> Result<(), String> {
        let mut base =
            EventBase::with_backend(evscope::ev::BackendKind::Poll).map_err(|e| e.to_string())?;
        base.set_observer(Box::new(lane));
        let timer = base
            .event_new(None, What::NONE, |_, _, _| {})
            .map_err(|e| e.to_string())?;
        base.event_add(timer, Some(ms(1)))
            .map_err(|e| e.to_string())?;
        base.dispatch().map_err(|e| e.to_string())?;
        Ok(())
    });
    let mut base = EventBase::with_backend(evscope::ev::BackendKind::Epoll)?;
    base.set_observer(Box::new(recorder));
    let timer = base.event_new(None, What::NONE, |_, _, _| {})?;
    base.event_add(timer, Some(ms(3)))?;
    base.dispatch()?;
    worker.join().map_err(|_| "the worker panicked")??;
    drop(base);
    // The reader checks each base's records on their own.
    let (h, records) = read_all(std::io::BufReader::new(std::fs::File::open(&path)?))?;
    assert_eq!(h.backend, "epoll");
    let of = |b: u32| records.iter().filter(move |r| r.base == b);
    let first = of(1).next().ok_or("base 1 has records")?;
    let Body::BaseNew { backend, thread } = &first.body else {
        return Err(format!("base 1 starts with {:?}", first.body).into());
    };
    assert_eq!((backend.as_str(), first.seq), ("poll", 1));
    assert_eq!(
        Some(*thread),
        h.thread,
        "made by the thread that made base 0"
    );
    // The same event id on each base, each the base's own timer, each through its states.
    use State::*;
    for b in [0, 1] {
        let mine: Vec<Record> = of(b).cloned().collect();
        assert_eq!(
            transitions_of(&mine, timer.trace_id()),
            vec![New, Pending, Active, Callback, NonPending],
            "base {b}"
        );
        let seqs: Vec<u64> = mine.iter().map(|r| r.seq).collect();
        assert_eq!(
            seqs,
            (1..=mine.len() as u64).collect::<Vec<_>>(),
            "base {b}"
        );
    }
    // Base 1's loop runs on another thread than the one that made it: the trace says which.
    let named: Vec<u32> = records
        .iter()
        .filter(|r| matches!(r.body, Body::LoopIteration { thread: Some(t), .. } if Some(t) != h.thread))
        .map(|r| r.base)
        .collect();
    assert_eq!(
        named,
        [1],
        "only base 1's first iteration names a new thread"
    );
    Ok(())
}

#[test]
fn a_trace_named_zst_is_written_compressed_and_every_reader_reads_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let plain = dir.path().join("t.jsonl");
    let packed = dir.path().join("t.jsonl.zst");
    let mut kinds = Vec::new();
    for path in [&plain, &packed] {
        let mut base = EventBase::with_backend(evscope::ev::BackendKind::Epoll)?;
        base.set_observer(Box::new(Recorder::to_file(path)?));
        let mut left = 300;
        let tick = base.event_new(None, What::PERSIST, move |b, _, _| {
            left -= 1;
            if left == 0 {
                b.loopbreak();
            }
        })?;
        base.event_add(tick, Some(Duration::from_micros(1)))?;
        base.dispatch()?;
        drop(base);
        let mut reader = evscope::trace::Reader::open(path)?;
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r.body.kind());
        }
        kinds.push(records);
    }
    assert_eq!(kinds[0], kinds[1], "the same records either way");
    let bytes = std::fs::read(&packed)?;
    assert_eq!(bytes[..4], [0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
    let plain_len = std::fs::metadata(&plain)?.len();
    assert!(
        (bytes.len() as u64) * 5 < plain_len,
        "{} compressed bytes for {plain_len} plain",
        bytes.len()
    );
    // The command-line readers take it as it is.
    let out = std::process::Command::new(evscope_bin())
        .arg("validate")
        .arg(&packed)
        .output()?;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains(": ok:"), "{said}");
    Ok(())
}
