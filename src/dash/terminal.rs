//! Taking the terminal and always giving it back: on return, on error, on panic (ratatui's hook),
//! and on Ctrl-C / SIGTERM (turned into a quit by the runner).

use std::io::IsTerminal;

use ratatui::DefaultTerminal;

use super::DashError;

/// Refuses to start when stdout is not a terminal (a pipe, a file, a CI job): drawing there
/// would only garble it, and waiting for keys that cannot come would hang.
pub fn ensure() -> Result<(), DashError> {
    if std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(DashError::NoTerminal)
    }
}

/// Owns the terminal in raw mode on the alternate screen; restores it when dropped.
pub struct TerminalGuard {
    /// The terminal to draw on.
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, and installs the panic hook that restores them.
    pub fn new() -> std::io::Result<TerminalGuard> {
        Ok(TerminalGuard {
            terminal: ratatui::try_init()?,
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
