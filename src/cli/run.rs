//! `evscope run [--print] [--step] -- PROGRAM ARGS…`: starts the program with
//! `EVSCOPE_TRACE=unix:<private socket>` (the viewer listens, the program connects when it
//! creates its first `EventBase`) and shows it live: in the dashboard, or with `--print` as a
//! text timeline (stepping then driven by lines on stdin). Leaving the view lets the program run
//! on; `run` waits for it and exits with its exit code.
//!
//! `run`'s temporary directories (the private socket's, and the libevent substitution's) go on
//! every way out: when `run` returns (the program exited, crashed, or could not start), and on
//! SIGINT, SIGTERM or SIGHUP, which are also passed on to the program (SIGINT only if the
//! program has not ended within [`INT_GRACE`]: Ctrl-C in a terminal reaches it already) so
//! that `run` ends with it.

use std::ffi::OsString;
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use evscope::dash::{self, Feed};
use evscope::trace::{Control, ControlSender, LinkClient, ViewerListener};

use super::cleanup::{self, Temp};
use super::output::HeldOutput;
use super::view::ViewArgs;
use super::{dash_failure, print, Failure};

/// How long a program has to end by itself after a SIGINT before `run` passes it on.
pub const INT_GRACE: Duration = Duration::from_millis(500);

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    view: ViewArgs,
    /// The program and its arguments, after `--`.
    #[arg(required = true, last = true)]
    command: Vec<OsString>,
}

pub fn main(args: Args) -> Result<ExitCode, Failure> {
    if !args.view.print {
        dash::terminal::ensure().map_err(|e| dash_failure(e, None))?;
    }
    let stop = Stop::watch()?;
    let listener = ViewerListener::bind_private()
        .map_err(|e| format!("cannot make the private trace socket: {e}"))?;
    // Removed with the listener; held here too, so that a signal removes it as well.
    let _socket_dir = listener.path().parent().map(|d| Temp::new(d.to_path_buf()));
    let program = args.command[0].to_string_lossy().into_owned();
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .env("EVSCOPE_TRACE", listener.trace_env());
    // A libevent C program runs on evscope's libevent.so.
    let _shim = super::c_library::apply(&mut cmd, &args.command[0]);
    if !args.view.print {
        // The dashboard owns the terminal: the program gets no keys, and what it prints is
        // held until the dashboard closes.
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    } else if args.view.step {
        // Our stdin drives the stepping.
        cmd.stdin(Stdio::null());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let output = (!args.view.print).then(|| HeldOutput::hold(&mut child));
    let mut exited = None;
    let stream = listener.accept_while(|| match child.try_wait() {
        Ok(None) => !stop.requested(),
        Ok(Some(status)) => {
            exited = Some(status);
            false
        }
        Err(_) => false,
    })?;
    if let Some(stream) = stream {
        listener.refuse_others()?;
        let client = LinkClient::new(stream)?;
        stop.set_link(client.sender());
        let shown = if args.view.print {
            let hello = if args.view.step {
                Control::Pause
            } else {
                Control::Continue
            };
            client.send(&hello)?;
            print::show(client, args.view.step, args.view.lang)
        } else {
            let opts = args.view.dash_options();
            let short = std::path::Path::new(&args.command[0])
                .file_name()
                .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned());
            let name = format!("run {short}");
            dash::live(Feed::link(&name, client), &opts).map_err(|e| dash_failure(e, None))
        };
        if let Some(o) = &output {
            o.release();
        }
        if let Err(f) = shown {
            f.report();
        }
        if !args.view.print && exited.is_none() && matches!(child.try_wait(), Ok(None)) {
            tell!(
                "evscope: {program} (pid {}) runs on; waiting for it to end (Ctrl-C stops it)",
                child.id()
            );
        }
    } else if exited.is_some() {
        tell!(
            "evscope: {program} exited without opening the trace link (is it built on evscope's EventBase?)"
        );
    }
    let status = wait(&mut child, exited, &stop, &program)?;
    if let Some(o) = output {
        o.finish();
    }
    Ok(exit_code(status))
}

/// Waits for the program to end, passing on the signals `run` receives meanwhile.
fn wait(
    child: &mut Child,
    exited: Option<ExitStatus>,
    stop: &Stop,
    program: &str,
) -> std::io::Result<ExitStatus> {
    if let Some(s) = exited {
        return Ok(s);
    }
    loop {
        // Only this thread reaps the program, so while it is not reaped its pid is its own.
        if let Some(s) = child.try_wait()? {
            return Ok(s);
        }
        if let Some(sig) = stop.due() {
            pass_on(child, sig, program);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `sig` to the program; if that cannot be done, ends it with SIGKILL, so that `run`
/// never waits on a program it was told to stop.
fn pass_on(child: &mut Child, sig: i32, program: &str) {
    let pid = child.id();
    tell!(
        "evscope: {} received; passing it on to {program} (pid {pid})",
        cleanup::signal_name(sig)
    );
    if evscope::ev::kill(pid, sig).is_err() {
        if let Err(e) = child.kill() {
            tell!("evscope: cannot stop {program} (pid {pid}): {e}");
        }
    }
}

#[derive(Default)]
struct StopState {
    /// The latest signal received, when, and whether it was passed on yet.
    signal: Option<(i32, Instant, bool)>,
    /// The live link, closed when a signal arrives so the view ends.
    link: Option<ControlSender>,
}

/// What the signals `run` receives ask for; shared with the signal thread.
#[derive(Clone, Default)]
struct Stop(Arc<Mutex<StopState>>);

impl Stop {
    /// Starts watching SIGINT, SIGTERM and SIGHUP. On each: the temporary directories go at
    /// once, the view ends (the dashboard quits on its own), and the program is told in turn.
    fn watch() -> std::io::Result<Stop> {
        let stop = Stop::default();
        let handler = stop.clone();
        cleanup::on_signals(move |sig| handler.signalled(sig))?;
        Ok(stop)
    }

    fn lock(&self) -> MutexGuard<'_, StopState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signalled(&self, sig: i32) {
        cleanup::remove_all();
        let mut s = self.lock();
        s.signal = Some((sig, Instant::now(), false));
        if let Some(link) = &s.link {
            link.close();
        }
    }

    /// The link is up: close it at once if a signal came first.
    fn set_link(&self, link: ControlSender) {
        let mut s = self.lock();
        if s.signal.is_some() {
            link.close();
        }
        s.link = Some(link);
    }

    /// True once a signal arrived.
    fn requested(&self) -> bool {
        self.lock().signal.is_some()
    }

    /// The signal to pass on to the program now, once per signal received: SIGTERM and SIGHUP
    /// at once, SIGINT after [`INT_GRACE`].
    fn due(&self) -> Option<i32> {
        let mut s = self.lock();
        let (sig, at, passed) = s.signal.as_mut()?;
        if *passed || (*sig == libc::SIGINT && at.elapsed() < INT_GRACE) {
            return None;
        }
        *passed = true;
        Some(*sig)
    }
}

fn exit_code(status: ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => ExitCode::from(c.clamp(0, 255) as u8),
        (None, Some(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        _ => ExitCode::from(1),
    }
}
