//! Driving the real binary in a real terminal: a detached tmux session of a given size, keys
//! sent with send-keys, the screen read back with capture-pane.

use std::process::Command;
use std::time::{Duration, Instant};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A tmux session running one shell command, on a tmux server of its own (`-L`), so tests
/// running side by side never meet one server starting or stopping; killed on drop.
pub struct Tmux {
    name: String,
}

/// `tmux -L NAME`: the private server of session `name`.
fn tmux(name: &str) -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", name]);
    c
}

/// True when tmux can be run. Only a missing tmux makes a terminal test skip (saying so);
/// CI installs it.
pub fn available(test: &str) -> bool {
    match Command::new("tmux").arg("-V").output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipping {test}: tmux is not installed (CI installs it)");
            false
        }
        _ => true,
    }
}

impl Tmux {
    /// Starts `cmd` in a new detached `w`×`h` session.
    pub fn start(tag: &str, w: u16, h: u16, cmd: &str) -> Result<Tmux, Box<dyn std::error::Error>> {
        let name = format!("evscope-{tag}-{}", std::process::id());
        let (w, h) = (w.to_string(), h.to_string());
        let out = tmux(&name)
            .args(["new-session", "-d", "-x", &w, "-y", &h, "-s", &name, cmd])
            .output()?;
        if out.status.success() {
            return Ok(Tmux { name });
        }
        Err(format!(
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }

    /// Sends each key (tmux names: `n`, `Space`, `q`, …).
    pub fn keys(&self, keys: &[&str]) -> TestResult {
        for k in keys {
            let ok = tmux(&self.name)
                .args(["send-keys", "-t", &self.name, k])
                .status()?
                .success();
            if !ok {
                return Err(format!("tmux send-keys {k} failed").into());
            }
        }
        Ok(())
    }

    /// The screen's text.
    pub fn screen(&self) -> Result<String, Box<dyn std::error::Error>> {
        let out = tmux(&self.name)
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits (up to 20 s) until the screen satisfies `ok`; returns the last screen either way.
    pub fn wait_for(
        &self,
        ok: impl Fn(&str) -> bool,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let start = Instant::now();
        loop {
            let s = self.screen()?;
            if ok(&s) || start.elapsed() > Duration::from_secs(20) {
                return Ok(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True while the session exists.
    pub fn alive(&self) -> bool {
        tmux(&self.name)
            .args(["has-session", "-t", &self.name])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&self.name).arg("kill-server").status();
    }
}

/// The first line of a screen (the dashboard's header bar).
pub fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}
