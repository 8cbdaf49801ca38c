//! `evscope run [--print] [--step] -- PROGRAM ARGS…`: starts the program with
//! `EVSCOPE_TRACE=unix:<private socket>` (the viewer listens, the program connects when it
//! creates its first `EventBase`) and shows it live: in the dashboard, or with `--print` as a
//! text timeline (stepping then driven by lines on stdin). Leaving the view lets the program run
//! on; `run` waits for it and exits with its exit code.

use std::ffi::OsString;
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};

use evscope::dash::{self, Feed};
use evscope::trace::{Control, LinkClient, ViewerListener};

use super::output::HeldOutput;
use super::view::ViewArgs;
use super::{dash_failure, print, Failure};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    view: ViewArgs,
    /// The program and its arguments, after `--`.
    #[arg(required = true, last = true)]
    command: Vec<OsString>,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    if !args.view.print {
        dash::terminal::ensure().map_err(|e| dash_failure(e, None))?;
    }
    let listener = ViewerListener::bind_private()
        .map_err(|e| format!("cannot make the private trace socket: {e}"))?;
    let program = args.command[0].to_string_lossy().into_owned();
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .env("EVSCOPE_TRACE", listener.trace_env());
    // A libevent C program runs on evscope's libevent.so.
    let _shim = super::libevent_shim::apply(&mut cmd, &args.command[0]);
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
        Ok(None) => true,
        Ok(Some(status)) => {
            exited = Some(status);
            false
        }
        Err(_) => false,
    })?;
    if let Some(stream) = stream {
        listener.refuse_others()?;
        let client = LinkClient::new(stream)?;
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
            eprintln!(
                "evscope: {program} (pid {}) runs on; waiting for it to end (Ctrl-C stops it)",
                child.id()
            );
        }
    } else {
        eprintln!(
            "evscope: {program} exited without opening the trace link (is it built on evscope's EventBase?)"
        );
    }
    let status = wait(&mut child, exited)?;
    if let Some(o) = output {
        o.finish();
    }
    Ok(exit_code(status))
}

fn wait(child: &mut Child, exited: Option<ExitStatus>) -> std::io::Result<ExitStatus> {
    match exited {
        Some(s) => Ok(s),
        None => child.wait(),
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
