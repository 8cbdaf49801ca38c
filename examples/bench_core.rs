//! The evscope side of `bench/run`: the workloads of `benches/timers.rs` and
//! `benches/pipe_chain.rs`, printed as one `WORKLOAD METRIC=VALUE` line each, exactly as
//! `bench/c/timers.c` and `bench/c/pipe_chain.c` print them for libevent.
//!
//! ```text
//! cargo run --release --example bench_core -- timers --live 100000
//! cargo run --release --example bench_core -- pipe-chain --backend epoll --pipes 9000
//! ```

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use evscope::ev::BackendKind;

use workloads::pipe_chain::PipeChain;
use workloads::timers::{fire, LiveTimers};
use workloads::{BenchError, Skip};

#[derive(Parser)]
#[command(about = "evscope's side of the bench/run comparison with libevent")]
struct Args {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// timer_add_<live>, timer_del_<live> (ns per op) and timer_fire_<live> (ns per timer).
    Timers {
        /// Timers armed while adds and deletes are measured (and timers fired).
        #[arg(long, default_value_t = 100_000)]
        live: usize,
        /// Adds (and deletes) measured; done in batches of 10,000.
        #[arg(long, default_value_t = 200_000)]
        ops: u64,
    },
    /// pipe_chain_<backend>_<pipes> (µs per write, median of the runs).
    PipeChain {
        /// epoll, poll or select.
        #[arg(long)]
        backend: String,
        /// Socketpairs in the ring.
        #[arg(long)]
        pipes: usize,
        /// Chained writes per run (bench.c's -w).
        #[arg(long, default_value_t = 1_000)]
        writes: u64,
        /// Runs (bench.c does 25).
        #[arg(long, default_value_t = 25)]
        runs: usize,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.workload {
        Workload::Timers { live, ops } => timers(live, ops),
        Workload::PipeChain {
            backend,
            pipes,
            writes,
            runs,
        } => pipe_chain(&backend, pipes, writes, runs),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_core: {e}");
            ExitCode::FAILURE
        }
    }
}

fn per_op_ns(took: Duration, ops: u64) -> f64 {
    took.as_nanos() as f64 / ops as f64
}

fn timers(live: usize, ops: u64) -> Result<(), BenchError> {
    let tag = format!("{}k", live / 1_000);
    let mut timers = LiveTimers::new(live, 10_000)?;
    timers.add_del(timers.batch() as u64)?; // warm-up
    let (add, del) = timers.add_del(ops)?;
    drop(timers);
    println!("timer_add_{tag} ns={:.1}", per_op_ns(add, ops));
    println!("timer_del_{tag} ns={:.1}", per_op_ns(del, ops));
    let took = fire(live)?;
    println!("timer_fire_{tag} ns={:.1}", per_op_ns(took, live as u64));
    Ok(())
}

fn pipe_chain(backend: &str, pipes: usize, writes: u64, runs: usize) -> Result<(), BenchError> {
    let kind: BackendKind = backend.parse()?;
    let name = format!("pipe_chain_{backend}_{pipes}");
    let mut chain = match PipeChain::new(kind, pipes) {
        Ok(chain) => chain,
        Err(e) if e.is::<Skip>() => {
            println!(
                "{name} skip={}",
                e.downcast_ref::<Skip>().map_or("", |s| &s.0)
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut per_write = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        match chain.run(writes) {
            Ok(took) => per_write.push(took.as_nanos() as f64 / 1_000.0 / writes as f64),
            Err(e) if e.is::<Skip>() => {
                println!(
                    "{name} skip={}",
                    e.downcast_ref::<Skip>().map_or("", |s| &s.0)
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    per_write.sort_by(f64::total_cmp);
    println!("{name} us_per_write={:.3}", per_write[per_write.len() / 2]);
    Ok(())
}
