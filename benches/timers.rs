//! Timer add / del with 100k live timers, and 100k timers firing through the loop.
//! Run with `cargo bench --bench timers`; `bench/run` compares the same workloads with libevent.

#[path = "workloads/mod.rs"]
mod workloads;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use workloads::timers::{fire, LiveTimers};

const LIVE: usize = 100_000;
const BATCH: usize = 10_000;

fn add_del(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_100k_live");
    group.throughput(Throughput::Elements(1));
    let mut timers = LiveTimers::new(LIVE, BATCH).expect("arming 100k timers");
    group.bench_function("add", |b| {
        b.iter_custom(|iters| timers.add_del(iters).expect("add / del").0)
    });
    group.bench_function("del", |b| {
        b.iter_custom(|iters| timers.add_del(iters).expect("add / del").1)
    });
    group.finish();
}

fn fire_100k(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_fire");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(1));
    // One iteration fires 100k timers; the throughput line gives the rate per timer.
    group.throughput(Throughput::Elements(LIVE as u64));
    group.bench_function("100k", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| fire(LIVE).expect("firing 100k timers"))
                .sum()
        })
    });
    group.finish();
}

criterion_group!(benches, add_del, fire_100k);
criterion_main!(benches);
