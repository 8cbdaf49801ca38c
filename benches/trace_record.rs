//! Recording overhead on a busy loop: two sockets of a pair echo one 64-byte message back and
//! forth through the loop (a read and a write syscall per callback, like an echo server's), with
//! no observer, with a recorder writing to a file, and with a recorder writing nowhere; and the
//! sink thread's share alone: encoding those round trips' records as trace lines.

use std::cell::Cell;
use std::hint::black_box;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evscope::ev::{BackendKind, EventBase, EventId, What};
use evscope::trace::{Header, Record, Recorder, Sink, Writer};

/// Takes records and does nothing with them: the loop thread's share of the cost.
struct NullSink;

impl Sink for NullSink {
    fn header(&mut self, _: &Header) -> std::io::Result<()> {
        Ok(())
    }
    fn records(&mut self, r: &[Record]) -> std::io::Result<()> {
        black_box(r);
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const ROUND_TRIPS: u64 = 5_000;

/// Runs `ROUND_TRIPS` round trips on `base`.
fn ping_pong(mut base: EventBase) {
    let (a, b) = UnixStream::pair().expect("socketpair");
    a.set_nonblocking(true).expect("nonblocking");
    b.set_nonblocking(true).expect("nonblocking");
    let trips = Rc::new(Cell::new(0u64));
    for (sock, counts) in [(a, false), (b, true)] {
        let fd = sock.as_raw_fd();
        let trips = trips.clone();
        let mut sock = sock;
        if !counts {
            sock.write_all(&[7u8; 64]).expect("first message");
        }
        let ev = base
            .event_new(fd, What::READ | What::PERSIST, move |base, _, _| {
                let mut buf = [0u8; 64];
                if let Ok(n) = sock.read(&mut buf) {
                    let _ = sock.write_all(&buf[..n]);
                }
                if counts {
                    trips.set(trips.get() + 1);
                    if trips.get() >= ROUND_TRIPS {
                        base.loopbreak();
                    }
                }
            })
            .expect("event_new");
        base.event_add(ev, None).expect("add");
    }
    base.dispatch().expect("dispatch");
    black_box(trips.get());
}

fn record(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("evscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bench.jsonl");
    let mut g = c.benchmark_group("trace_record");
    g.throughput(Throughput::Elements(ROUND_TRIPS));
    g.sample_size(20);
    g.bench_function("ping_pong_off", |b| {
        b.iter(|| ping_pong(EventBase::with_backend(BackendKind::Epoll).expect("base")))
    });
    g.bench_function("ping_pong_recorded_to_file", |b| {
        b.iter(|| {
            let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
            base.set_observer(Box::new(Recorder::to_file(&path).expect("trace file")));
            ping_pong(base)
        })
    });
    g.bench_function("ping_pong_recorded_to_sink", |b| {
        b.iter(|| {
            let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
            base.set_observer(Box::new(Recorder::to_writer(std::io::sink())));
            ping_pong(base)
        })
    });
    g.bench_function("ping_pong_recorded_to_null_sink", |b| {
        b.iter(|| {
            let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
            base.set_observer(Box::new(Recorder::new(NullSink)));
            ping_pong(base)
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hops of the event chain per run.
const HOPS: u64 = 100_000;

/// Two events make each other active `HOPS` times on `base`: a handful of records a hop when
/// traced (the dispatch transition, the callback's begin and end, the transition back, the
/// other event made active), and no system call in the callbacks.
fn chain(mut base: EventBase) {
    let hops = Rc::new(Cell::new(0u64));
    let ids: Rc<Cell<[Option<EventId>; 2]>> = Rc::new(Cell::new([None, None]));
    for i in 0..2 {
        let hops = hops.clone();
        let peers = ids.clone();
        let ev = base
            .event_new(None, What::PERSIST, move |base, _, _| {
                hops.set(hops.get() + 1);
                if hops.get() < HOPS {
                    if let Some(other) = peers.get()[1 - i] {
                        base.event_active(other, What::TIMEOUT).expect("active");
                    }
                }
            })
            .expect("event_new");
        let mut both = ids.get();
        both[i] = Some(ev);
        ids.set(both);
    }
    let first = ids.get()[0].expect("made");
    base.event_active(first, What::TIMEOUT).expect("active");
    base.dispatch().expect("dispatch");
    black_box(hops.get());
}

/// The event chain untraced and traced to a sink that drops the records, and what the loop
/// thread pays per record: the difference of the two medians over the records a run makes.
fn loop_share(c: &mut Criterion) {
    let (recorder, rx) = Recorder::to_channel();
    let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
    base.set_observer(Box::new(recorder));
    chain(base);
    let records = rx.try_iter().count() as f64;
    let mut g = c.benchmark_group("trace_loop");
    g.throughput(Throughput::Elements(HOPS));
    g.sample_size(20);
    g.bench_function("chain_off", |b| {
        b.iter(|| chain(EventBase::with_backend(BackendKind::Epoll).expect("base")))
    });
    g.bench_function("chain_recorded_to_null_sink", |b| {
        b.iter(|| {
            let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
            base.set_observer(Box::new(Recorder::new(NullSink)));
            chain(base)
        })
    });
    g.finish();
    // Medians of separate runs, interleaved, so that a slow spell of the machine hits both.
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        chain(EventBase::with_backend(BackendKind::Epoll).expect("base"));
        off.push(t.elapsed().as_secs_f64());
        let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
        base.set_observer(Box::new(Recorder::new(NullSink)));
        let t = Instant::now();
        chain(base);
        on.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let per = (median(&mut on) - median(&mut off)) * 1e9 / records;
    println!("TRACE_RECORD loop_ns_per_record={per:.1} records_per_run={records}");
}

/// The records of `ROUND_TRIPS` round trips encoded as the lines of a trace, in batches as the
/// sink thread gets them, into memory: the sink thread's work without the file.
fn encode(c: &mut Criterion) {
    let (recorder, rx) = Recorder::to_channel();
    let mut base = EventBase::with_backend(BackendKind::Epoll).expect("base");
    base.set_observer(Box::new(recorder));
    ping_pong(base);
    let records: Vec<Record> = rx.try_iter().collect();
    let header = Header::new("epoll", "trace_record");
    let mut out = Vec::with_capacity(1 << 24);
    let mut g = c.benchmark_group("trace_encode");
    g.throughput(Throughput::Elements(records.len() as u64));
    g.sample_size(20);
    g.bench_function("ping_pong_records", |b| {
        b.iter(|| {
            out.clear();
            let mut w = Writer::new(&mut out, &header).expect("header");
            for batch in records.chunks(256) {
                w.write_batch(batch).expect("in memory");
            }
            black_box(w.into_inner().expect("in memory").len())
        })
    });
    g.finish();
}

criterion_group!(benches, record, encode, loop_share);
criterion_main!(benches);
