//! Whole screens through TestBackend, against committed snapshots, at fixed positions of the
//! fixture and at the sizes that matter (80×24 classroom minimum, 100×30, a large 160×48).

use crate::util;
use crate::util::dash as dash_util;

use dash_util::at;
use evscope::dash::feed::LiveItem;
use evscope::dash::model::Lang;
use evscope::dash::model::Session;
use evscope::dash::msg::Msg;
use evscope::dash::theme::Theme;
use evscope::dash::ui::{Mode, Ui};
use evscope::dash::update::update;
use evscope::dash::view::{self, Ctx};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use util::TestResult;

fn screen(
    w: u16,
    h: u16,
    s: &Session,
    ui: &Ui,
) -> Result<Terminal<TestBackend>, Box<dyn std::error::Error>> {
    let mut term = Terminal::new(TestBackend::new(w, h))?;
    let theme = Theme::default();
    term.draw(|f| {
        view::draw(
            f,
            Ctx {
                session: s,
                ui,
                theme: &theme,
            },
        )
    })?;
    Ok(term)
}

#[test]
fn start_80x24() -> TestResult {
    let (s, ui) = at(0)?;
    insta::assert_snapshot!(screen(80, 24, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn event_active_80x24() -> TestResult {
    let (s, ui) = at(28)?;
    insta::assert_snapshot!(screen(80, 24, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn event_active_100x30() -> TestResult {
    let (s, ui) = at(28)?;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn echo_in_flight_100x30() -> TestResult {
    let (s, ui) = at(150)?;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn echo_in_flight_160x48() -> TestResult {
    let (s, ui) = at(150)?;
    insta::assert_snapshot!(screen(160, 48, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn end_100x30() -> TestResult {
    let (s, ui) = at(usize::MAX)?;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn chinese_100x30() -> TestResult {
    let (s, mut ui) = at(150)?;
    ui.lang = Lang::Zh;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn help_overlay_100x30() -> TestResult {
    let (s, mut ui) = at(28)?;
    ui.help = true;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn history_overlay_100x30() -> TestResult {
    let (s, mut ui) = at(150)?;
    ui.history = Some(1);
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn a_tiny_terminal_does_not_panic() -> TestResult {
    for (w, h) in [(1, 1), (10, 5), (40, 10), (79, 23), (20, 40)] {
        for pos in [0, 28, 150, usize::MAX] {
            let (s, mut ui) = at(pos)?;
            screen(w, h, &s, &ui)?;
            ui.help = true;
            ui.history = Some(1);
            screen(w, h, &s, &ui)?;
        }
    }
    Ok(())
}

#[test]
fn every_theme_draws_the_same_text() -> TestResult {
    let (s, ui) = at(150)?;
    let mut term = Terminal::new(TestBackend::new(100, 30))?;
    let mut screens = Vec::new();
    for theme in [Theme::DARK, Theme::LIGHT, Theme::CONTRAST] {
        term.draw(|f| {
            view::draw(
                f,
                Ctx {
                    session: &s,
                    ui: &ui,
                    theme: &theme,
                },
            )
        })?;
        screens.push(format!("{}", term.backend()));
    }
    assert_eq!(screens[0], screens[1]);
    assert_eq!(screens[0], screens[2]);
    Ok(())
}

/// Words a Chinese screen may show in Latin letters: libevent's names and flags, state names
/// beside their Chinese, backends, keys, units, the tool's own name.
const LATIN_OK: &[&str] = &[
    "evscope",
    "epoll",
    "poll",
    "select",
    "kqueue",
    "devpoll",
    "READ",
    "WRITE",
    "PERSIST",
    "TIMEOUT",
    "SIGNAL",
    "CLOSED",
    "EOF",
    "ERROR",
    "READING",
    "WRITING",
    "CONNECTED",
    "new",
    "pending",
    "non",
    "active",
    "callback",
    "freed",
    "bufferevent",
    "evbuffer",
    "Tab",
    "Enter",
    "Esc",
    "Home",
    "End",
    "space",
    "Ctrl",
    "English",
    "KiB",
    "MiB",
    "FIFO",
    "bev",
    // Transition causes, named as the trace and the lessons name them.
    "dispatch",
    "signal",
    "timeout",
];

/// Beginnings of libevent's identifiers a panel's edge may cut to a word (`even`).
const CUT_OK: &[&str] = &["event_", "bufferevent_", "evconnlistener_", "evbuffer_"];

/// Marks, on an overlay's screen, a cell that shows the screen under it.
const UNDER: char = '\u{1}';

/// `line` with what it quotes blanked: the text between `"`s is what the program sent or named
/// ("client 1 says hello #1", a student's label), shown as it is in every language. A quote a
/// panel's edge cuts ends at the edge. A recording's file name (`recordings/echo.jsonl`) is
/// blanked too.
fn unquoted(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(' ');
            }
            '│' => {
                quoted = false;
                out.push(c);
            }
            _ if quoted => out.push(' '),
            _ => out.push(c),
        }
    }
    out.split(' ')
        .map(|w| match w.find(".jsonl") {
            Some(end) => " ".repeat(end + ".jsonl".len()) + &w[end + ".jsonl".len()..],
            None => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The runs of three or more Latin letters on `screen` that a Chinese screen should not show.
/// Identifiers (`event_base`, causes like `fd_writable`), signal names, libevent-style internal
/// event names (`bev1 read`, `lev0 accept`) and quoted data are let through; the demos' notes
/// (after `注：`) are checked like the rest.
fn english_on(screen: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in screen.lines() {
        let line = unquoted(line);
        let line = line.as_str();
        // Each word, and whether a panel's edge or the line's end cuts it.
        let mut words: Vec<(&str, bool)> = Vec::new();
        let mut start = None;
        for (i, c) in line.char_indices().chain([(line.len(), ' ')]) {
            let in_word = c.is_ascii_alphanumeric() || c == '_' || c == UNDER;
            match (start, in_word) {
                (None, true) => start = Some(i),
                (Some(b), false) => {
                    let edge = c == '│' || i == line.len();
                    words.push((&line[b..i], edge));
                    start = None;
                }
                _ => {}
            }
        }
        let mut after_internal = false;
        for (w, edge) in words {
            if w.contains(UNDER) {
                // Partly the screen under an overlay, checked on its own.
                after_internal = false;
                continue;
            }
            let internal = after_internal && ["read", "write", "accept"].contains(&w);
            after_internal = (w.starts_with("bev") || w.starts_with("lev"))
                && w[3..].starts_with(|c: char| c.is_ascii_digit());
            let letters = w
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|run| run.len() >= 3);
            // A word cut by a panel's edge: `PERSI`, `callbac`.
            let cut = edge && LATIN_OK.iter().chain(CUT_OK).any(|ok| ok.starts_with(w));
            // A demo's name, as typed after `evscope demo` (`timer`, `half-close`).
            let demo = evscope::demos::DEMOS
                .iter()
                .any(|d| d.name.split('-').any(|part| part == w));
            if !letters
                || cut
                || demo
                || internal
                || after_internal
                || w.contains('_')
                || w.starts_with("SIG")
                || LATIN_OK.contains(&w)
            {
                continue;
            }
            found.push(format!("{w:?} in {line:?}"));
        }
    }
    found
}

#[test]
fn chinese_screens_show_no_untranslated_english() -> TestResult {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![dash_util::fixture_path()];
    for entry in std::fs::read_dir(root.join("recordings"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            files.push(path);
        }
    }
    files.sort();
    assert!(files.len() >= 5, "the recordings are missing: {files:?}");
    let mut bad = Vec::new();
    let mut screens = 0;
    for file in &files {
        let timeline = evscope::dash::feed::load(file)?;
        let len = timeline.len();
        let first_event = timeline.records().find_map(|r| match r.body {
            evscope::trace::Body::EventNew { .. } => r.body.ev(),
            _ => None,
        });
        let mut s = Session::new(timeline);
        for pos in [0, len / 4, len / 2, 3 * len / 4, len] {
            s.seek(pos);
            for mode in [Mode::Replay, Mode::Live] {
                // Switched with `l` at run time, as a class would.
                let mut ui = Ui::new(mode, "录制", Lang::En);
                update(&mut s, &mut ui, Msg::Lang);
                assert_eq!(ui.lang, Lang::Zh);
                update(&mut s, &mut ui, Msg::Breakpoint);
                if mode == Mode::Live && pos == len {
                    ui.ended = None;
                    update(&mut s, &mut ui, Msg::Live(LiveItem::Ended(None)));
                }
                for (w, h) in [(80, 24), (100, 30), (160, 48)] {
                    for overlay in 0..3 {
                        let mut ui = ui.clone();
                        ui.help = overlay == 1;
                        ui.history = if overlay == 2 { first_event } else { None };
                        let shown = screen(w, h, &s, &ui)?;
                        let text = if overlay == 0 {
                            dash_util::text(shown.backend().buffer())
                        } else {
                            // Only what the overlay drew: the screen under it is checked
                            // without it, and words it cuts in half are not words.
                            let mut under = ui.clone();
                            (under.help, under.history) = (false, None);
                            let base = screen(w, h, &s, &under)?;
                            let mut buf = shown.backend().buffer().clone();
                            for (cell, below) in
                                buf.content.iter_mut().zip(&base.backend().buffer().content)
                            {
                                if cell == below && cell.symbol() != " " {
                                    cell.set_symbol(&UNDER.to_string());
                                }
                            }
                            dash_util::text(&buf)
                        };
                        screens += 1;
                        for word in english_on(&text) {
                            bad.push(format!("{}: {word}", file.display()));
                        }
                    }
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(screens > 100);
    assert!(
        bad.is_empty(),
        "{} untranslated:\n{}",
        bad.len(),
        bad.join("\n")
    );
    Ok(())
}

#[test]
fn chinese_print_of_every_recording_shows_no_untranslated_english() -> TestResult {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join("recordings"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            files.push(path);
        }
    }
    files.sort();
    assert!(files.len() >= 9, "the recordings are missing: {files:?}");
    let mut bad = Vec::new();
    for file in &files {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_evscope"))
            .arg("replay")
            .arg(file)
            .args(["--print", "--lang", "zh"])
            .output()?;
        assert!(out.status.success(), "{}: {out:?}", file.display());
        let text = String::from_utf8(out.stdout)?;
        assert!(text.contains("注："), "{}: no note", file.display());
        // Each line's third column is the record's kind (`transition`, `note`): a name of the
        // trace format (docs/trace-format.md), printed as it is in both languages.
        let text: String = text
            .lines()
            .map(|line| match line.split_whitespace().nth(3) {
                Some(kind) if line.contains(" ms  #") => line.replacen(kind, "", 1) + "\n",
                _ => format!("{line}\n"),
            })
            .collect();
        for word in english_on(&text) {
            bad.push(format!("{}: {word}", file.display()));
        }
    }
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "{} untranslated:\n{}",
        bad.len(),
        bad.join("\n")
    );
    Ok(())
}

#[test]
fn the_english_check_catches_english() {
    assert_eq!(
        english_on("事件 3 未决 pending READ|PERSIST event_add bev1 read").len(),
        0
    );
    assert_eq!(english_on("缓冲区 in 0 B").len(), 0);
    assert_eq!(english_on("Events 7 live").len(), 2);
    assert_eq!(english_on("时间线 注： the server listens").len(), 3);
    assert_eq!(english_on("注： 读到 10 字节：\"message 1\"").len(), 0);
    assert_eq!(english_on("客户端读到 \"server → client #4│ 事件").len(), 0);
    assert_eq!(english_on("\"quoted\" words").len(), 1);
    assert_eq!(english_on("# recordings/echo.jsonl：后端 epoll").len(), 0);
    assert_eq!(english_on("调用了 even│").len(), 0);
    assert_eq!(english_on("调用了 even of").len(), 1);
    assert_eq!(english_on("演示 half-close：双方同时发送").len(), 0);
}
