//! End to end, live: the real binary in a real terminal (tmux), stepping a demo in this process
//! and a program over the live link one record per key, then quitting with the terminal
//! restored and nothing left stuck.

use crate::util::tmux;
use crate::util::trace as trace_util;

use std::process::Command;
use std::time::Duration;

use tmux::{available, header, TestResult, Tmux};

/// The `rec n/N` figure of the header bar.
fn rec(screen: &str) -> Option<(u64, u64)> {
    let h = header(screen);
    let at = h.find("rec ")? + 4;
    let (n, rest) = h[at..].split_once('/')?;
    let total: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((n.parse().ok()?, total.parse().ok()?))
}

/// Presses `n` `presses` times on a held loop: each press releases exactly one record, and
/// nothing more arrives while it stays held.
fn step_one_record_per_press(t: &Tmux, presses: u64) -> TestResult {
    let s = t.screen()?;
    let (start, total) = rec(&s).ok_or(format!("no record counter: {s}"))?;
    assert_eq!(start, total, "following the end: {s}");
    for k in 1..=presses {
        t.keys(&["n"])?;
        let want = start + k;
        let s = t.wait_for(|s| rec(s) == Some((want, want)))?;
        assert_eq!(rec(&s), Some((want, want)), "press {k}: {s}");
        assert!(header(&s).contains("STEP"), "{s}");
        // Held again: the counter stays where it is.
        std::thread::sleep(Duration::from_millis(250));
        let s = t.screen()?;
        assert_eq!(rec(&s), Some((want, want)), "one press, one record: {s}");
    }
    Ok(())
}

#[test]
fn demo_timer_step_releases_one_record_per_key_then_runs_and_quits() -> TestResult {
    if !available("demo_timer_step_releases_one_record_per_key_then_runs_and_quits") {
        return Ok(());
    }
    let bin = trace_util::evscope_bin();
    let dir = tempfile::tempdir()?;
    let trace = dir.path().join("timer.jsonl");
    let cmd = format!(
        "{} demo timer --step --speed 4 --record {}; echo EXITED $?; sleep 30",
        bin.display(),
        trace.display()
    );
    let t = Tmux::start("demo-step", 100, 30, &cmd)?;
    let s = t.wait_for(|s| header(s).contains("PAUSED") && header(s).contains("epoll"))?;
    assert!(header(&s).contains("demo timer"), "{s}");
    assert_eq!(rec(&s), Some((0, 0)), "held before the first record: {s}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(rec(&t.screen()?), Some((0, 0)), "still held");

    step_one_record_per_press(&t, 4)?;
    // A note, the alarm's event_new and event_add, the reminder's event_new.
    let s = t.screen()?;
    assert!(
        s.contains("│new 1│") && s.contains("│pending 1│"),
        "one event pending, one new: {s}"
    );
    assert!(s.contains("reminder (cancelled)"), "{s}");

    t.keys(&["Space"])?;
    let s = t.wait_for(|s| header(s).contains("LIVE") && rec(s).is_some_and(|(n, _)| n > 20))?;
    assert!(header(&s).contains("LIVE"), "running: {s}");
    assert!(
        rec(&s).is_some_and(|(n, total)| n > 20 && n == total),
        "the loop ran on and the screen follows it: {s}"
    );

    t.keys(&["q"])?;
    let s = t.wait_for(|s| s.contains("EXITED"))?;
    assert!(s.contains("EXITED 0"), "clean exit: {s}");
    assert!(
        !s.contains("State machine"),
        "the terminal was restored: {s}"
    );
    assert!(s.contains("records written to"), "{s}");
    let out = Command::new(&bin)
        .args(["validate", trace.to_str().ok_or("path")?])
        .output()?;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the recording validates: {said}");
    assert!(said.contains("ok: "), "{said}");
    Ok(())
}

#[test]
fn run_step_pauses_a_program_and_quitting_lets_it_finish_on_its_own() -> TestResult {
    if !available("run_step_pauses_a_program_and_quitting_lets_it_finish_on_its_own") {
        return Ok(());
    }
    let bin = trace_util::evscope_bin();
    let ticker = trace_util::example("ticker")?;
    let cmd = format!(
        "{} run --step -- {}; echo EXITED $?; sleep 30",
        bin.display(),
        ticker.display()
    );
    let t = Tmux::start("run-step", 100, 30, &cmd)?;
    let s = t.wait_for(|s| header(s).contains("PAUSED") && header(s).contains("epoll"))?;
    assert!(header(&s).contains("run ticker"), "{s}");
    assert_eq!(rec(&s), Some((0, 0)), "held before the first record: {s}");

    step_one_record_per_press(&t, 3)?;
    // A paused program does not end by itself.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!t.screen()?.contains("EXITED"));

    t.keys(&["q"])?;
    let s = t.wait_for(|s| s.contains("EXITED"))?;
    assert!(
        s.contains("ticker: read 35 bytes in 5 ticks"),
        "the program ran on to its end: {s}"
    );
    assert!(s.contains("EXITED 0"), "with its exit code: {s}");
    assert!(
        !s.contains("State machine"),
        "the terminal was restored: {s}"
    );
    Ok(())
}

#[test]
fn run_holds_the_programs_output_while_the_dashboard_is_open_and_prints_it_after() -> TestResult {
    if !available("run_holds_the_programs_output_while_the_dashboard_is_open_and_prints_it_after") {
        return Ok(());
    }
    let bin = trace_util::evscope_bin();
    let ticker = trace_util::example("ticker")?;
    // The shell prints before it becomes the ticker, while the dashboard has the terminal.
    let cmd = format!(
        "{} run -- sh -c 'echo early words; exec {}'; echo EXITED $?; sleep 30",
        bin.display(),
        ticker.display()
    );
    let t = Tmux::start("run-output", 100, 30, &cmd)?;
    let s = t.wait_for(|s| header(s).contains("ENDED"))?;
    assert!(
        header(&s).contains("ENDED"),
        "the ticker ran to its end: {s}"
    );
    assert!(
        !s.contains("early words") && !s.contains("ticker: read"),
        "nothing printed over the dashboard: {s}"
    );
    t.keys(&["q"])?;
    let s = t.wait_for(|s| s.contains("EXITED"))?;
    assert!(s.contains("EXITED 0"), "{s}");
    let early = s
        .find("early words")
        .ok_or(format!("held output printed: {s}"))?;
    let late = s.find("ticker: read 35 bytes").ok_or(s.clone())?;
    assert!(early < late, "in the order it was written: {s}");
    assert!(
        !s.contains("State machine"),
        "the terminal was restored: {s}"
    );
    Ok(())
}
