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

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evscope::ev::{BackendKind, EventBase, What};
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

criterion_group!(benches, record, encode);
criterion_main!(benches);
