//! `evscope run [--print] [--step] -- PROGRAM ARGS…`: starts the program with
//! `EVSCOPE_TRACE=unix:<private socket>` (the viewer listens, the program connects when it
//! creates its first `EventBase`) and shows its records live. `--step` starts paused; stepping is
//! driven by lines on stdin (Enter = one record). The dashboard will replace the text view.

use std::ffi::OsString;
use std::process::{Command, ExitCode, Stdio};

use evscope::trace::{Control, Lang, LinkClient, ViewerListener};

use super::{live, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// Print the timeline as text (the only view until the dashboard lands).
    #[arg(long)]
    print: bool,
    /// Start paused; step with Enter on stdin.
    #[arg(long)]
    step: bool,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// The program and its arguments, after `--`.
    #[arg(required = true, last = true)]
    command: Vec<OsString>,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    if !args.print {
        eprintln!("evscope: the dashboard is not built yet; showing the text timeline");
    }
    let listener = ViewerListener::bind_private()
        .map_err(|e| format!("cannot make the private trace socket: {e}"))?;
    let program = &args.command[0];
    let mut cmd = Command::new(program);
    cmd.args(&args.command[1..])
        .env("EVSCOPE_TRACE", listener.trace_env());
    // A libevent C program runs on evscope's libevent.so.
    let _shim = super::libevent_shim::apply(&mut cmd, program);
    if args.step {
        // Our stdin drives the stepping.
        cmd.stdin(Stdio::null());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.to_string_lossy()))?;
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
        let hello = if args.step {
            Control::Pause
        } else {
            Control::Continue
        };
        client.send(&hello)?;
        let shown = live::show(client, args.step, args.lang);
        if let Err(f) = shown {
            eprintln!("evscope: {}", f.message);
        }
    } else {
        eprintln!(
            "evscope: {} exited without opening the trace link (is it built on evscope's EventBase?)",
            program.to_string_lossy()
        );
    }
    let status = match exited {
        Some(s) => s,
        None => child.wait()?,
    };
    Ok(exit_code(status))
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => ExitCode::from(c.clamp(0, 255) as u8),
        (None, Some(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        _ => ExitCode::from(1),
    }
}
