//! The trace subcommands as a user runs them: validate, replay --print, export, run --print.

use crate::util::fake_link;
use crate::util::trace as trace_util;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trace_util::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn evscope(args: &[&str]) -> Result<std::process::Output, std::io::Error> {
    Command::new(evscope_bin()).args(args).output()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn validate_a_good_trace_prints_a_summary() -> TestResult {
    let path = fixture("ticker.jsonl");
    let out = evscope(&["validate", path.to_str().ok_or("path")?])?;
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("ok: 113 records, 3 events, 0 bufferevents, 0.05"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1);
    Ok(())
}

#[test]
fn validate_a_bad_trace_names_file_and_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bad.jsonl");
    let text = trace_text(&[
        r#"{"seq":1,"t_us":0,"kind":"event_new","ev":1,"fd":3,"what":["READ"],"label":""}"#,
        r#"{"seq":2,"t_us":1,"kind":"transition","ev":1,"fd":3,"from":"new","to":"callback","cause":"x"}"#,
    ]);
    std::fs::write(&path, text)?;
    let p = path.to_str().ok_or("path")?;
    let out = evscope(&["validate", p])?;
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("{p}:3: illegal transition new -> callback")),
        "{text}"
    );
    let missing = dir.path().join("missing.jsonl");
    let out = evscope(&["validate", missing.to_str().ok_or("path")?])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("cannot open"));
    Ok(())
}

#[test]
fn replay_print_explains_each_record() -> TestResult {
    let path = fixture("ticker.jsonl");
    let out = evscope(&["replay", path.to_str().ok_or("path")?, "--print"])?;
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert_eq!(
        text.lines().count(),
        114,
        "a header line and one per record"
    );
    assert!(text
        .contains("event 0 \"pipe reader\" (fd 5, READ|PERSIST) became active: fd 5 is readable"));
    let out = evscope(&[
        "replay",
        path.to_str().ok_or("path")?,
        "--print",
        "--lang",
        "zh",
    ])?;
    assert!(stdout(&out).contains("变为激活 (active)：fd 5 可读"));
    Ok(())
}

#[test]
fn export_chrome_is_valid_json_with_the_required_fields() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("sample.jsonl");
    std::fs::write(&input, sample_text())?;
    let output = dir.path().join("out.json");
    let out = evscope(&[
        "export",
        input.to_str().ok_or("path")?,
        "--format",
        "chrome",
        "-o",
        output.to_str().ok_or("path")?,
    ])?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&output)?)?;
    let events = doc["traceEvents"].as_array().ok_or("no traceEvents")?;
    let mut phases = HashMap::new();
    let mut open: HashMap<(String, String), i64> = HashMap::new();
    for e in events {
        for field in ["name", "ph", "ts", "pid", "tid"] {
            assert!(e.get(field).is_some(), "{field} missing in {e}");
        }
        assert!(e["ts"].is_u64());
        let ph = e["ph"].as_str().ok_or("ph")?;
        *phases.entry(ph.to_string()).or_insert(0) += 1;
        match ph {
            "X" => assert!(e["dur"].is_u64(), "X without dur: {e}"),
            "b" | "e" => {
                let key = (
                    e["id"].as_str().ok_or("async id")?.to_string(),
                    e["name"].as_str().ok_or("name")?.to_string(),
                );
                assert!(e["cat"].is_string());
                *open.entry(key).or_insert(0) += if ph == "b" { 1 } else { -1 };
            }
            "C" => assert!(e["args"]["input"].is_u64() && e["args"]["output"].is_u64()),
            "M" => assert!(e["args"]["name"].is_string()),
            _ => {}
        }
    }
    for ph in ["X", "b", "e", "C", "M", "i"] {
        assert!(phases.contains_key(ph), "no {ph} events: {phases:?}");
    }
    assert!(
        open.values().all(|n| *n == 0),
        "unbalanced async slices: {open:?}"
    );
    Ok(())
}

#[test]
fn export_of_a_bad_trace_fails_with_its_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("bad.jsonl");
    std::fs::write(&input, trace_text(&["{}"]))?;
    let output = dir.path().join("out.json");
    let out = evscope(&[
        "export",
        input.to_str().ok_or("path")?,
        "-o",
        output.to_str().ok_or("path")?,
    ])?;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:2:"), "{err}");
    Ok(())
}

#[test]
fn run_print_streams_the_programs_records() -> TestResult {
    let ticker = example("ticker")?;
    let out = evscope(&["run", "--print", "--", ticker.to_str().ok_or("path")?])?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("# live: epoll backend"), "{text}");
    for want in [
        "event_new      event 0 \"pipe reader\" (fd",
        "became active: fd",
        "became active: its timeout expired",
        "callback_begin",
        "note: halfway: a one-shot timer fired once",
        "was freed: event_free was called",
        "ticker: read 35 bytes in 5 ticks",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    Ok(())
}

#[test]
fn run_step_is_driven_by_stdin_and_the_end_of_stdin_lets_the_program_finish() -> TestResult {
    let ticker = example("ticker")?;
    let mut child = Command::new(evscope_bin())
        .args([
            "run",
            "--print",
            "--step",
            "--",
            ticker.to_str().ok_or("path")?,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("stdin")?;
    // Three steps, then end of input: the program must run on to its end.
    stdin.write_all(b"\n\n\n")?;
    drop(stdin);
    let out = child.wait_with_output()?;
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("ticker: read 35 bytes"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stepping"));
    Ok(())
}

#[test]
fn run_of_a_program_without_the_library_says_so() -> TestResult {
    let out = evscope(&["run", "--print", "--", "true"])?;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exited without opening the trace link"));
    let out = evscope(&["run", "--print", "--", "false"])?;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the program's exit code is passed on"
    );
    Ok(())
}

#[test]
fn attach_joins_a_program_listening_on_tcp_and_sees_its_records_from_the_start() -> TestResult {
    use std::io::{BufRead, BufReader};
    let ticker = example("ticker")?;
    // 60 ticks of 10 ms: long enough to attach while it runs.
    let mut program = Command::new(ticker)
        .arg("60")
        .env("EVSCOPE_TRACE", "tcp:127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut err = BufReader::new(program.stderr.take().ok_or("stderr")?);
    let mut line = String::new();
    err.read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .ok_or(format!("no address in {line:?}"))?
        .to_string();
    let out = evscope(&["attach", &addr, "--print"])?;
    let status = program.wait()?;
    assert!(status.success());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("# live: epoll backend"), "{text}");
    // History first: the very first record, made before the viewer attached.
    assert!(text.contains("#1      event_new"), "{text}");
    assert!(text.contains("was freed: event_free was called"));
    Ok(())
}

fn export(
    input: &std::path::Path,
    output: &std::path::Path,
) -> std::io::Result<std::process::Output> {
    Command::new(evscope_bin())
        .arg("export")
        .arg(input)
        .args(["--format", "chrome", "-o"])
        .arg(output)
        .output()
}

fn names_in(dir: &std::path::Path) -> Result<Vec<String>, std::io::Error> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    Ok(names)
}

#[test]
fn a_failed_export_leaves_the_old_output_untouched_and_no_temporary() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, sample_text())?;
    let bad = dir.path().join("bad.jsonl");
    let mut cut = sample_text();
    cut.push_str(r#"{"seq":99,"t_us":"#);
    std::fs::write(&bad, cut)?;
    let out_json = dir.path().join("out.json");
    assert!(export(&good, &out_json)?.status.success());
    let before = std::fs::read(&out_json)?;
    let out = export(&bad, &out_json)?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:"));
    assert_eq!(
        std::fs::read(&out_json)?,
        before,
        "the old export is intact"
    );
    serde_json::from_slice::<serde_json::Value>(&before)?;
    assert_eq!(
        names_in(dir.path())?,
        ["bad.jsonl", "good.jsonl", "out.json"]
    );
    Ok(())
}

#[test]
fn an_export_never_overwrites_its_input() -> TestResult {
    let dir = tempfile::tempdir()?;
    let trace = dir.path().join("t.jsonl");
    std::fs::write(&trace, sample_text())?;
    let soft = dir.path().join("soft.jsonl");
    std::os::unix::fs::symlink(&trace, &soft)?;
    let hard = dir.path().join("hard.jsonl");
    std::fs::hard_link(&trace, &hard)?;
    for (input, output) in [
        (&trace, &trace),
        (&trace, &soft),
        (&soft, &hard),
        (&hard, &trace),
    ] {
        let out = export(input, output)?;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("is the input") && err.contains("the same file"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&trace)?,
            sample_text(),
            "{input:?} -> {output:?}"
        );
    }
    assert_eq!(
        names_in(dir.path())?,
        ["hard.jsonl", "soft.jsonl", "t.jsonl"]
    );
    Ok(())
}

#[test]
fn validate_flags_a_trace_that_is_cut_short() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cut.jsonl");
    let p = path.to_str().ok_or("path")?;
    // A whole record, but no newline after it: the recorder always writes one.
    let mut text = trace_text(&[r#"{"seq":1,"t_us":0,"kind":"loop_iteration","n":1}"#]);
    text.push_str(r#"{"seq":2,"t_us":5,"kind":"loop_iteration","n":2}"#);
    std::fs::write(&path, &text)?;
    let out = evscope(&["validate", p])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with(&format!("{p}:3: the trace is cut short")),
        "{}",
        stdout(&out)
    );
    // Cut inside the JSON.
    std::fs::write(&path, &text[..text.len() - 10])?;
    let out = evscope(&["validate", p])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with(&format!("{p}:3: the record is truncated")),
        "{}",
        stdout(&out)
    );
    // Only a header, without its newline.
    std::fs::write(&path, header_line())?;
    let out = evscope(&["validate", p])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with(&format!("{p}:1: the trace is cut short")),
        "{}",
        stdout(&out)
    );
    Ok(())
}

#[test]
fn validate_refuses_seq_0() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("zero.jsonl");
    let p = path.to_str().ok_or("path")?;
    std::fs::write(
        &path,
        trace_text(&[r#"{"seq":0,"t_us":0,"kind":"loop_iteration","n":1}"#]),
    )?;
    let out = evscope(&["validate", p])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with(&format!("{p}:2: seq 0 is not a record number")),
        "{}",
        stdout(&out)
    );
    Ok(())
}

/// `evscope attach ADDR --print` with the fake link's token; how long it took.
fn attach_print(addr: std::net::SocketAddr) -> std::io::Result<(std::process::Output, Duration)> {
    let start = Instant::now();
    let out = Command::new(evscope_bin())
        .args(["attach", &addr.to_string(), "--print"])
        .env("EVSCOPE_TRACE_TOKEN", fake_link::TOKEN)
        .stdin(Stdio::null())
        .output()?;
    Ok((out, start.elapsed()))
}

#[test]
fn attach_gives_up_on_a_peer_that_sends_no_header() -> TestResult {
    let link = fake_link::FakeLink::serve(vec![], Duration::from_secs(6))?;
    let (out, took) = attach_print(link.addr)?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sent no trace header within 3 s of connecting"),
        "{err}"
    );
    assert!(
        took >= Duration::from_millis(2900),
        "gave up after {took:?}"
    );
    assert!(took < Duration::from_secs(6), "waited {took:?}");
    link.join()
}

#[test]
fn attach_fails_when_the_peer_hangs_up_before_the_header() -> TestResult {
    let link = fake_link::FakeLink::serve(vec![], Duration::ZERO)?;
    let (out, _) = attach_print(link.addr)?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("closed the connection before sending a trace header"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    link.join()?;

    let link = fake_link::FakeLink::serve(vec!["SSH-2.0-OpenSSH_9.6".into()], Duration::ZERO)?;
    let (out, _) = attach_print(link.addr)?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("did not send a trace header"), "{err}");
    link.join()
}

/// What a late viewer gets when the program's history was trimmed: the header, a `dropped`
/// record for what was trimmed, then the records kept.
fn late_viewer_lines() -> Vec<String> {
    vec![
        header_line(),
        r#"{"seq":40,"t_us":100,"kind":"dropped","count":40}"#.into(),
        r#"{"seq":41,"t_us":110,"kind":"loop_iteration","n":7}"#.into(),
    ]
}

#[test]
fn a_late_viewers_trimmed_history_is_labelled_as_such() -> TestResult {
    let link = fake_link::FakeLink::serve(late_viewer_lines(), Duration::ZERO)?;
    let (out, _) = attach_print(link.addr)?;
    link.join()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let first = text.lines().nth(1).ok_or("no record line")?;
    assert!(
        first.contains("#40")
            && first.contains("40 earlier records are not shown")
            && first
                .contains("trimmed from the history the program keeps for viewers that join late"),
        "{text}"
    );
    assert!(!text.contains("lossy recording"), "{text}");

    let timeline = evscope::dash::model::Timeline::from_records(
        header(),
        late_viewer_lines()[1..]
            .iter()
            .map(|l| serde_json::from_str(l))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let first = timeline.record(0).ok_or("a record")?;
    let shown = timeline.explain(&first, evscope::dash::model::Lang::En);
    assert!(shown.contains("trimmed from the history"), "{shown}");
    Ok(())
}
