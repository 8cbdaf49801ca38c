//! Step controls the dashboard sends to the observed loop's step gate.

/// One control message (the socket link writes them as the trace layer's `{"cmd":…}` lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
