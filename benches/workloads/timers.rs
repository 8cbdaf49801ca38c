//! Timer workloads (`bench/c/timers.c` is the libevent twin):
//!
//! - add / del: `live` pure timers armed 1–101 s ahead (random, whole microseconds, as
//!   libevent's timeval); then a pool of `batch` more timers is armed (timed: add) and
//!   disarmed (timed: del), again and again, so every op sees `live`..`live + batch` armed.
//! - fire: `n` one-shot timers armed 0–1 ms ahead; once all are due, one `dispatch()` runs
//!   them all (timed: heap pops, activation, callbacks).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evscope::ev::{BackendKind, EventBase, EventId};

use super::rng::Rng;
use super::BenchError;

/// A base with `live` armed timers and a pool of unarmed ones to add and delete.
pub struct LiveTimers {
    base: EventBase,
    pool: Vec<EventId>,
    rng: Rng,
}

impl LiveTimers {
    /// Arms `live` timers and creates `batch` more, unarmed.
    pub fn new(live: usize, batch: usize) -> Result<LiveTimers, BenchError> {
        let mut base = EventBase::with_backend(BackendKind::Epoll)?;
        let mut rng = Rng::new();
        for _ in 0..live {
            let ev = base.evtimer_new(|_, _, _| {})?;
            base.event_add(ev, Some(long_timeout(&mut rng)))?;
        }
        let pool = (0..batch)
            .map(|_| base.evtimer_new(|_, _, _| {}))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LiveTimers { base, pool, rng })
    }

    /// How many timers one batch adds or deletes.
    pub fn batch(&self) -> usize {
        self.pool.len()
    }

    /// Arms the first `k` pool timers; returns the time the `add` calls took.
    pub fn add_batch(&mut self, k: usize) -> Result<Duration, BenchError> {
        let timeouts: Vec<Duration> = (0..k).map(|_| long_timeout(&mut self.rng)).collect();
        let began = Instant::now();
        for (&ev, &tv) in self.pool.iter().zip(&timeouts) {
            self.base.event_add(ev, Some(tv))?;
        }
        Ok(began.elapsed())
    }

    /// Disarms the first `k` pool timers; returns the time the `del` calls took.
    pub fn del_batch(&mut self, k: usize) -> Result<Duration, BenchError> {
        let began = Instant::now();
        for &ev in &self.pool[..k] {
            self.base.event_del(ev)?;
        }
        Ok(began.elapsed())
    }

    /// `ops` adds (or dels) in batches; returns (add time, del time).
    pub fn add_del(&mut self, ops: u64) -> Result<(Duration, Duration), BenchError> {
        let (mut add, mut del) = (Duration::ZERO, Duration::ZERO);
        let mut left = ops;
        while left > 0 {
            let k = left.min(self.pool.len() as u64) as usize;
            add += self.add_batch(k)?;
            del += self.del_batch(k)?;
            left -= k as u64;
        }
        Ok((add, del))
    }
}

/// A timeout for a timer that never fires while measured: 1 s to 101 s.
fn long_timeout(rng: &mut Rng) -> Duration {
    Duration::from_micros(rng.range(1_000_000, 100_000_000))
}

/// Arms `n` one-shot timers 0–1 ms ahead, waits until all are due, and returns how long one
/// `dispatch()` took to fire them all.
pub fn fire(n: usize) -> Result<Duration, BenchError> {
    let mut base = EventBase::with_backend(BackendKind::Epoll)?;
    let mut rng = Rng::new();
    let fired = Rc::new(Cell::new(0usize));
    for _ in 0..n {
        let fired = fired.clone();
        let ev = base.evtimer_new(move |_, _, _| fired.set(fired.get() + 1))?;
        base.event_add(ev, Some(Duration::from_micros(rng.range(0, 1_000))))?;
    }
    // Well past the last deadline, even for a clock that ticks coarsely.
    std::thread::sleep(Duration::from_millis(20));
    let began = Instant::now();
    base.dispatch()?;
    let took = began.elapsed();
    if fired.get() != n {
        return Err(format!("{} of {n} timers fired", fired.get()).into());
    }
    Ok(took)
}
