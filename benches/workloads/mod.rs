//! The benchmark workloads, defined once and shared by the criterion benches (`benches/*.rs`)
//! and the side-by-side harness binary (`examples/bench_core.rs`). `bench/c/*.c` measures the
//! same things the same way on libevent.
#![allow(dead_code)]

pub mod fd_limit;
pub mod pipe_chain;
pub mod rng;
pub mod timers;

/// A workload that cannot run here, with the reason (select's fd limit, too few fds allowed).
#[derive(Debug)]
pub struct Skip(pub String);

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "skipped: {}", self.0)
    }
}

impl std::error::Error for Skip {}

/// What a workload fails with: a skip, or an error from the library or the OS.
pub type BenchError = Box<dyn std::error::Error>;
