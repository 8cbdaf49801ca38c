//! The demo commands as a user runs them without a terminal: `evscope demos`, every demo
//! headless and recorded, and the dashboard commands refusing cleanly (never hanging) when
//! stdout is not a terminal.

use crate::util::trace as trace_util;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use evscope::demos::DEMOS;
use trace_util::evscope_bin;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs evscope with stdin empty and stdout and stderr piped (not a terminal), failing instead
/// of hanging if it has not finished within `limit`.
fn evscope(args: &[&str], limit: Duration) -> Result<Output, Box<dyn std::error::Error>> {
    let mut child = Command::new(evscope_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let start = Instant::now();
    while child.try_wait()?.is_none() {
        if start.elapsed() > limit {
            child.kill()?;
            let out = child.wait_with_output()?;
            return Err(format!(
                "evscope {args:?} still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(child.wait_with_output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demos_lists_every_demo_with_its_lesson() -> TestResult {
    let out = evscope(&["demos"], Duration::from_secs(20))?;
    assert!(out.status.success());
    let list = text(&out.stdout);
    assert_eq!(list.lines().count(), DEMOS.len(), "{list}");
    for (line, demo) in list.lines().zip(DEMOS) {
        let (name, rest) = line.split_once(' ').ok_or(line)?;
        assert_eq!(name, demo.name, "in the course's order: {list}");
        assert_eq!(rest.trim_start(), format!("lesson {}", demo.lesson));
    }
    Ok(())
}

#[test]
fn every_demo_runs_headless_and_its_recording_validates() -> TestResult {
    let dir = tempfile::tempdir()?;
    let runs: Vec<_> = DEMOS
        .iter()
        .map(|demo| {
            let path = dir.path().join(format!("{}.jsonl", demo.name));
            let name = demo.name;
            std::thread::spawn(move || -> Result<(String, Output), String> {
                let p = path.to_str().ok_or("path")?.to_string();
                let args = [
                    "demo",
                    name,
                    "--headless",
                    "--duration",
                    "1",
                    "--speed",
                    "20",
                    "--record",
                    &p,
                ];
                let out = evscope(&args, Duration::from_secs(20)).map_err(|e| e.to_string())?;
                Ok((p, out))
            })
        })
        .collect();
    for (demo, run) in DEMOS.iter().zip(runs) {
        let (path, out) = run.join().map_err(|_| "a demo thread panicked")??;
        assert!(
            out.status.success(),
            "demo {}: {}",
            demo.name,
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(&format!("trace written to {path}")),
            "{}",
            text(&out.stderr)
        );
        let check = evscope(&["validate", &path], Duration::from_secs(20))?;
        let said = text(&check.stdout);
        assert!(check.status.success(), "demo {}: {said}", demo.name);
        let records: u64 = said
            .split("ok: ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .ok_or(format!("no record count in {said:?}"))?;
        assert!(
            records > 10,
            "demo {} recorded {records} records",
            demo.name
        );
        let first = std::fs::read_to_string(&path)?;
        let header = first.lines().next().unwrap_or_default();
        assert!(
            header.contains(&format!("\"program\":\"demo {}\"", demo.name)),
            "{header}"
        );
    }
    Ok(())
}

#[test]
fn without_a_terminal_the_dashboard_says_so_and_how_to_run_headless() -> TestResult {
    for args in [
        &[][..],
        &["demo", "timer"][..],
        &["demo", "echo", "--step"][..],
    ] {
        let out = evscope(args, Duration::from_secs(20))?;
        assert_eq!(out.status.code(), Some(2), "evscope {args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.contains("needs a terminal") && err.contains("--headless --duration SECS"),
            "{err}"
        );
        assert!(
            out.stdout.is_empty(),
            "nothing drawn: {:?}",
            text(&out.stdout)
        );
    }
    Ok(())
}

#[test]
fn demo_mistakes_are_clear_errors() -> TestResult {
    let out = evscope(&["demo", "nosuch"], Duration::from_secs(20))?;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no demo \"nosuch\""), "{err}");
    for d in DEMOS {
        assert!(err.contains(d.name), "{err}");
    }

    let out = evscope(
        &["demo", "timer", "--duration", "1"],
        Duration::from_secs(20),
    )?;
    assert_eq!(out.status.code(), Some(2), "--duration needs --headless");
    assert!(text(&out.stderr).contains("--headless"));

    let out = evscope(
        &["demo", "timer", "--headless", "--duration", "-1"],
        Duration::from_secs(20),
    )?;
    assert!(!out.status.success());

    let out = evscope(
        &[
            "demo",
            "timer",
            "--headless",
            "--duration",
            "1",
            "--speed",
            "0",
        ],
        Duration::from_secs(20),
    )?;
    assert_eq!(out.status.code(), Some(2), "a usage error, told by clap");
    assert!(
        text(&out.stderr).contains("'0' for '--speed <SPEED>'"),
        "{}",
        text(&out.stderr)
    );

    let out = evscope(
        &[
            "demo",
            "timer",
            "--headless",
            "--duration",
            "1",
            "--record",
            "/nonexistent/dir/t.jsonl",
        ],
        Duration::from_secs(20),
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot create trace file /nonexistent/dir/t.jsonl"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[test]
fn attach_refuses_addresses_off_loopback_and_nonsense() -> TestResult {
    let out = evscope(
        &["attach", "192.0.2.1:9", "--print"],
        Duration::from_secs(20),
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a loopback address"),
        "{}",
        text(&out.stderr)
    );
    let out = evscope(&["attach", "bogus", "--print"], Duration::from_secs(20))?;
    assert_eq!(out.status.code(), Some(2), "a usage error, told by clap");
    assert!(
        text(&out.stderr).contains("\"bogus\" is not an address like 127.0.0.1:PORT"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[test]
fn numbers_out_of_range_are_usage_errors_naming_the_option_and_its_range() -> TestResult {
    let headless = ["demo", "echo", "--headless"];
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--duration", "1e19"],
            "'--duration <SECS>'",
            "give 0.001 to 604800 seconds",
        ),
        (
            &["--duration", "1e20"],
            "'--duration <SECS>'",
            "give 0.001 to 604800 seconds",
        ),
        (
            &["--duration", "NaN"],
            "'--duration <SECS>'",
            "give 0.001 to 604800 seconds",
        ),
        (
            &["--duration", "inf"],
            "'--duration <SECS>'",
            "give 0.001 to 604800 seconds",
        ),
        (
            &["--duration", "0"],
            "'--duration <SECS>'",
            "give 0.001 to 604800 seconds",
        ),
        (
            &["--duration", "1", "--speed", "1e-300"],
            "'--speed <SPEED>'",
            "give 0.01 to 1000",
        ),
        (
            &["--duration", "1", "--speed", "1e300"],
            "'--speed <SPEED>'",
            "give 0.01 to 1000",
        ),
        (
            &["--duration", "1", "--speed", "-2"],
            "'--speed <SPEED>'",
            "give 0.01 to 1000",
        ),
        (
            &["--duration", "1", "--listen", "127.0.0.1:70000"],
            "'--listen <ADDR>'",
            "a port from 0 to 65535",
        ),
    ];
    for (rest, option, range) in cases {
        let args: Vec<&str> = headless.iter().chain(rest.iter()).copied().collect();
        let out = evscope(&args, Duration::from_secs(20))?;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "evscope {args:?}: {err}");
        assert!(
            err.contains(option) && err.contains(range),
            "evscope {args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = evscope(
        &["attach", "127.0.0.1:0", "--print"],
        Duration::from_secs(20),
    )?;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("'<ADDR>'") && err.contains("from 1 to 65535"),
        "{err}"
    );
    Ok(())
}

#[test]
fn listen_is_refused_for_demos_that_do_not_use_it() -> TestResult {
    let out = evscope(
        &[
            "demo",
            "timer",
            "--listen",
            "127.0.0.1:9000",
            "--headless",
            "--duration",
            "0.1",
        ],
        Duration::from_secs(20),
    )?;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("demo timer does not listen") && err.contains("echo and client"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The demos that do use it still take it.
    let out = evscope(
        &[
            "demo",
            "echo",
            "--listen",
            "127.0.0.1:0",
            "--headless",
            "--duration",
            "0.2",
            "--speed",
            "20",
        ],
        Duration::from_secs(20),
    )?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    Ok(())
}

#[test]
fn a_recording_that_cannot_be_written_fails_the_run() -> TestResult {
    let out = evscope(
        &[
            "demo",
            "timer",
            "--headless",
            "--duration",
            "1",
            "--speed",
            "20",
            "--record",
            "/dev/full",
        ],
        Duration::from_secs(20),
    )?;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("writing the trace /dev/full failed: No space left on device"),
        "{err}"
    );
    assert!(!err.contains("trace written"), "{err}");
    Ok(())
}

#[test]
fn a_stopped_recording_leaves_the_old_trace_and_no_temporary() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kept.jsonl");
    std::fs::write(&path, "the old trace\n")?;
    for signal in ["INT", "TERM", "HUP"] {
        let child = Command::new(evscope_bin())
            .args([
                "demo",
                "timer",
                "--headless",
                "--duration",
                "30",
                "--record",
            ])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        // Once the temporary file is there, the recording runs.
        let start = Instant::now();
        while std::fs::read_dir(dir.path())?.count() < 2 {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no temporary file"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()?;
        assert!(killed.success());
        let out = child.wait_with_output()?;
        let err = text(&out.stderr);
        assert!(!out.status.success(), "SIG{signal}: {err}");
        assert!(err.contains(&format!("stopped by SIG{signal}")), "{err}");
        assert_eq!(std::fs::read_to_string(&path)?, "the old trace\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, ["kept.jsonl"], "SIG{signal} left a temporary behind");
    }
    Ok(())
}
