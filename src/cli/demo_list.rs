//! `evscope demos`: every demo, one line each with the lesson it belongs to.

use std::io::Write;
use std::process::ExitCode;

use evscope::demos::{DEFAULT, DEMOS};

use super::Failure;

pub fn main() -> Result<ExitCode, Failure> {
    let width = DEMOS.iter().map(|d| d.name.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for d in DEMOS {
        if writeln!(out, "{:<width$}  lesson {}", d.name, d.lesson).is_err() {
            return Ok(ExitCode::SUCCESS); // e.g. `| head`
        }
    }
    tell!(
        "evscope: run one with `evscope demo NAME` (--step starts it paused); \
         `evscope` alone runs {DEFAULT}"
    );
    Ok(ExitCode::SUCCESS)
}
