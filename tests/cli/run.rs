//! `evscope run` leaves nothing behind in the temporary directory however it ends: the program
//! exiting, the program crashing, or `run` stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP. Each
//! test gives `run` a temporary directory of its own (TMPDIR), so tests never see each other's.

use crate::util::tmux;
use crate::util::trace as trace_util;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tmux::{available, Tmux};
use trace_util::{evscope_bin, example};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `evscope run --print -- ticker TICKS` with TMPDIR set to `tmp`; its stdout lines on a
/// channel.
fn start(
    tmp: &Path,
    ticks: u32,
) -> Result<(Child, mpsc::Receiver<String>), Box<dyn std::error::Error>> {
    let mut child = Command::new(evscope_bin())
        .args(["run", "--print", "--"])
        .arg(example("ticker")?)
        .arg(ticks.to_string())
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().ok_or("stdout")?;
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Ok((child, lines))
}

/// The first line of `lines` starting with `prefix`, within 20 s.
fn line_starting(lines: &mpsc::Receiver<String>, prefix: &str) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .map_err(|_| format!("no line starting with {prefix:?}"))?;
        if line.starts_with(prefix) {
            return Ok(line);
        }
    }
}

/// The names in `dir`.
fn names(dir: &Path) -> Result<Vec<String>, std::io::Error> {
    std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect()
}

/// Waits up to 20 s for `child` to end, killing it if it does not.
fn ended(child: &mut Child) -> Result<ExitStatus, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            return Err("evscope run did not end within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill(signal: &str, pid: u32) -> TestResult {
    // The program aborts, as a failed assertion in C would.
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()?
        .success();
    if !ok {
        return Err(format!("kill -{signal} {pid} failed").into());
    }
    Ok(())
}

#[test]
fn a_normal_exit_leaves_no_temporary_directory() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut child, lines) = start(tmp.path(), 5)?;
    line_starting(&lines, "# live:")?;
    let status = ended(&mut child)?;
    assert!(status.success(), "{status}");
    assert_eq!(names(tmp.path())?, Vec::<String>::new());
    Ok(())
}

#[test]
fn a_signal_to_run_leaves_no_temporary_directory_and_stops_the_program() -> TestResult {
    for (signal, number) in [("INT", 2), ("TERM", 15), ("HUP", 1)] {
        let tmp = tempfile::tempdir()?;
        // 3000 ticks of 10 ms: still running when the signal comes.
        let (mut child, lines) = start(tmp.path(), 3000)?;
        let live = line_starting(&lines, "# live:")?;
        let there = names(tmp.path())?;
        assert!(
            there.iter().any(|n| n.starts_with("evscope-")),
            "run's private socket directory is in TMPDIR while it runs: {there:?}"
        );
        kill(signal, child.id())?;
        let status = ended(&mut child)?;
        assert_eq!(
            status.code(),
            Some(128 + number),
            "SIG{signal}: the program ended by it, and run with the program's status ({live})"
        );
        assert_eq!(
            names(tmp.path())?,
            Vec::<String>::new(),
            "after SIG{signal}"
        );
    }
    Ok(())
}

#[test]
fn a_crashing_program_leaves_no_temporary_directory() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mut child, lines) = start(tmp.path(), 3000)?;
    let live = line_starting(&lines, "# live:")?;
    let pid = live
        .rsplit_once("pid ")
        .map(|(_, pid)| pid.trim().to_string())
        .ok_or(format!("no pid in {live:?}"))?;
    // The program aborts, as a failed assertion in C would.
    let ok = Command::new("kill")
        .args(["-ABRT", &pid])
        .status()?
        .success();
    assert!(ok, "kill -ABRT {pid}");
    let status = ended(&mut child)?;
    assert_eq!(
        status.code(),
        Some(128 + 6),
        "the crash's status is passed on"
    );
    assert_eq!(names(tmp.path())?, Vec::<String>::new());
    Ok(())
}

/// Waits up to 20 s for `dir` to be empty; what is left if it is not.
fn emptied(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = names(dir)?;
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("left behind: {left:?}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_dashboard_stopped_by_a_signal_or_a_closed_terminal_leaves_no_temporary_directory(
) -> TestResult {
    let name =
        "the_dashboard_stopped_by_a_signal_or_a_closed_terminal_leaves_no_temporary_directory";
    if !available(name) {
        return Ok(());
    }
    let ticker = example("ticker")?;
    for (tag, ending, status) in [
        ("run-term", "TERM", "143"),
        ("run-hup", "HUP", "129"),
        ("run-closed", "a closed terminal", ""),
    ] {
        let tmp = tempfile::tempdir()?;
        let pid_file = tempfile::NamedTempFile::new()?;
        // The inner shell writes its pid, then becomes evscope.
        let cmd = format!(
            "sh -c 'echo $$ > {}; TMPDIR={} exec {} run -- {} 3000'; echo EXITED $?; sleep 30",
            pid_file.path().display(),
            tmp.path().display(),
            evscope_bin().display(),
            ticker.display()
        );
        // A tmux server of its own each time: one that is shutting down is never reused.
        let t = Tmux::start(tag, 100, 30, &cmd)?;
        t.wait_for(|s| s.contains("run ticker"))?;
        assert!(
            !names(tmp.path())?.is_empty(),
            "run's directories while it runs"
        );
        if status.is_empty() {
            // The window closes: the terminal hangs up on everything in it.
            drop(t);
        } else {
            let pid: u32 = std::fs::read_to_string(pid_file.path())?.trim().parse()?;
            kill(ending, pid)?;
            let s = t.wait_for(|s| s.contains("EXITED"))?;
            assert!(
                s.contains(&format!("EXITED {status}")),
                "SIG{ending}: the program's status: {s}"
            );
        }
        emptied(tmp.path()).map_err(|e| format!("after {ending}: {e}"))?;
    }
    Ok(())
}
