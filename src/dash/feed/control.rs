//! Step controls the dashboard sends to the observed loop's step gate.

use serde::{Deserialize, Serialize};

/// One control message (the live link writes them as JSON lines, tagged by `control`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "control", rename_all = "snake_case")]
pub enum Control {
    /// Hold the loop at its next record.
    Pause,
    /// Release exactly one record, then hold again.
    Step,
    /// Run freely.
    Continue,
    /// Run until the next loop iteration begins, then hold.
    NextIteration,
    /// Hold whenever event `ev` changes state (`on: false` removes the breakpoint).
    Breakpoint { ev: u64, on: bool },
}
