//! Taking the terminal and always giving it back: on return, on error, on panic (ratatui's hook),
//! and on Ctrl-C / SIGTERM (turned into a quit by the runner).

use ratatui::DefaultTerminal;

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
