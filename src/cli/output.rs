//! The observed program's stdout and stderr while the dashboard has the terminal: held (the
//! latest lines, up to a bound), printed once the terminal is given back, and passed straight
//! through from then on. The program never blocks on a full pipe and never garbles the screen.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Child;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Lines kept while held; older ones are counted, not kept.
const KEEP: usize = 10_000;

#[derive(Clone, Copy)]
enum To {
    Out,
    Err,
}

#[derive(Default)]
struct State {
    holding: bool,
    lines: VecDeque<(To, Vec<u8>)>,
    lost: usize,
}

/// The pipes of a child started with piped stdout and stderr.
pub struct HeldOutput {
    state: Arc<Mutex<State>>,
    threads: Vec<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn write(to: To, line: &[u8]) {
    let _ = match to {
        To::Out => std::io::stdout().lock().write_all(line),
        To::Err => std::io::stderr().lock().write_all(line),
    };
}

impl HeldOutput {
    /// Starts reading `child`'s piped stdout and stderr, holding what they say.
    pub fn hold(child: &mut Child) -> HeldOutput {
        let state = Arc::new(Mutex::new(State {
            holding: true,
            ..State::default()
        }));
        let mut threads = Vec::new();
        let pipes: [(To, Option<Box<dyn Read + Send>>); 2] = [
            (To::Out, child.stdout.take().map(|p| Box::new(p) as _)),
            (To::Err, child.stderr.take().map(|p| Box::new(p) as _)),
        ];
        for (to, pipe) in pipes {
            let Some(pipe) = pipe else { continue };
            let state = state.clone();
            let spawned = std::thread::Builder::new()
                .name("evscope-output".into())
                .spawn(move || pump(to, pipe, &state));
            if let Ok(t) = spawned {
                threads.push(t);
            }
        }
        HeldOutput { state, threads }
    }

    /// The terminal is ours again: print what was held, then pass everything through.
    pub fn release(&self) {
        let mut s = lock(&self.state);
        s.holding = false;
        if s.lost > 0 {
            tell!(
                "evscope: the program's output while the dashboard was open ({} earlier lines not kept):",
                s.lost
            );
        } else if !s.lines.is_empty() {
            tell!("evscope: the program's output while the dashboard was open:");
        }
        for (to, line) in s.lines.drain(..) {
            write(to, &line);
        }
    }

    /// Waits until the program's pipes are closed and everything is printed.
    pub fn finish(self) {
        self.release();
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn pump(to: To, pipe: Box<dyn Read + Send>, state: &Mutex<State>) {
    let mut input = BufReader::new(pipe);
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut s = lock(state);
        if s.holding {
            if s.lines.len() == KEEP {
                s.lines.pop_front();
                s.lost += 1;
            }
            s.lines.push_back((to, line.clone()));
        } else {
            write(to, &line);
        }
    }
}
