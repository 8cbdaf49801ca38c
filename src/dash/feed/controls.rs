//! [`Controls`]: the way back from the dashboard to the observed loop's step gate.

use std::io;
use std::sync::Arc;

use crate::trace::{Control, ControlSender, Gate, Status};

/// Where step controls go: the gate of a loop in this process, or a live link.
#[derive(Clone)]
pub enum Controls {
    /// A loop in this process (a demo) whose recorder is under this gate
    /// (`Recorder::with_gate`).
    InProcess(Arc<Gate>),
    /// A program over the live link; its gate answers with status lines on the link.
    Link(ControlSender),
}

impl Controls {
    /// Sends one control. The in-process gate answers at once with the status to show; a
    /// link's answer arrives as a [`super::LiveItem::Status`]. An error means the link is gone
    /// (and the program runs on).
    pub fn send(&self, ctl: &Control) -> io::Result<Option<Status>> {
        match self {
            Controls::InProcess(gate) => Ok(gate.apply(ctl)),
            Controls::Link(link) => link.send(ctl).map(|()| None),
        }
    }

    /// The viewer leaves: the gate opens and forgets its breakpoints (in process), or the link
    /// is closed, which opens the program's gate. Either way the observed loop runs on.
    pub fn release(&self) {
        match self {
            Controls::InProcess(gate) => gate.disconnect(),
            Controls::Link(link) => link.close(),
        }
    }
}
