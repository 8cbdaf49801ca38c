//! How many cases a property test runs: `PROPTEST_CASES` when set (the soak mode raises it),
//! else the test's own default.

/// `PROPTEST_CASES` if it is a number, else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
