//! Text from a trace never reaches a terminal with its control codes: a label, note, peer,
//! cause or program name holding ESC sequences (a window title, a cleared screen, OSC 52 writing
//! the clipboard), C0 or C1 controls, or bidi overrides is shown with visible escapes by
//! `replay --print`, `run --print`, `attach --print`, `validate`'s errors, `export`'s names
//! and the dashboard alike.

use crate::util::fake_link;
use crate::util::trace as trace_util;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use evscope::dash::model::{Lang, Session, Timeline};
use evscope::dash::theme::Theme;
use evscope::dash::ui::{Mode, Ui};
use evscope::dash::view::{self, Ctx};
use evscope::ev::{EventBase, What};
use evscope::trace::{escape_text, Body, Record};
use fake_link::{FakeLink, TOKEN};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use trace_util::{evscope_bin, header, header_line};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Sets the window title, then clears the screen.
const TITLE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
/// Writes "pwned" to the clipboard.
const OSC52: &str = "\u{1b}]52;c;cHduZWQ=\u{7}";
/// Reads as "exe.png" but is stored as "gnp.exe" reversed.
const BIDI: &str = "\u{202e}gnp.exe\u{202c}";

/// Every C0 and C1 control, DEL, and every bidi control, in one string.
fn every_control() -> String {
    (0u32..0x20)
        .chain(0x7f..0xa0)
        .chain([0x61c, 0x200e, 0x200f, 0x2028, 0x2029])
        .chain(0x202a..=0x202e)
        .chain(0x2066..=0x2069)
        .filter_map(char::from_u32)
        .collect()
}

/// The characters of `text` a terminal would act on (line ends aside).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c != '\n')
        .filter(|&c| {
            c.is_control()
                || matches!(
                    c,
                    '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
                )
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

/// Fails when `text` holds a raw control; checks that the hostile text was shown escaped.
fn assert_shown_escaped(text: &str, want: &[&str]) {
    let raw = raw_controls(text);
    assert!(
        raw.is_empty(),
        "raw controls {raw:?} reached the output:\n{text:?}"
    );
    for w in want {
        assert!(text.contains(w), "{w:?} missing from:\n{text}");
    }
}

/// A legal trace whose every text field is hostile.
fn hostile_records() -> Vec<Record> {
    let bodies = [
        Body::EventNew {
            ev: 1,
            fd: Some(5),
            what: What::READ,
            label: format!("reader {TITLE}"),
        },
        Body::Transition {
            ev: 1,
            fd: Some(5),
            from: evscope::ev::State::New,
            to: evscope::ev::State::Pending,
            cause: format!("event_add{OSC52}").into(),
        },
        Body::PollBegin {
            backend: "epoll\u{9b}2J".to_string().into(),
            timeout_us: None,
        },
        Body::Accept {
            listener: 0,
            fd: 9,
            peer: Some(format!("127.0.0.1:5555{BIDI}")),
        },
        Body::BevNew {
            bev: 1,
            fd: Some(9),
            label: format!("conn{BIDI}"),
        },
        Body::Note {
            text: format!("all of them: {}", every_control()),
        },
    ];
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| Record {
            seq: i as u64 + 1,
            t_us: i as u64 * 10,
            base: 0,
            body,
        })
        .collect()
}

fn hostile_lines() -> Result<Vec<String>, serde_json::Error> {
    let mut h = header();
    h.program = format!("prog{OSC52}");
    let mut lines = vec![serde_json::to_string(&h)?];
    for r in hostile_records() {
        lines.push(serde_json::to_string(&r)?);
    }
    Ok(lines)
}

fn hostile_trace(dir: &Path) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let path = dir.join("hostile.jsonl");
    std::fs::write(&path, hostile_lines()?.join("\n") + "\n")?;
    Ok(path)
}

fn evscope(args: &[&str]) -> std::io::Result<Output> {
    Command::new(evscope_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn replay_print_shows_every_control_escaped() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = hostile_trace(dir.path())?;
    let out = evscope(&["replay", path.to_str().ok_or("path")?, "--print"])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert_eq!(shown.lines().count(), 7, "one line per record: {shown}");
    assert_shown_escaped(
        &shown,
        &[
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J",
            "\\u{1b}]52;c;cHduZWQ=\\u{7}",
            "\\u{202e}gnp.exe\\u{202c}",
            "\\u{9b}2J",
            "\\u{0}\\u{1}",
            "\\n",
            "\\u{7f}\\u{80}",
            "\\u{2066}\\u{2067}\\u{2068}\\u{2069}",
        ],
    );
    Ok(())
}

#[test]
fn attach_print_shows_every_control_escaped() -> TestResult {
    let mut lines = hostile_lines()?;
    lines.push(r#"{"status":"error","message":"\u001b[2J"}"#.to_string());
    let link = FakeLink::serve(lines, Duration::ZERO)?;
    let out = Command::new(evscope_bin())
        .args(["attach", &link.addr.to_string(), "--print"])
        .env("EVSCOPE_TRACE_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .output()?;
    link.join()?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_shown_escaped(
        &text(&out.stdout),
        &[
            "\\u{1b}]52;c;cHduZWQ=\\u{7}",
            "\\u{1b}]0;pwned\\u{7}",
            "\\u{202e}",
            "the program says: \\u{1b}[2J",
        ],
    );
    Ok(())
}

/// Set in the copy of this test binary that `run_print_shows_every_control_escaped` runs
/// under `evscope run`: that copy is the observed program.
const ROLE: &str = "EVSCOPE_TEST_HOSTILE_PROGRAM";

/// The observed program: a base whose event label and note are hostile.
fn hostile_program() -> TestResult {
    let mut base = EventBase::new()?;
    let ev = base
        .labeled(&format!("timer {TITLE}"))
        .event_new(None, What::NONE, |_, _, _| {})?;
    base.note(&format!("note {OSC52} {BIDI} {}", every_control()));
    base.event_free(ev)?;
    Ok(())
}

#[test]
fn run_print_shows_every_control_escaped() -> TestResult {
    if std::env::var_os(ROLE).is_some() {
        return hostile_program();
    }
    let me = std::env::current_exe()?;
    let out = Command::new(evscope_bin())
        .args(["run", "--print", "--"])
        .arg(&me)
        .args([
            "--exact",
            "escape::run_print_shows_every_control_escaped",
            "--test-threads",
            "1",
            "--quiet",
        ])
        .env(ROLE, "1")
        .stdin(Stdio::null())
        .output()?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_shown_escaped(
        &text(&out.stdout),
        &[
            "timer \\u{1b}]0;pwned\\u{7}\\u{1b}[2J",
            "note \\u{1b}]52;c;cHduZWQ=\\u{7} \\u{202e}gnp.exe\\u{202c}",
            "\\u{0}\\u{1}",
            "\\u{9f}",
        ],
    );
    Ok(())
}

#[test]
fn validate_errors_show_the_file_name_and_trace_text_escaped() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(format!("bad{TITLE}.jsonl"));
    let lines = [
        header_line(),
        format!(
            r#"{{"seq":1,"t_us":0,"kind":"note","text":{}}}"#,
            serde_json::to_string(OSC52)?
        ),
        r#"{"seq":1,"t_us":0,"kind":"note","text":"again"}"#.to_string(),
    ];
    std::fs::write(&path, lines.join("\n") + "\n")?;
    let out = evscope(&["validate", path.to_str().ok_or("path")?])?;
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stdout);
    assert_shown_escaped(&said, &["bad\\u{1b}]0;pwned\\u{7}\\u{1b}[2J.jsonl:3:"]);

    let out = evscope(&["replay", path.to_str().ok_or("path")?, "--print"])?;
    assert_eq!(out.status.code(), Some(1));
    assert_shown_escaped(&text(&out.stderr), &["bad\\u{1b}]0;pwned"]);
    Ok(())
}

#[test]
fn export_names_are_escaped() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = hostile_trace(dir.path())?;
    let output = dir.path().join("out.json");
    let out = evscope(&[
        "export",
        path.to_str().ok_or("path")?,
        "-o",
        output.to_str().ok_or("path")?,
    ])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&output)?)?;
    let mut names = Vec::new();
    for e in doc["traceEvents"].as_array().ok_or("no traceEvents")? {
        names.push(e["name"].as_str().unwrap_or_default().to_string());
        if let Some(args) = e["args"].as_object() {
            for v in args.values().filter_map(|v| v.as_str()) {
                names.push(v.to_string());
            }
        }
    }
    let all = names.join("\n");
    assert_shown_escaped(
        &all,
        &[
            "note: all of them: \\u{0}",
            "\\u{1b}]52;c;cHduZWQ=\\u{7}",
            "127.0.0.1:5555\\u{202e}gnp.exe\\u{202c}",
        ],
    );
    Ok(())
}

#[test]
fn the_dashboard_shows_trace_text_escaped_on_every_panel() -> TestResult {
    let mut h = header();
    h.program = format!("prog{OSC52}");
    let timeline = Timeline::from_records(h, hostile_records());
    let mut session = Session::new(timeline);
    session.seek(session.timeline().len());
    let ui = Ui::new(Mode::Replay, &format!("hostile{BIDI}.jsonl"), Lang::En);
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let theme = Theme::default();
    term.draw(|f| {
        view::draw(
            f,
            Ctx {
                session: &session,
                ui: &ui,
                theme: &theme,
            },
        )
    })?;
    let buf = term.backend().buffer();
    let mut screen = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            screen.push_str(buf[(x, y)].symbol());
        }
        screen.push('\n');
    }
    assert_shown_escaped(&screen, &["\\u{202e}", "\\u{1b}"]);
    // The one function the dashboard shares with every other path.
    assert_eq!(escape_text(TITLE), "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J");
    Ok(())
}
