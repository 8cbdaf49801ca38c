//! Taking the terminal and always giving it back: on return, on error, on panic (a panic hook),
//! and on Ctrl-C / SIGTERM / SIGHUP (turned into a quit by the runner). Giving it back never
//! panics, even when the terminal has gone (a closed window hangs up): a panic there would abort
//! the process before anything else is cleaned up.

use std::io::{self, IsTerminal};
use std::sync::Once;

use crossterm::execute;
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::{DefaultTerminal, Terminal};

use super::DashError;

/// Refuses to start when stdout is not a terminal (a pipe, a file, a CI job): drawing there
/// would only garble it, and waiting for keys that cannot come would hang. Refuses a terminal
/// that says it cannot draw a full screen (`TERM=dumb`, as in editors' shells and some CI
/// consoles): the dashboard's codes would be printed as text there.
pub fn ensure() -> Result<(), DashError> {
    if !std::io::stdout().is_terminal() {
        return Err(DashError::NoTerminal);
    }
    if std::env::var_os("TERM").is_some_and(|t| t == "dumb") {
        return Err(DashError::DumbTerminal);
    }
    Ok(())
}

/// Leaves raw mode and the alternate screen. A terminal that has gone cannot be restored, and
/// there is nowhere to say so: that is not an error worth more than trying.
fn restore() {
    let _ = ratatui::try_restore();
}

/// Restores the terminal before the panic message is printed (once for the process).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            hook(info);
        }));
    });
}

/// Owns the terminal in raw mode on the alternate screen; restores it when dropped.
pub struct TerminalGuard {
    /// The terminal to draw on.
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, and installs the panic hook that restores them.
    pub fn new() -> io::Result<TerminalGuard> {
        install_panic_hook();
        let started = (|| {
            enable_raw_mode()?;
            execute!(io::stdout(), EnterAlternateScreen)?;
            Terminal::new(CrosstermBackend::new(io::stdout()))
        })();
        match started {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
