//! End to end: the real binary replays the fixture in tmux at 100×30; keys are sent and the
//! screen is read back with capture-pane.

use crate::util;
use crate::util::dash as dash_util;

use crate::util::tmux;

use std::process::Command;
use std::time::Duration;

use tmux::{available, Tmux};
use util::TestResult;

#[test]
fn replay_in_tmux_steps_plays_helps_and_quits() -> TestResult {
    if !available("replay_in_tmux_steps_plays_helps_and_quits") {
        return Ok(());
    }
    let bin = env!("CARGO_BIN_EXE_evscope");
    let fixture = dash_util::fixture_path();
    // `; sleep` keeps the pane after quitting so the restored screen can be read.
    let cmd = format!(
        "{bin} replay {}; echo EXITED $?; sleep 30",
        fixture.display()
    );
    let t = Tmux::start("replay", 100, 30, &cmd)?;
    let s = t.wait_for(|s| s.contains("rec 0/393"))?;
    assert!(s.contains("REPLAY") && s.contains("dash_echo.jsonl"), "{s}");

    t.keys(&["n", "n", "n"])?;
    let explained = "▶     3     30 µs  bufferevent 2 \"client\" (fd 5) created on fd 5";
    let s = t.wait_for(|s| s.contains("rec 3/393") && s.contains(explained))?;
    assert!(s.contains("rec 3/393"), "{s}");
    assert!(
        s.contains(explained),
        "the timeline explains the current record: {s}"
    );

    t.keys(&["p"])?;
    let s = t.wait_for(|s| s.contains("rec 2/393"))?;
    assert!(s.contains("rec 2/393"), "{s}");

    t.keys(&["Space"])?;
    let s = t.wait_for(|s| s.contains("REPLAY ▶"))?;
    assert!(s.contains("REPLAY ▶"), "playing: {s}");
    let s = t.wait_for(|s| !s.contains("rec 2/393"))?;
    assert!(!s.contains("rec 2/393"), "playback moved on: {s}");
    t.keys(&["Space"])?;
    let s = t.wait_for(|s| !s.contains("REPLAY ▶"))?;
    assert!(!s.contains("REPLAY ▶"), "paused: {s}");
    let paused_at = s.lines().next().unwrap_or_default().to_string();
    std::thread::sleep(Duration::from_millis(300));
    let s = t.screen()?;
    assert_eq!(
        s.lines().next().unwrap_or_default(),
        paused_at,
        "paused means still"
    );

    t.keys(&["?"])?;
    let s = t.wait_for(|s| s.contains("Keys (? or Esc closes)") && s.contains("quit (a live"))?;
    assert!(s.contains("breakpoint on the selected event"), "{s}");
    t.keys(&["?"])?;
    let s = t.wait_for(|s| !s.contains("Keys (? or Esc closes)") && !s.contains("quit (a live"))?;
    assert!(s.contains("State machine"), "{s}");

    t.keys(&["q"])?;
    let s = t.wait_for(|s| s.contains("EXITED"))?;
    assert!(s.contains("EXITED 0"), "clean exit: {s}");
    assert!(
        !s.contains("State machine"),
        "the terminal was restored: {s}"
    );
    assert!(t.alive());
    Ok(())
}

#[test]
fn sigterm_restores_the_terminal() -> TestResult {
    if !available("sigterm_restores_the_terminal") {
        return Ok(());
    }
    let bin = env!("CARGO_BIN_EXE_evscope");
    let fixture = dash_util::fixture_path();
    let cmd = format!(
        "{bin} replay {} & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo EXITED $?; sleep 30",
        fixture.display()
    );
    let t = Tmux::start("sigterm", 100, 30, &cmd)?;
    let s = t.wait_for(|s| s.contains("EXITED"))?;
    assert!(s.contains("EXITED 0"), "{s}");
    assert!(
        !s.contains("State machine"),
        "the terminal was restored: {s}"
    );
    Ok(())
}

#[test]
fn a_bad_trace_is_a_clear_error_not_a_screen() -> TestResult {
    let dir = std::env::temp_dir().join(format!("evscope-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"format\":\"evscope-trace\",\"version\":1,\"backend\":\"poll\"}\nnot json\n",
    )?;
    let out = Command::new(env!("CARGO_BIN_EXE_evscope"))
        .args(["replay", &bad.display().to_string()])
        .output()?;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("evscope: {}:2: ", bad.display())),
        "FILE:LINE: what, as validate says it: {err}"
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn a_dumb_terminal_gets_a_clear_message_instead_of_the_dashboard() -> TestResult {
    if !available("a_dumb_terminal_gets_a_clear_message_instead_of_the_dashboard") {
        return Ok(());
    }
    let bin = env!("CARGO_BIN_EXE_evscope");
    let fixture = dash_util::fixture_path();
    let cmd = format!(
        "TERM=dumb {bin} replay {}; echo EXITED $?; sleep 30",
        fixture.display()
    );
    let t = Tmux::start("dumb", 100, 30, &cmd)?;
    let s = t.wait_for(|s| s.contains("EXITED"))?;
    assert!(s.contains("EXITED 2"), "{s}");
    assert!(s.contains("TERM=dumb") && s.contains("--print"), "{s}");
    assert!(!s.contains("REPLAY"), "nothing drawn: {s}");
    Ok(())
}
