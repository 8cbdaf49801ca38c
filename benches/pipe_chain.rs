//! libevent's bench.c pipe chain on every backend: n socketpairs, one active, each read callback
//! writing into the next pair. One criterion iteration is one chained write, so the time shown
//! is the cost per write. Run with `cargo bench --bench pipe_chain` (it needs about 2n fds:
//! `ulimit -n 20000` for n = 9000).

#[path = "workloads/mod.rs"]
mod workloads;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evscope::ev::BackendKind;

use workloads::pipe_chain::PipeChain;
use workloads::Skip;

/// 500 is the largest size select can watch (its fds must stay below FD_SETSIZE = 1024).
const SIZES: [usize; 3] = [500, 1_000, 9_000];

fn pipe_chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipe_chain");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for kind in BackendKind::ALL {
        for n in SIZES {
            let name = format!("{}/{n}", kind.name());
            let mut chain = match PipeChain::new(kind, n).and_then(|mut c| c.run(1).map(|_| c)) {
                Ok(chain) => chain,
                Err(e) if e.is::<Skip>() => {
                    println!("pipe_chain/{name}: {e}");
                    continue;
                }
                Err(e) => panic!("pipe_chain/{name}: {e}"),
            };
            group.bench_function(name.as_str(), |b| {
                b.iter_custom(|iters| chain.writes(iters).expect("chained writes"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, pipe_chain);
criterion_main!(benches);
