//! How many descriptors this process may open, read from /proc (raising the limit needs
//! `setrlimit`, which the harness does with `ulimit -n` before starting us).

/// The soft `RLIMIT_NOFILE`, or None when /proc does not say.
pub fn soft_nofile() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        Some(u64::MAX)
    } else {
        soft.parse().ok()
    }
}
