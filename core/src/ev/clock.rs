//! [`Clock`]: the monotonic clock an observed loop reads for its records, at a fraction of
//! `Instant::now`'s cost where the processor's counter can be trusted.
//!
//! A trace times every record, and a busy loop makes one every hundred nanoseconds or so, so
//! the clock is read millions of times a second; `clock_gettime` costs about 30 ns on a virtual
//! machine. Where the kernel runs its own monotonic clock on the processor's time-stamp counter
//! ([`sys::cycles`](super::sys::cycles)), this clock reads the counter and scales it from its
//! last real reading of the system's clock. It reads the system's clock again at least every
//! [`SPAN`], and whenever the counter looks wrong (went back, or jumped far), so it stays within
//! the scale's error over one span of the system's clock: a few nanoseconds, where a trace
//! counts microseconds. Where the counter cannot be trusted it is `Instant::now`.
//!
//! Like `Instant`, it never goes back: a reading is never before the one before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::sys;

/// The longest the clock goes on the counter alone before reading the system's clock again.
pub const SPAN: Duration = Duration::from_millis(1);
/// How far apart two real readings are before the counter's rate is taken from them.
const CALIBRATE: Duration = Duration::from_millis(2);
/// The counter's rate as the last clock to measure it found it (the `scale` of [`Clock`]; 0:
/// none did yet), for the clocks made after it: a base made late, or a recorder's lane.
static RATE: AtomicU64 = AtomicU64::new(0);

/// A monotonic clock counting from `started`; see the module's documentation.
#[derive(Clone, Debug)]
pub struct Clock {
    started: Instant,
    /// The last real reading (ns since `started`) and the counter then.
    anchor_ns: u64,
    anchor_cycles: u64,
    /// The first real reading with a counter, which the rate is measured from.
    first: Option<(u64, u64)>,
    /// Nanoseconds per cycle × 2³²; 0 while the rate is not known.
    scale: u64,
    /// Cycles in one [`SPAN`] (0 while the rate is not known).
    span: u64,
    /// The last reading given; none is ever before it.
    last_ns: u64,
}

impl Clock {
    /// A clock counting from `started`.
    pub fn new(started: Instant) -> Clock {
        Clock {
            started,
            anchor_ns: 0,
            anchor_cycles: 0,
            first: None,
            scale: 0,
            span: 0,
            last_ns: 0,
        }
    }

    /// What the clock counts from.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Now, in nanoseconds since `started`.
    #[inline]
    pub fn now_ns(&mut self) -> u64 {
        let ns = match sys::cycles() {
            Some(c) => {
                let d = c.wrapping_sub(self.anchor_cycles);
                if d < self.span {
                    self.anchor_ns + ((u128::from(d) * u128::from(self.scale)) >> 32) as u64
                } else {
                    self.read(c)
                }
            }
            None => nanos(Instant::now().saturating_duration_since(self.started)),
        };
        self.last_ns = self.last_ns.max(ns);
        self.last_ns
    }

    /// Now, as an `Instant`.
    #[inline]
    pub fn now(&mut self) -> Instant {
        self.started + Duration::from_nanos(self.now_ns())
    }

    /// Reads the system's clock between two readings of the counter (the first is `c`): the
    /// anchor the next readings scale from, and the counter's rate once two such readings are
    /// far enough apart. Of three tries it keeps the one whose counter readings are closest
    /// together, so that a thread preempted between them does not skew the anchor.
    #[cold]
    fn read(&mut self, mut c: u64) -> u64 {
        // (the counter readings' distance, the clock's reading, the counter between them)
        let tries = [(); 3].map(|()| {
            let ns = nanos(Instant::now().saturating_duration_since(self.started));
            let after = sys::cycles().unwrap_or(c);
            let at = (after.wrapping_sub(c), ns, c / 2 + after / 2);
            c = after;
            at
        });
        let &(_, ns, c) = tries.iter().min_by_key(|t| t.0).unwrap_or(&tries[0]);
        let (first_ns, first_c) = *self.first.get_or_insert((ns, c));
        let (dn, dc) = (ns.wrapping_sub(first_ns), c.wrapping_sub(first_c));
        if ns < first_ns || c < first_c {
            // The counter or the clock went back (another cpu's counter, a restored
            // machine): measure the rate again from here, and read the system's clock until
            // then.
            self.first = Some((ns, c));
            self.scale = 0;
        } else if dc > 0 && dn >= nanos(CALIBRATE) {
            // Over the whole time this clock measured: the longer, the finer. Clocks made
            // later start from it.
            self.scale = u64::try_from((u128::from(dn) << 32) / u128::from(dc)).unwrap_or(0);
            RATE.store(self.scale, Ordering::Relaxed);
        } else if self.scale == 0 {
            // A new clock: the rate another clock of this process measured, if any.
            self.scale = RATE.load(Ordering::Relaxed);
        }
        self.span = match self.scale {
            0 => 0,
            scale => {
                u64::try_from((u128::from(nanos(SPAN)) << 32) / u128::from(scale)).unwrap_or(0)
            }
        };
        self.anchor_ns = ns;
        self.anchor_cycles = c;
        ns
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_never_go_back_and_follow_the_system_clock() {
        let started = Instant::now();
        let mut clock = Clock::new(started);
        let mut last = 0;
        let until = Instant::now() + Duration::from_millis(30);
        let mut n = 0u64;
        while Instant::now() < until {
            let before = nanos(Instant::now().saturating_duration_since(started));
            let t = clock.now_ns();
            let after = nanos(Instant::now().saturating_duration_since(started));
            assert!(t >= last, "reading {n} went back: {t} ns after {last} ns");
            // Within a microsecond of the system's clock read around it (plus the time the
            // rate's error builds up over one span, far less than that).
            assert!(
                t + 1_000 >= before && t <= after + 1_000,
                "reading {n}: {t} ns, the system's clock said {before}..{after} ns"
            );
            last = t;
            n += 1;
        }
        assert!(n > 1000, "only {n} readings in 30 ms");
    }

    #[test]
    fn a_long_quiet_spell_reads_the_system_clock_again() {
        let started = Instant::now();
        let mut clock = Clock::new(started);
        // Past calibration, then a wait longer than a span.
        let until = Instant::now() + CALIBRATE * 2;
        while Instant::now() < until {
            clock.now_ns();
        }
        std::thread::sleep(SPAN * 5);
        let before = nanos(Instant::now().saturating_duration_since(started));
        let t = clock.now_ns();
        assert!(
            t >= before,
            "after a quiet spell the clock read {t} ns, behind the system's {before} ns"
        );
        let instant = clock.now();
        assert!(instant >= started + Duration::from_nanos(t));
        assert!(instant <= Instant::now() + Duration::from_micros(1));
    }
}
