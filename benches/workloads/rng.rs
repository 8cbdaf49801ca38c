//! xorshift64*: the same pseudo-random timeouts on both sides of the comparison
//! (`bench/c/common.h` has the twin).

/// The seed every workload starts from.
pub const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A tiny deterministic generator.
pub struct Rng(u64);

impl Rng {
    /// A generator at `SEED`.
    pub fn new() -> Rng {
        Rng(SEED)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `lo..lo + span`.
    pub fn range(&mut self, lo: u64, span: u64) -> u64 {
        lo + self.next() % span
    }
}
