//! Temporary files and directories that must not outlive the command, however it ends: a
//! [`Temp`] removes its path when dropped (a normal return, an error, a panic), and
//! [`remove_all`] removes every path still held, for the ways out that run no destructor (a
//! signal's exit). [`on_signals`] turns SIGINT, SIGTERM and SIGHUP into calls on a thread of
//! its own (tokio's signal handling, as the dashboard's), instead of the default of dying on
//! the spot.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex, MutexGuard};

use tokio::signal::unix::{signal, SignalKind};

/// Every path a live [`Temp`] holds.
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn held() -> MutexGuard<'static, Vec<PathBuf>> {
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes a file, or a directory and what is in it; a path already gone is fine.
fn remove(path: &Path) {
    // Nothing more can be done about a path that will not go; it is not worth a failure.
    let _ = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
}

/// A temporary file or directory, removed when this is dropped (unless [`Temp::keep`]).
pub struct Temp {
    path: PathBuf,
}

impl Temp {
    /// Takes charge of `path` (already created).
    pub fn new(path: PathBuf) -> Temp {
        held().push(path.clone());
        Temp { path }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path is no longer temporary (it was renamed into place): forget it.
    pub fn keep(self) {
        forget(&self.path);
        std::mem::forget(self);
    }
}

fn forget(path: &Path) {
    held().retain(|p| p != path);
}

impl Drop for Temp {
    fn drop(&mut self) {
        remove(&self.path);
        forget(&self.path);
    }
}

/// Removes every temporary path still held, now.
pub fn remove_all() {
    for p in held().drain(..) {
        remove(&p);
    }
}

/// A signal's name, for messages.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Calls `handler` with the signal's number each time SIGINT, SIGTERM or SIGHUP arrives, on a
/// thread of its own, from when this returns until the process ends.
pub fn on_signals(mut handler: impl FnMut(i32) + Send + 'static) -> io::Result<()> {
    let (ready_tx, ready) = mpsc::channel();
    std::thread::Builder::new()
        .name("evscope-signals".into())
        .spawn(move || {
            let watch = || -> io::Result<_> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let streams = rt.block_on(async {
                    Ok::<_, io::Error>((
                        signal(SignalKind::interrupt())?,
                        signal(SignalKind::terminate())?,
                        signal(SignalKind::hangup())?,
                    ))
                })?;
                Ok((rt, streams))
            };
            let (rt, (mut int, mut term, mut hup)) = match watch() {
                Ok(w) => w,
                Err(e) => {
                    // The caller hears of it (or has gone, and then nobody needs to).
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            rt.block_on(async move {
                loop {
                    let sig = tokio::select! {
                        _ = int.recv() => libc::SIGINT,
                        _ = term.recv() => libc::SIGTERM,
                        _ = hup.recv() => libc::SIGHUP,
                    };
                    handler(sig);
                }
            });
        })?;
    ready
        .recv()
        .map_err(|_| io::Error::other("the signal thread ended before it started"))?
}

/// On SIGINT, SIGTERM or SIGHUP: remove every temporary path, say `what` on stderr, and exit
/// as that signal would (128 + its number). For commands that write a file and have nothing
/// else to wind down.
pub fn exit_on_signals(what: String) -> io::Result<()> {
    on_signals(move |sig| {
        remove_all();
        tell!("evscope: stopped by {}; {what}", signal_name(sig));
        std::process::exit(128 + sig);
    })
}
