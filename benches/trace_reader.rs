//! Trace reading speed (the target is at least 1M records/s): a synthetic echo-like trace held
//! in memory, read and checked record by record.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evscope::ev::{State, What};
use evscope::trace::{write_all, Body, Header, Reader, Record};

/// `iterations` loop iterations over 32 events, ten records each, like an echo server's.
fn echo_like_trace(iterations: u64) -> (Vec<u8>, u64) {
    let mut records = Vec::new();
    let mut seq = 0;
    let mut push = |records: &mut Vec<Record>, t_us: u64, body: Body| {
        seq += 1;
        records.push(Record {
            seq,
            t_us,
            base: 0,
            body,
        });
    };
    for ev in 0..32u64 {
        push(
            &mut records,
            0,
            Body::EventNew {
                ev,
                fd: Some(10 + ev as i32),
                what: What::READ | What::PERSIST,
                label: format!("conn {ev}"),
            },
        );
        push(
            &mut records,
            0,
            Body::Transition {
                ev,
                fd: Some(10 + ev as i32),
                from: State::New,
                to: State::Pending,
                cause: "event_add".into(),
            },
        );
        push(
            &mut records,
            0,
            Body::BevNew {
                bev: ev,
                fd: Some(10 + ev as i32),
                label: String::new(),
            },
        );
    }
    for n in 1..=iterations {
        let t = n * 7;
        let ev = n % 32;
        let fd = Some(10 + ev as i32);
        let bodies = [
            Body::LoopIteration { n, thread: None },
            Body::PollBegin {
                backend: "epoll".into(),
                timeout_us: None,
            },
            Body::PollEnd { ready: 1 },
            Body::Transition {
                ev,
                fd,
                from: State::Pending,
                to: State::Active,
                cause: "fd_readable".into(),
            },
            Body::RunActive {
                priority: 0,
                queued: 1,
            },
            Body::Transition {
                ev,
                fd,
                from: State::Active,
                to: State::Callback,
                cause: "dispatch".into(),
            },
            Body::CallbackBegin {
                ev,
                what: What::READ,
            },
            Body::Buffer {
                bev: ev,
                levels: evscope::ev::Levels {
                    input: 512,
                    output: 0,
                    read_low: 0,
                    read_high: 0,
                    write_low: 0,
                    write_high: 0,
                    enabled: What::READ | What::WRITE,
                    kernel_in: None,
                    kernel_out: None,
                },
            },
            Body::CallbackEnd {
                ev,
                what: What::READ,
                dur_us: 3,
            },
            Body::Transition {
                ev,
                fd,
                from: State::Callback,
                to: State::Pending,
                cause: "callback_returned".into(),
            },
        ];
        for b in bodies {
            push(&mut records, t, b);
        }
    }
    let n = records.len() as u64;
    let header = Header::new("epoll", "bench");
    (
        write_all(Vec::new(), &header, &records).expect("writing to memory"),
        n,
    )
}

fn read(c: &mut Criterion) {
    let (bytes, n) = echo_like_trace(20_000);
    let mut g = c.benchmark_group("trace_reader");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);
    g.bench_function("read_and_check_200k_records", |b| {
        b.iter(|| {
            let mut reader = Reader::new(Cursor::new(black_box(&bytes))).expect("header");
            let mut count = 0u64;
            while let Some(rec) = reader.next_record().expect("valid") {
                black_box(&rec);
                count += 1;
            }
            assert_eq!(count, n);
        })
    });
    g.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
