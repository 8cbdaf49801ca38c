//! Each panel drawn into a ratatui Buffer at fixed positions of the fixture.

use crate::util;
use crate::util::dash as dash_util;

use dash_util::{at, draw, find, text};
use evscope::dash::model::Lang;
use evscope::dash::theme::Theme;
use evscope::dash::ui::Focus;
use evscope::dash::view::{
    buffers, diagram, events, footer, header, help, history, phase, timeline,
};
use util::TestResult;

#[test]
fn header_shows_mode_source_backend_iteration_and_position() -> TestResult {
    let (s, ui) = at(28)?;
    let buf = draw(100, 1, &s, &ui, header::render);
    let line = text(&buf);
    for want in [
        "REPLAY",
        "dash_echo.jsonl",
        "epoll",
        "iter 1",
        "rec 28/393",
        "t 2.1 ms",
        "10 rec/s",
    ] {
        assert!(line.contains(want), "{want:?} missing from {line:?}");
    }
    Ok(())
}

#[test]
fn header_says_how_many_records_a_viewer_that_fell_behind_missed() -> TestResult {
    use evscope::dash::model::{Session, Timeline};
    use evscope::dash::ui::{Mode, Ui};
    use evscope::trace::{Body, Record};
    let fixture = dash_util::fixture()?;
    let mut t = Timeline::new(fixture.header().clone());
    let records: Vec<Record> = fixture.range(0..20).map(|r| r.clone()).collect();
    for r in &records {
        t.push(r.clone());
    }
    let last = records.last().ok_or("no records")?;
    t.push(Record {
        seq: last.seq + 1000,
        t_us: last.t_us,
        base: 0,
        body: Body::Dropped { count: 1000 },
    });
    let mut s = Session::new(t);
    s.seek(20);
    let ui = Ui::new(Mode::Live, "attach 127.0.0.1:7777", Lang::En);
    assert!(!text(&draw(140, 1, &s, &ui, header::render)).contains("skipped"));
    s.seek(21);
    let line = text(&draw(140, 1, &s, &ui, header::render));
    assert!(line.contains("⚠ 1000 records skipped"), "{line}");
    let ui = Ui::new(Mode::Live, "attach 127.0.0.1:7777", Lang::Zh);
    let line = text(&draw(140, 1, &s, &ui, header::render));
    assert!(line.contains("跳过了 1000 条记录"), "{line}");
    Ok(())
}

#[test]
fn phase_strip_lights_the_current_phase_only() -> TestResult {
    let (s, ui) = at(21)?;
    let buf = draw(120, 1, &s, &ui, phase::render);
    let line = text(&buf);
    assert!(line.contains("● waiting in epoll ≤2.0 ms"), "{line}");
    assert!(line.contains("○ fds ready"), "{line}");
    let (x, y) = find(&buf, "waiting").ok_or("no waiting")?;
    assert_eq!(
        buf[(x, y)].fg,
        Theme::DARK.hot.fg.ok_or("hot has a colour")?
    );
    let (x, y) = find(&buf, "fds ready").ok_or("no fds ready")?;
    assert_ne!(
        buf[(x, y)].fg,
        Theme::DARK.hot.fg.ok_or("hot has a colour")?
    );
    Ok(())
}

#[test]
fn events_table_lists_every_event_with_course_terms() -> TestResult {
    let (s, ui) = at(100)?;
    let buf = draw(100, 12, &s, &ui, events::render);
    let t = text(&buf);
    assert!(t.contains("echo read"), "{t}");
    assert!(t.contains("READ|PERSIST"), "{t}");
    assert!(t.contains("pending 未决"), "{t}");
    assert!(t.contains("heartbeat"), "{t}");
    // At 100 records the server's read event has been active at least once.
    let row = t
        .lines()
        .find(|l| l.contains("echo read"))
        .ok_or("no row")?;
    assert!(!row.contains(" 0 "), "activations counted: {row}");
    Ok(())
}

#[test]
fn events_table_marks_breakpoints_and_selection() -> TestResult {
    let (s, mut ui) = at(50)?;
    ui.selected = 1;
    ui.breakpoints.insert(1);
    let buf = draw(100, 12, &s, &ui, events::render);
    let (x, y) = find(&buf, "echo read").ok_or("no row")?;
    assert_eq!(buf[(1, y)].symbol(), "●", "breakpoint mark");
    assert_eq!(
        buf[(x, y)].bg,
        Theme::DARK.selected.bg.ok_or("selected has a bg")?
    );
    Ok(())
}

#[test]
fn diagram_counts_states_and_highlights_the_arc_just_taken() -> TestResult {
    // Record 28: event 5 went new -> active (event_active): not neighbours, so an arc is drawn.
    let (s, ui) = at(28)?;
    let buf = draw(100, 7, &s, &ui, diagram::render);
    let t = text(&buf);
    assert!(t.contains("new 1"), "{t}");
    assert!(t.contains("active 1"), "{t}");
    assert!(t.contains("new ──▶ active"), "caption: {t}");
    let (x, y) = find(&buf, "▲").ok_or("no arrow head")?;
    assert_eq!(Some(buf[(x, y)].fg), Theme::DARK.hot.fg, "the arc is lit");
    // The arrow head sits under the `active` box.
    let (ax, _) = find(&buf, "active 1").ok_or("no active box")?;
    assert!(x >= ax && x < ax + 9, "arrow at {x}, box at {ax}");
    Ok(())
}

#[test]
fn diagram_lights_the_arrow_between_neighbours() -> TestResult {
    // Record 23: event 6 pending -> active (timeout).
    let (s, ui) = at(23)?;
    let buf = draw(100, 7, &s, &ui, diagram::render);
    let (px, py) = find(&buf, "pending").ok_or("no pending box")?;
    let (ax, _) = find(&buf, "active").ok_or("no active box")?;
    let arrows: Vec<u16> = (px..ax).filter(|&x| buf[(x, py)].symbol() == "▶").collect();
    assert_eq!(arrows.len(), 1);
    assert_eq!(Some(buf[(arrows[0], py)].fg), Theme::DARK.hot.fg);
    assert!(find(&buf, "▲").is_none(), "no arc for neighbours");
    Ok(())
}

#[test]
fn diagram_collapses_to_one_line_when_short_or_narrow() -> TestResult {
    let (s, ui) = at(28)?;
    let buf = draw(80, 4, &s, &ui, diagram::render);
    let t = text(&buf);
    assert!(t.contains("new 1 ▸ pending"), "{t}");
    assert!(!t.contains("╭─────╮"), "no boxes: {t}");
    Ok(())
}

#[test]
fn buffers_fill_against_the_high_watermark() -> TestResult {
    let t = dash_util::fixture()?;
    // Find a position where the server's input holds bytes.
    let pos = (1..=t.len())
        .find(|&p| {
            t.snapshot_at(p)
                .bevs
                .get(&1)
                .is_some_and(|b| b.levels.input > 0)
        })
        .ok_or("the server never held input")?;
    let (s, ui) = at(pos)?;
    let bev = s.snapshot().bevs[&1].clone();
    let buf = draw(100, 6, &s, &ui, buffers::render);
    let txt = text(&buf);
    assert!(
        txt.contains(&format!("{}/1024 B", bev.levels.input)),
        "{txt}"
    );
    assert!(txt.contains("connected"), "{txt}");
    assert!(txt.contains("kernel in"), "{txt}");
    let (x0, y) = find(&buf, "▕").ok_or("no gauge")?;
    let x1 = (x0..100)
        .find(|&x| buf[(x, y)].symbol() == "▏")
        .ok_or("no gauge end")?;
    let filled = (x0..x1).filter(|&x| buf[(x, y)].symbol() == "█").count();
    let width = (x1 - x0 - 1) as u64;
    assert!(filled >= 1, "a non-empty buffer shows");
    let expect = (bev.levels.input * width).div_ceil(1024) as usize;
    assert!(
        filled.abs_diff(expect) <= 1,
        "filled {filled}, expected ~{expect}"
    );
    Ok(())
}

#[test]
fn buffers_say_so_when_there_are_none() -> TestResult {
    let (s, ui) = at(0)?;
    let buf = draw(80, 4, &s, &ui, buffers::render);
    assert!(text(&buf).contains("no bufferevents yet"));
    Ok(())
}

#[test]
fn timeline_marks_the_current_record_and_dims_the_next() -> TestResult {
    let (s, ui) = at(28)?;
    let buf = draw(100, 7, &s, &ui, timeline::render);
    let t = text(&buf);
    let cur = t
        .lines()
        .find(|l| l.contains('▶'))
        .ok_or("no current line")?;
    assert!(
        cur.contains("28")
            && cur.contains("event 5 \"wake-up\" (timer) became active: event_active was called"),
        "{cur}"
    );
    let next = t.lines().find(|l| l.contains('·')).ok_or("no next line")?;
    assert!(next.contains("29"), "{next}");
    Ok(())
}

#[test]
fn timeline_explains_in_chinese() -> TestResult {
    let (s, mut ui) = at(28)?;
    ui.lang = Lang::Zh;
    let buf = draw(100, 7, &s, &ui, timeline::render);
    let t = text(&buf);
    assert!(t.contains("激活"), "{t}");
    assert!(t.contains("event_active"), "{t}");
    Ok(())
}

#[test]
fn footer_lists_keys_and_shows_the_status() -> TestResult {
    let (s, mut ui) = at(1)?;
    ui.status = Some("breakpoint set on event 1".into());
    let buf = draw(160, 1, &s, &ui, footer::render);
    let t = text(&buf);
    assert!(
        t.contains("space play") && t.contains("? help") && t.contains("q quit"),
        "{t}"
    );
    assert!(t.trim_end().ends_with("breakpoint set on event 1"), "{t}");
    Ok(())
}

#[test]
fn help_overlay_lists_every_key() -> TestResult {
    let (s, ui) = at(1)?;
    let buf = draw(100, 30, &s, &ui, help::render);
    let t = text(&buf);
    for k in [
        "space",
        "n  →",
        "p  ←",
        "]",
        "+  -",
        "Home End",
        "b ",
        "Tab",
        "Enter",
        "q  Ctrl-C",
    ] {
        assert!(t.contains(k), "{k:?} missing: {t}");
    }
    Ok(())
}

#[test]
fn history_overlay_lists_the_selected_events_transitions() -> TestResult {
    let (s, mut ui) = at(120)?;
    ui.history = Some(1);
    ui.focus = Focus::Events;
    let buf = draw(100, 30, &s, &ui, history::render);
    let t = text(&buf);
    assert!(t.contains("event 1 \"echo read\": history"), "{t}");
    assert!(t.contains("new 新事件 ──▶ pending 未决  event_add"), "{t}");
    assert!(t.contains("fd_readable"), "{t}");
    assert!(t.contains("callback returns after"), "{t}");
    Ok(())
}

#[test]
fn events_table_lists_the_living_first_and_selection_follows_the_rows() -> TestResult {
    use evscope::dash::update::selected_event;
    use evscope::ev::State;
    // The first position where an event is freed while one created after it lives.
    let t = dash_util::fixture()?;
    let pos = (1..=t.len())
        .find(|&p| {
            let snap = t.snapshot_at(p);
            let ids: Vec<u64> = snap.events_listed().map(|e| e.id).collect();
            !ids.is_sorted()
        })
        .ok_or("the fixture never frees an event before a later one")?;
    let (s, mut ui) = at(pos)?;
    let snap = s.snapshot();
    let alive = snap.events.len() - snap.count(State::Freed);
    let buf = draw(100, 14, &s, &ui, events::render);
    let text = text(&buf);
    let terms = ["新事件", "未决", "激活", "回调执行中", "已释放"];
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| terms.iter().any(|t| l.contains(t)))
        .collect();
    let first_freed = rows
        .iter()
        .position(|l| l.contains("freed 已释放"))
        .ok_or(format!("no freed row: {text}"))?;
    assert_eq!(first_freed, alive, "living rows first: {text}");
    assert!(
        rows[first_freed..]
            .iter()
            .all(|l| l.contains("freed 已释放")),
        "{text}"
    );
    // The row selected is the row acted on.
    ui.selected = alive;
    let freed = snap.events_listed().nth(alive).map(|e| e.id);
    assert_eq!(selected_event(&s, &ui), freed);
    assert_eq!(
        snap.events.get(&freed.ok_or("none")?).map(|e| e.state),
        Some(State::Freed)
    );
    Ok(())
}

#[test]
fn the_footer_keeps_help_and_quit_when_narrow() -> TestResult {
    use evscope::dash::ui::Mode;
    let (s, mut ui) = at(1)?;
    for mode in [Mode::Replay, Mode::Live] {
        ui.mode = mode;
        let wide = text(&draw(160, 1, &s, &ui, footer::render));
        assert!(wide.contains("b break"), "{wide}");
        for w in [80, 60, 40] {
            let line = text(&draw(w, 1, &s, &ui, footer::render));
            let line = line.trim_end();
            assert!(
                line.ends_with("? help  q quit"),
                "{mode:?} at {w} columns: {line:?}"
            );
            assert!(line.contains("space"), "{line:?}");
        }
        let narrow = text(&draw(60, 1, &s, &ui, footer::render));
        assert!(
            !narrow.contains("break"),
            "the least needed goes first: {narrow}"
        );
    }
    Ok(())
}

#[test]
fn diagram_caption_tells_the_latest_transition_when_the_cursor_is_past_it() -> TestResult {
    // Record 29 is a callback_end: the transition before it stays in the caption, dimmed.
    let (s, ui) = at(29)?;
    let last = s.snapshot().last_transition.ok_or("no transition")?;
    assert!(last.at + 1 < 29);
    let seq = s.timeline().record(last.at).ok_or("a record")?.seq;
    let buf = draw(100, 7, &s, &ui, diagram::render);
    let t = text(&buf);
    assert!(
        t.contains(&format!("last, at #{seq}: event {}", last.ev)),
        "{t}"
    );
    let (x, y) = find(&buf, "──▶").ok_or("no arrow in the caption")?;
    assert_ne!(
        buf[(x, y)].fg,
        Theme::DARK.hot.fg.ok_or("hot has a colour")?,
        "not lit: it is not the record under the cursor"
    );
    Ok(())
}
