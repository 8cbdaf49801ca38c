//! The echo example observed: recorded to a file through EVSCOPE_TRACE on every backend, and
//! shown live by `evscope run --print`.

use crate::util::trace as trace_util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use evscope::ev::{BackendKind, State};
use evscope::trace::{Body, Reader};
use trace_util::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A child in a process group of its own, killed with everything it started at the end of a
/// test (even one that fails), or by a watchdog if the test hangs.
struct Killed(Child);

impl Killed {
    fn spawn(cmd: &mut Command) -> std::io::Result<Killed> {
        let child = cmd.process_group(0).spawn()?;
        let group = child.id();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            kill_group(group);
        });
        Ok(Killed(child))
    }
}

fn kill_group(group: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

impl Drop for Killed {
    fn drop(&mut self) {
        kill_group(self.0.id());
        let _ = self.0.wait();
    }
}

/// Sends SIGTERM (the way a user stops the server) to `pid`.
fn terminate(pid: u32) -> std::io::Result<()> {
    Command::new("kill")
        .arg(pid.to_string())
        .status()
        .map(|_| ())
}

/// Reads lines from `out` (adding them to `seen`) until a line of `seen`, old or new, starts
/// with `prefix`; returns that line. (Two writers share the pipe, so the order of their lines
/// is not known.)
fn line_starting(
    out: &mut impl BufRead,
    prefix: &str,
    seen: &mut String,
) -> Result<String, String> {
    let mut line = String::new();
    loop {
        if let Some(l) = seen.lines().find(|l| l.starts_with(prefix)) {
            return Ok(l.to_string());
        }
        line.clear();
        match out.read_line(&mut line) {
            Ok(0) | Err(_) => return Err(format!("no line starting {prefix:?} in:\n{seen}")),
            Ok(_) => seen.push_str(&line),
        }
    }
}

/// One client: sends `msg`, reads the echo, closes.
fn echo_once(addr: &str, msg: &[u8]) -> TestResult {
    let mut c = TcpStream::connect(addr)?;
    c.set_read_timeout(Some(Duration::from_secs(10)))?;
    c.write_all(msg)?;
    let mut back = vec![0; msg.len()];
    c.read_exact(&mut back)?;
    assert_eq!(back, msg);
    Ok(())
}

#[test]
fn echo_server_records_a_valid_trace_through_evscope_trace_on_every_backend() -> TestResult {
    let echo = example("echo_server")?;
    for kind in BackendKind::ALL {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("echo.jsonl");
        let mut server = Killed::spawn(
            Command::new(&echo)
                .arg("127.0.0.1:0")
                .env("EVSCOPE_TRACE", format!("file:{}", path.display()))
                .env("EVSCOPE_BACKEND", kind.name())
                .stdout(Stdio::piped()),
        )?;
        let mut out = BufReader::new(server.0.stdout.take().ok_or("stdout")?);
        let mut seen = String::new();
        let listening = line_starting(&mut out, "listening on ", &mut seen)?;
        let addr = listening.trim_start_matches("listening on ").to_string();
        for i in 0..3 {
            echo_once(&addr, format!("hello {i}\n").repeat(100).as_bytes())?;
        }
        // Stopped the way a user stops it: the trace written so far must be complete.
        std::thread::sleep(Duration::from_millis(50));
        terminate(server.0.id())?;
        let _ = server.0.wait();
        let mut reader = Reader::open(&path)?;
        assert_eq!(reader.header().backend, kind.name());
        let (mut accepts, mut buffers, mut actives, mut eofs) = (0, 0, 0, 0);
        let (mut records, mut to_callback) = (0, 0);
        while let Some(r) = reader
            .next_record()
            .map_err(|e| format!("{}: {e}", kind.name()))?
        {
            records += 1;
            match r.body {
                Body::Accept { .. } => accepts += 1,
                Body::Transition {
                    to: State::Callback,
                    ..
                } => to_callback += 1,
                Body::Buffer {
                    levels: evscope::ev::Levels { input, output, .. },
                    ..
                } if input + output > 0 => buffers += 1,
                Body::Transition {
                    to: State::Active, ..
                } => actives += 1,
                Body::BevEvent { events, .. } if events.names().contains(&"EOF") => eofs += 1,
                _ => {}
            }
        }
        let stats = reader.stats();
        assert_eq!(accepts, 3, "{}", kind.name());
        assert_eq!(stats.bufferevents, 3);
        assert_eq!(eofs, 3);
        assert!(
            buffers >= 3 && actives >= 6,
            "{buffers} buffers, {actives} actives"
        );
        // Version 5: a callback's start is one line, its callback_begin, which also says its
        // move to `callback`; the file has one line fewer for each.
        let text = std::fs::read_to_string(&path)?;
        let lines = text.lines().skip(1).filter(|l| !l.is_empty());
        let written = lines
            .clone()
            .filter(|l| l.contains(r#""to":"callback""#))
            .count();
        assert!(
            to_callback >= 6 && written < to_callback / 2,
            "{written} of {to_callback}"
        );
        assert_eq!(lines.count() + to_callback - written, records);
    }
    Ok(())
}

#[test]
fn run_print_on_the_echo_example_shows_accepts_transitions_and_buffers() -> TestResult {
    let echo = example("echo_server")?;
    let mut run = Killed::spawn(
        Command::new(evscope_bin())
            .args(["run", "--print", "--"])
            .arg(&echo)
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped()),
    )?;
    let mut out = BufReader::new(run.0.stdout.take().ok_or("stdout")?);
    let mut seen = String::new();
    let header = line_starting(&mut out, "# live:", &mut seen)?;
    let pid: u32 = header
        .rsplit("pid ")
        .next()
        .and_then(|p| p.trim().parse().ok())
        .ok_or(format!("no pid in {header:?}"))?;
    let listening = line_starting(&mut out, "listening on ", &mut seen)?;
    let addr = listening.trim_start_matches("listening on ").to_string();
    echo_once(&addr, b"ping\n")?;
    // Let the client's close reach the server, then stop the server; `run` ends with it.
    std::thread::sleep(Duration::from_millis(100));
    terminate(pid)?;
    out.read_to_string(&mut seen)?;
    let _ = run.0.wait();
    for want in [
        "accept ",
        "accepted a connection from 127.0.0.1:",
        "bev_new ",
        "buffer ",
        "input buffer holds 5 bytes",
        "became active: fd",
        "is running its callback",
        "bev_event ",
    ] {
        assert!(seen.contains(want), "{want:?} missing from:\n{seen}");
    }
    Ok(())
}
