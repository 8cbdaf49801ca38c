//! Key mapping, and what messages do to the session and view state, in replay and live modes.

use crate::util;
use crate::util::dash as dash_util;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use dash_util::{at, fixture};
use evscope::dash::feed::LiveItem;
use evscope::dash::input::map_key;
use evscope::dash::model::{Lang, Session, Timeline};
use evscope::dash::msg::{Cmd, Msg};
use evscope::dash::ui::{Focus, Mode, Ui};
use evscope::dash::update::update;
use evscope::trace::Body;
use evscope::trace::{Control, Status};
use util::TestResult;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn keys_map_to_the_documented_messages() {
    let table = [
        (KeyCode::Char('n'), Msg::Forward),
        (KeyCode::Right, Msg::Forward),
        (KeyCode::Char('p'), Msg::Back),
        (KeyCode::Left, Msg::Back),
        (KeyCode::Char(' '), Msg::PlayPause),
        (KeyCode::Char('+'), Msg::Faster),
        (KeyCode::Char('-'), Msg::Slower),
        (KeyCode::Home, Msg::Home),
        (KeyCode::End, Msg::End),
        (KeyCode::Char(']'), Msg::NextIteration),
        (KeyCode::Char('b'), Msg::Breakpoint),
        (KeyCode::Tab, Msg::NextPanel),
        (KeyCode::BackTab, Msg::PrevPanel),
        (KeyCode::Enter, Msg::Enter),
        (KeyCode::Char('?'), Msg::Help),
        (KeyCode::Esc, Msg::Close),
        (KeyCode::Up, Msg::Up),
        (KeyCode::Down, Msg::Down),
        (KeyCode::Char('q'), Msg::Quit),
    ];
    for (code, msg) in table {
        assert_eq!(map_key(key(code)), Some(msg), "{code:?}");
    }
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(map_key(ctrl_c), Some(Msg::Quit));
    assert_eq!(map_key(key(KeyCode::Char('x'))), None);
    let mut release = key(KeyCode::Char('n'));
    release.kind = KeyEventKind::Release;
    assert_eq!(map_key(release), None, "a key release does nothing");
}

#[test]
fn forward_back_home_end_move_the_cursor() -> TestResult {
    let (mut s, mut ui) = at(0)?;
    let n = s.timeline().len();
    for _ in 0..5 {
        update(&mut s, &mut ui, Msg::Forward);
    }
    assert_eq!(s.pos(), 5);
    update(&mut s, &mut ui, Msg::Back);
    assert_eq!(s.pos(), 4);
    update(&mut s, &mut ui, Msg::End);
    assert_eq!(s.pos(), n);
    update(&mut s, &mut ui, Msg::Forward);
    assert_eq!(s.pos(), n, "forward stops at the end");
    update(&mut s, &mut ui, Msg::Home);
    assert_eq!(s.pos(), 0);
    update(&mut s, &mut ui, Msg::Back);
    assert_eq!(s.pos(), 0, "back stops at the start");
    Ok(())
}

#[test]
fn next_iteration_jumps_to_an_iteration_start() -> TestResult {
    let (mut s, mut ui) = at(0)?;
    update(&mut s, &mut ui, Msg::NextIteration);
    assert_eq!(s.snapshot().iteration, 1);
    update(&mut s, &mut ui, Msg::NextIteration);
    assert_eq!(s.snapshot().iteration, 2);
    let last = s.timeline().record(s.pos() - 1).ok_or("a record")?.clone();
    assert!(matches!(
        last.body,
        Body::LoopIteration { n: 2, thread: None }
    ));
    Ok(())
}

#[test]
fn playing_advances_at_the_chosen_speed_and_stops_at_the_end() -> TestResult {
    let (mut s, mut ui) = at(0)?;
    update(&mut s, &mut ui, Msg::PlayPause);
    assert!(ui.playing);
    // 10 records/s and 50 ms ticks: one record every other tick.
    for _ in 0..20 {
        update(&mut s, &mut ui, Msg::Tick);
    }
    assert_eq!(s.pos(), 10);
    update(&mut s, &mut ui, Msg::Faster);
    update(&mut s, &mut ui, Msg::Faster);
    assert_eq!(ui.speed_rps(), 50);
    update(&mut s, &mut ui, Msg::Tick);
    assert!(s.pos() > 10);
    for _ in 0..10 {
        update(&mut s, &mut ui, Msg::Faster);
    }
    for _ in 0..100 {
        update(&mut s, &mut ui, Msg::Tick);
    }
    assert!(s.at_end());
    assert!(!ui.playing, "playing stops at the end");
    update(&mut s, &mut ui, Msg::PlayPause);
    assert_eq!(s.pos(), 0, "play at the end starts again");
    Ok(())
}

#[test]
fn a_breakpoint_stops_playback_at_the_events_next_transition() -> TestResult {
    let (mut s, mut ui) = at(30)?;
    ui.selected = 1; // event 1, "echo read"
    update(&mut s, &mut ui, Msg::Breakpoint);
    assert!(ui.breakpoints.contains(&1));
    for _ in 0..6 {
        update(&mut s, &mut ui, Msg::Faster);
    }
    update(&mut s, &mut ui, Msg::PlayPause);
    for _ in 0..50 {
        update(&mut s, &mut ui, Msg::Tick);
    }
    assert!(!ui.playing);
    let r = s.timeline().record(s.pos() - 1).ok_or("a record")?;
    assert!(matches!(r.body, Body::Transition { ev: 1, .. }), "{r:?}");
    assert!(ui
        .status
        .as_deref()
        .is_some_and(|m| m.contains("breakpoint")));
    update(&mut s, &mut ui, Msg::Breakpoint);
    assert!(ui.breakpoints.is_empty(), "b again clears it");
    Ok(())
}

#[test]
fn focus_selection_and_overlays() -> TestResult {
    let (mut s, mut ui) = at(100)?;
    update(&mut s, &mut ui, Msg::Down);
    update(&mut s, &mut ui, Msg::Down);
    assert_eq!(ui.selected, 2);
    update(&mut s, &mut ui, Msg::Enter);
    assert_eq!(ui.history, Some(2));
    update(&mut s, &mut ui, Msg::Close);
    assert_eq!(ui.history, None);
    for _ in 0..20 {
        update(&mut s, &mut ui, Msg::Down);
    }
    assert_eq!(
        ui.selected,
        s.snapshot().events.len() - 1,
        "selection is clamped"
    );
    update(&mut s, &mut ui, Msg::NextPanel);
    assert_eq!(ui.focus, Focus::Buffers);
    update(&mut s, &mut ui, Msg::PrevPanel);
    assert_eq!(ui.focus, Focus::Events);
    update(&mut s, &mut ui, Msg::Help);
    assert!(ui.help);
    update(&mut s, &mut ui, Msg::Help);
    assert!(!ui.help);
    update(&mut s, &mut ui, Msg::Lang);
    assert_eq!(ui.lang, Lang::Zh);
    update(&mut s, &mut ui, Msg::Quit);
    assert!(ui.quit);
    Ok(())
}

fn live() -> Result<(Session, Ui), Box<dyn std::error::Error>> {
    let t = fixture()?;
    Ok((
        Session::new(Timeline::new(t.header().clone())),
        Ui::new(Mode::Live, "demo echo", Lang::En),
    ))
}

#[test]
fn live_records_are_followed_and_space_n_and_bracket_drive_the_gate() -> TestResult {
    let t = fixture()?;
    let (mut s, mut ui) = live()?;
    for r in t.range(0..40) {
        update(&mut s, &mut ui, Msg::Live(LiveItem::Record(r.clone())));
    }
    assert_eq!(s.pos(), 40, "following the end");
    assert_eq!(ui.mode_word(), "LIVE");
    assert_eq!(
        update(&mut s, &mut ui, Msg::PlayPause),
        vec![Cmd::Gate(Control::Pause)]
    );
    assert_eq!(ui.mode_word(), "PAUSED");
    assert_eq!(
        update(&mut s, &mut ui, Msg::Forward),
        vec![Cmd::Gate(Control::Step { n: 1 })]
    );
    assert_eq!(ui.mode_word(), "STEP");
    update(
        &mut s,
        &mut ui,
        Msg::Live(LiveItem::Record(t.record(40).ok_or("a record")?.clone())),
    );
    assert_eq!(s.pos(), 41);
    assert_eq!(
        update(&mut s, &mut ui, Msg::NextIteration),
        vec![Cmd::Gate(Control::NextIteration)]
    );
    assert_eq!(
        update(&mut s, &mut ui, Msg::PlayPause),
        vec![Cmd::Gate(Control::Continue)]
    );
    assert_eq!(ui.mode_word(), "LIVE");
    Ok(())
}

#[test]
fn live_browsing_back_stops_following_until_end() -> TestResult {
    let t = fixture()?;
    let (mut s, mut ui) = live()?;
    for r in t.range(0..40) {
        update(&mut s, &mut ui, Msg::Live(LiveItem::Record(r.clone())));
    }
    update(&mut s, &mut ui, Msg::Back);
    assert_eq!(s.pos(), 39);
    for r in t.range(40..50) {
        update(&mut s, &mut ui, Msg::Live(LiveItem::Record(r.clone())));
    }
    assert_eq!(s.pos(), 39, "the cursor stays where the user looks");
    assert_eq!(s.timeline().len(), 50);
    assert!(
        update(&mut s, &mut ui, Msg::Forward).is_empty(),
        "forward within history sends nothing"
    );
    update(&mut s, &mut ui, Msg::End);
    assert_eq!(s.pos(), 50);
    update(
        &mut s,
        &mut ui,
        Msg::Live(LiveItem::Record(t.record(50).ok_or("a record")?.clone())),
    );
    assert_eq!(s.pos(), 51, "following again");
    Ok(())
}

#[test]
fn live_breakpoints_go_to_the_gate_and_quitting_releases_the_loop() -> TestResult {
    let t = fixture()?;
    let (mut s, mut ui) = live()?;
    for r in t.range(0..20) {
        update(&mut s, &mut ui, Msg::Live(LiveItem::Record(r.clone())));
    }
    ui.selected = 1;
    assert_eq!(
        update(&mut s, &mut ui, Msg::Breakpoint),
        vec![Cmd::Gate(Control::Break { ev: 1 })]
    );
    update(
        &mut s,
        &mut ui,
        Msg::Live(LiveItem::Status(Status::Paused {
            reason: "breakpoint".into(),
            ev: Some(1),
        })),
    );
    assert_eq!(ui.mode_word(), "PAUSED");
    assert_eq!(
        ui.status.as_deref(),
        Some("paused at a breakpoint on event 1")
    );
    let cmds = update(&mut s, &mut ui, Msg::Quit);
    assert_eq!(
        cmds,
        vec![
            Cmd::Gate(Control::Unbreak { ev: 1 }),
            Cmd::Gate(Control::Continue)
        ],
        "quitting never leaves the program held"
    );
    Ok(())
}

#[test]
fn a_live_feed_that_ends_says_so_and_sends_nothing_more() -> TestResult {
    let (mut s, mut ui) = live()?;
    update(
        &mut s,
        &mut ui,
        Msg::Live(LiveItem::Ended(Some("connection reset".into()))),
    );
    assert_eq!(ui.mode_word(), "ENDED");
    assert_eq!(ui.ended.as_deref(), Some("connection reset"));
    assert!(update(&mut s, &mut ui, Msg::PlayPause).is_empty());
    assert!(update(&mut s, &mut ui, Msg::Quit).is_empty());
    Ok(())
}

#[test]
fn the_gates_statuses_set_the_mode_and_say_why_it_paused() -> TestResult {
    let t = fixture()?;
    let (mut s, mut ui) = live()?;
    for r in t.range(0..40) {
        update(&mut s, &mut ui, Msg::Live(LiveItem::Record(r.clone())));
    }
    let paused = |reason: &str| {
        Msg::Live(LiveItem::Status(Status::Paused {
            reason: reason.into(),
            ev: None,
        }))
    };
    update(&mut s, &mut ui, paused("next_iteration"));
    assert_eq!(ui.mode_word(), "PAUSED");
    let iteration = s.timeline().last().iteration;
    assert!(iteration > 0);
    assert_eq!(
        ui.status.as_deref(),
        Some(format!("paused: loop iteration {iteration} begins").as_str())
    );
    update(&mut s, &mut ui, Msg::Forward);
    assert_eq!(ui.mode_word(), "STEP");
    update(
        &mut s,
        &mut ui,
        Msg::Live(LiveItem::Status(Status::Running)),
    );
    assert_eq!(ui.mode_word(), "LIVE", "the program says it runs again");
    let refused = Status::Error {
        message: "control line not understood".into(),
    };
    update(&mut s, &mut ui, Msg::Live(LiveItem::Status(refused)));
    assert_eq!(
        ui.status.as_deref(),
        Some("the program says: control line not understood")
    );
    assert_eq!(ui.mode_word(), "LIVE");
    Ok(())
}

#[test]
fn records_read_in_the_background_extend_the_replay_and_the_header_says_so() -> TestResult {
    let t = fixture()?;
    let mut s = Session::new(Timeline::new(t.header().clone()));
    let mut ui = Ui::new(Mode::Replay, "big.jsonl", Lang::En);
    ui.indexing = Some(0);
    let batch: Vec<_> = t.range(0..100).map(|r| r.clone()).collect();
    update(&mut s, &mut ui, Msg::Loaded(batch));
    assert_eq!(s.timeline().len(), 100);
    assert_eq!(s.pos(), 0, "the cursor stays where the user looks");
    assert_eq!(ui.indexing, Some(100));
    let header = |s: &Session, ui: &Ui| {
        dash_util::text(&dash_util::draw(160, 1, s, ui, |a, b, c| {
            evscope::dash::view::header::render(a, b, c)
        }))
    };
    assert!(header(&s, &ui).contains("indexing… 100 records"));
    update(&mut s, &mut ui, Msg::LoadEnded(None));
    assert_eq!(ui.indexing, None);
    assert!(!header(&s, &ui).contains("indexing"));
    assert_eq!(ui.status, None);
    update(&mut s, &mut ui, Msg::LoadEnded(Some("line 7: bad".into())));
    assert_eq!(ui.status.as_deref(), Some("line 7: bad"));
    Ok(())
}

#[test]
fn a_live_skip_jumps_to_the_present_and_step_back_history_starts_there() -> TestResult {
    let t = fixture()?;
    let (mut s, mut ui) = live()?;
    for r in t.range(0..40) {
        update(&mut s, &mut ui, Msg::Live(LiveItem::Record(r.clone())));
    }
    // The user looks back while the program runs free; the viewer falls behind.
    update(&mut s, &mut ui, Msg::Home);
    assert_eq!(s.pos(), 0);
    let before = t.record(39).ok_or("a record")?;
    let skip = evscope::trace::Record {
        seq: before.seq + 1,
        t_us: before.t_us,
        base: 0,
        body: Body::Dropped { count: 500 },
    };
    update(&mut s, &mut ui, Msg::Live(LiveItem::Record(skip)));
    assert_eq!(s.floor(), 41);
    assert_eq!(
        s.pos(),
        41,
        "moved to the skip: what came before is gone from step-back"
    );
    assert_eq!(
        s.snapshot().dropped,
        500,
        "the header says 500 records skipped"
    );
    update(&mut s, &mut ui, Msg::End);
    update(&mut s, &mut ui, Msg::Back);
    assert_eq!(s.pos(), 41, "back stops at the skip");
    update(&mut s, &mut ui, Msg::Home);
    assert_eq!(s.pos(), 41);
    // A first record saying so stands for a trimmed history: nothing to stop at.
    let (mut s, mut ui) = live()?;
    let trimmed = evscope::trace::Record {
        seq: 1,
        t_us: 0,
        base: 0,
        body: Body::Dropped { count: 9 },
    };
    update(&mut s, &mut ui, Msg::Live(LiveItem::Record(trimmed)));
    assert_eq!(s.floor(), 0);
    Ok(())
}
