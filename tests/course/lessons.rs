//! The lessons are tied to what evscope really prints and accepts.
//!
//! - Every quote of the timeline is marked (tutorials/README.md, "Quoting the timeline") and
//!   appears in `evscope replay RECORDING --print` (`--print --lang zh` for the Chinese lessons)
//!   of the recording its marker names; timeline output quoted without a marker fails.
//! - Every command in a lesson's `sh` blocks runs (the non-interactive ones) or at least parses
//!   (the dashboard ones), by the rules in tutorials/README.md, "Commands in the lessons".
//!
//! Both run the built `evscope` binary, not a re-implementation of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const EVSCOPE: &str = env!("CARGO_BIN_EXE_evscope");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lesson files: `tutorials/en/*.md`, `tutorials/zh/*.md` and the index, with the
/// language their quotes are checked in.
fn lessons() -> Result<Vec<(PathBuf, &'static str)>, Box<dyn std::error::Error>> {
    let mut out = vec![(root().join("tutorials/README.md"), "en")];
    for lang in ["en", "zh"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tutorials").join(lang))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.retain(|f| f.extension().is_some_and(|e| e == "md"));
        files.sort();
        out.extend(files.into_iter().map(|f| (f, lang)));
    }
    Ok(out)
}

fn rel(file: &Path) -> String {
    file.strip_prefix(root())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Runs a command to its end, killing it if it outlives `limit` (a hung command is an error,
/// not a slow one: the limit is far above what any of these needs).
fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let id = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < limit {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // Our child's pid, still ours: it is reaped only after this. It may have just exited.
            let _ = evscope::ev::kill(id, libc::SIGKILL);
            true
        })
    };
    let out = child.wait_with_output().map_err(|e| e.to_string());
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let killed = watch.join().unwrap_or(false);
    if killed {
        return Err(format!("still running after {} s: killed", limit.as_secs()));
    }
    out
}

// ----- quotes of the timeline ---------------------------------------------------------------

/// One quote: where it is, what it says, and the recording it must come from.
#[derive(Debug)]
struct Quote {
    line: usize,
    text: String,
    recording: String,
}

/// What reading a lesson found: its marked quotes, and timeline output quoted without a marker.
#[derive(Debug, Default)]
struct Scan {
    quotes: Vec<Quote>,
    unmarked: Vec<(usize, String)>,
    errors: Vec<(usize, String)>,
}

const MARK: &str = "<!-- timeline ";

/// A line that has the timeline's own shape: `  1206.677 ms  #81     accept …`.
fn is_timed_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let time = words.next().is_some_and(|t| {
        t.parse::<f64>().is_ok()
            && t.contains('.')
            && t.chars().all(|c| c.is_ascii_digit() || c == '.')
    });
    time && words.next() == Some("ms")
        && words.next().is_some_and(|n| {
            n.len() > 1 && n.starts_with('#') && n[1..].chars().all(|c| c.is_ascii_digit())
        })
}

/// Words only the timeline's sentences use (the explainer's, in both languages).
const SHAPES: &[&str] = &[
    "became pending",
    "became active",
    "became non-pending",
    "is running its callback",
    "'s callback runs",
    "was freed:",
    "accepted a connection",
    "input buffer holds",
    "'s event callback is told",
    "callback returned after",
    "变为未决",
    "变为激活",
    "变为非未决",
    "进入回调执行中 (callback)",
    "已释放 (freed)",
    "的回调执行",
    "接受了来自",
    "输入缓冲区 ",
    "的事件回调收到",
];

/// An `event 3 "…"` / `事件 2v1 "…"` / `bufferevent 1 "…"` / `listener 0 …` start.
fn starts_like_a_record(text: &str) -> bool {
    let t = text.trim_start_matches(['…', ' ', '.']);
    for word in ["event ", "事件 ", "bufferevent ", "listener ", "监听器 "] {
        if let Some(rest) = t.strip_prefix(word) {
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == 'v')
                .collect();
            if !id.is_empty() && id.starts_with(|c: char| c.is_ascii_digit()) {
                let after = &rest[id.len()..];
                if after.starts_with(" \"")
                    || after.starts_with(" (")
                    || word.contains("listen")
                    || word == "监听器 "
                {
                    return true;
                }
            }
        }
    }
    t.starts_with("note: ") || t.starts_with("注：")
}

fn looks_like_timeline(text: &str) -> bool {
    let iteration = text.contains("loop iteration ") && text.contains(" begins")
        || text.contains("事件循环第") && text.contains("轮开始");
    iteration
        || is_timed_line(text)
        || starts_like_a_record(text)
        || SHAPES.iter().any(|s| text.contains(s))
}

/// The recording named after a marker: `recordings/NAME.jsonl`.
fn recording_of(spec: &str) -> Option<String> {
    let name = spec.trim();
    (name.starts_with("recordings/") && name.ends_with(".jsonl") && !name.contains(' '))
        .then(|| name.to_string())
}

/// Splits a paragraph into its code spans and the text between them.
fn code_spans(text: &str) -> (Vec<String>, String) {
    let mut spans = Vec::new();
    let mut rest = String::new();
    let mut parts = text.split('`');
    if let Some(first) = parts.next() {
        rest.push_str(first);
    }
    let mut inside = true;
    for part in parts {
        if inside {
            spans.push(part.to_string());
            rest.push('␣');
        } else {
            rest.push_str(part);
        }
        inside = !inside;
    }
    (spans, rest)
}

/// The strings a paragraph puts in quotation marks ("…" and “…”), outside code spans.
fn quoted_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut parts = text.split('"');
    parts.next();
    let mut inside = true;
    for part in parts {
        if inside {
            out.push(part.to_string());
        }
        inside = !inside;
    }
    let mut rest = text;
    while let Some(open) = rest.find('“') {
        let after = &rest[open + '“'.len_utf8()..];
        match after.find('”') {
            Some(close) => {
                out.push(after[..close].to_string());
                rest = &after[close + '”'.len_utf8()..];
            }
            None => {
                out.push(after.to_string());
                break;
            }
        }
    }
    out
}

/// Checks one paragraph of prose (its first line number, its text).
fn scan_paragraph(first: usize, text: &str, scan: &mut Scan) {
    // Marked inline quotes: `<!-- timeline recordings/X.jsonl -->` then a code span.
    let mut rest = String::new();
    let mut tail = text;
    while let Some(at) = tail.find(MARK) {
        rest.push_str(&tail[..at]);
        let after = &tail[at + MARK.len()..];
        let Some(end) = after.find("-->") else {
            scan.errors
                .push((first, "an unclosed timeline marker".into()));
            return;
        };
        let spec = &after[..end];
        let after = after[end + 3..].trim_start();
        let Some(recording) = recording_of(spec) else {
            scan.errors.push((
                first,
                format!("a timeline marker must name recordings/NAME.jsonl, not {spec:?}"),
            ));
            return;
        };
        let Some(span) = after.strip_prefix('`') else {
            scan.errors.push((
                first,
                "a timeline marker must be followed by the quote in backticks".into(),
            ));
            return;
        };
        let Some(close) = span.find('`') else {
            scan.errors
                .push((first, "an unclosed quote after a timeline marker".into()));
            return;
        };
        scan.quotes.push(Quote {
            line: first,
            text: span[..close]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            recording,
        });
        rest.push('␣');
        tail = &span[close + 1..];
    }
    rest.push_str(tail);
    // What is left must not quote the timeline.
    let (spans, prose) = code_spans(&rest);
    for s in spans.iter().chain(quoted_strings(&prose).iter()) {
        if looks_like_timeline(s) {
            scan.unmarked.push((first, s.clone()));
        }
    }
    let names_timeline = prose.to_lowercase().contains("timeline") || prose.contains("时间线");
    if names_timeline {
        for q in quoted_strings(&prose) {
            // A word or two in quotes ("等待", a box's name) is a label, not a quote.
            if !looks_like_timeline(&q) && q.trim().chars().count() >= 5 {
                scan.unmarked.push((first, q));
            }
        }
    }
}

/// Reads a lesson's Markdown: its marked quotes, and whatever quotes the timeline unmarked.
fn scan_lesson(markdown: &str) -> Scan {
    let mut scan = Scan::default();
    let mut fence: Option<(String, usize)> = None; // info string, line
    let mut ticks = 0; // the open fence's backticks
    let mut paragraph: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        let run = trimmed.chars().take_while(|c| *c == '`').count();
        let info = &trimmed[run..];
        let closes = fence.is_some() && run >= ticks && info.trim().is_empty();
        if run >= 3 && (fence.is_none() || closes) {
            if let Some((p_first, p)) = paragraph.take() {
                scan_paragraph(p_first, &p, &mut scan);
            }
            match &fence {
                Some(_) => fence = None,
                None => {
                    ticks = run;
                    let info = info.trim().to_string();
                    if let Some(spec) = info.strip_prefix("timeline") {
                        if recording_of(spec).is_none() {
                            scan.errors.push((
                                n,
                                format!(
                                    "```timeline must name recordings/NAME.jsonl, not {spec:?}"
                                ),
                            ));
                        }
                    }
                    fence = Some((info, n));
                }
            }
            continue;
        }
        if let Some((info, _)) = &fence {
            if let Some(spec) = info.strip_prefix("timeline") {
                if let (Some(recording), false) = (recording_of(spec), trimmed.is_empty()) {
                    scan.quotes.push(Quote {
                        line: n,
                        text: trimmed.trim_end().to_string(),
                        recording,
                    });
                }
            } else if info != "markdown" && is_timed_line(line)
                || (matches!(info.as_str(), "" | "text" | "console" | "output")
                    && looks_like_timeline(trimmed))
            {
                scan.unmarked.push((n, line.to_string()));
            }
            continue;
        }
        if is_timed_line(line) {
            scan.unmarked.push((n, line.to_string()));
        }
        // At the start of a line (or of a list item) a comment begins an HTML block, and the
        // quote after it would not render as code.
        let item = trimmed.trim_start_matches(|c: char| c.is_ascii_digit() || ".-*> ".contains(c));
        if item.starts_with(MARK) {
            scan.errors
                .push((n, "a timeline marker must not start its line".into()));
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('|') {
            if let Some((p_first, p)) = paragraph.take() {
                scan_paragraph(p_first, &p, &mut scan);
            }
            if trimmed.starts_with('|') || trimmed.starts_with('#') {
                scan_paragraph(n, trimmed, &mut scan);
            }
            continue;
        }
        match &mut paragraph {
            Some((_, p)) => {
                p.push(' ');
                p.push_str(trimmed);
            }
            None => paragraph = Some((n, trimmed.to_string())),
        }
    }
    if let Some((p_first, p)) = paragraph.take() {
        scan_paragraph(p_first, &p, &mut scan);
    }
    if let Some((_, n)) = fence {
        scan.errors.push((n, "a fence that never closes".into()));
    }
    scan
}

/// A lesson split in two, lines kept in place (so numbers hold): everything but the section on
/// its complete C program, and that section alone. What the C section says the program prints
/// is checked against the C file's `watch:` lines, which the C track (`tests/course/c_track.rs`)
/// checks against the program's real output.
fn split_c_section(markdown: &str) -> (String, String) {
    let mut inside = false;
    let (mut rest, mut c) = (String::new(), String::new());
    for line in markdown.lines() {
        if line.starts_with("## ") {
            inside = line.contains("complete C program") || line.contains("完整的 C 程序");
        }
        if inside {
            c.push_str(line);
        } else {
            rest.push_str(line);
        }
        rest.push('\n');
        c.push('\n');
    }
    (rest, c)
}

/// The `watch:` and `watch-count:` (for zh, `watch-zh:`, `watch-count-zh:`) fragments of the
/// lesson's C program,
/// `tutorials/c/NN-name.c`.
fn watch_lines(lesson: &Path, lang: &str) -> Result<Vec<String>, String> {
    let stem = lesson.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let c = root().join("tutorials/c").join(format!("{stem}.c"));
    let text = std::fs::read_to_string(&c).map_err(|e| format!("{}: {e}", c.display()))?;
    crate::c_track::checked_fragments(&text, lang == "zh")
        .map_err(|e| format!("{}: {e}", c.display()))
}

/// Whether `quote` is in one of `lines`; `…` in the quote stands for any text.
fn quote_in(quote: &str, lines: &[String]) -> bool {
    let pieces: Vec<&str> = quote.split('…').filter(|p| !p.trim().is_empty()).collect();
    lines.iter().any(|line| {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut at = 0;
        pieces.iter().all(|p| {
            let p = p.split_whitespace().collect::<Vec<_>>().join(" ");
            match line[at..].find(&p) {
                Some(i) => {
                    at += i + p.len();
                    true
                }
                None => false,
            }
        })
    })
}

/// `evscope replay RECORDING --print [--lang zh]`, line by line.
fn printed(recording: &str, lang: &str) -> Result<Vec<String>, String> {
    let mut cmd = Command::new(EVSCOPE);
    cmd.current_dir(root())
        .args(["replay", recording, "--print"]);
    if lang == "zh" {
        cmd.args(["--lang", "zh"]);
    }
    let out = run_bounded(&mut cmd, Duration::from_secs(120))?;
    if !out.status.success() {
        return Err(format!(
            "`evscope replay {recording} --print` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

#[test]
fn every_quote_of_the_timeline_is_marked_and_printed_by_its_recording_s_replay() -> TestResult {
    let mut cache: HashMap<(String, &str), Vec<String>> = HashMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (file, lang) in lessons()? {
        // The index documents the markers with examples; it quotes no timeline itself.
        if file.ends_with("tutorials/README.md") {
            continue;
        }
        let (rest, c_section) = split_c_section(&std::fs::read_to_string(&file)?);
        let mut scan = scan_lesson(&rest);
        let name = rel(&file);
        let c_quotes = scan_lesson(&c_section);
        // A marked quote in the C section names its recording and is checked as any other.
        scan.quotes.extend(c_quotes.quotes);
        scan.errors.extend(c_quotes.errors);
        if !c_quotes.unmarked.is_empty() {
            let watch = watch_lines(&file, lang)?;
            for (n, text) in c_quotes.unmarked {
                checked += 1;
                // The quote must lie within a fragment the C track finds in the real output.
                let quote = text.trim();
                if !watch
                    .iter()
                    .any(|w| quote_in(quote, std::slice::from_ref(w)))
                {
                    problems.push(format!(
                        "{name}:{n}: the C program's section quotes what none of its `watch:` \
                         lines checks:\n    {quote}"
                    ));
                }
            }
        }
        for (n, what) in &scan.errors {
            problems.push(format!("{name}:{n}: {what}"));
        }
        for (n, text) in &scan.unmarked {
            problems.push(format!(
                "{name}:{n}: quotes the timeline without a marker (tutorials/README.md, \"Quoting the timeline\"):\n    {}",
                text.trim()
            ));
        }
        for q in &scan.quotes {
            let key = (q.recording.clone(), lang);
            if !cache.contains_key(&key) {
                let lines = printed(&q.recording, lang)?;
                cache.insert(key.clone(), lines);
            }
            checked += 1;
            if !quote_in(&q.text, &cache[&key]) {
                let flag = if lang == "zh" { " --lang zh" } else { "" };
                problems.push(format!(
                    "{name}:{}: `evscope replay {} --print{flag}` prints no such line:\n    {}",
                    q.line, q.recording, q.text
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    assert!(checked >= 20, "only {checked} quotes of the timeline found");
    Ok(())
}

#[test]
fn the_quote_checker_finds_unmarked_quotes_and_checks_marked_ones() {
    let lesson = "\
Look for the timeline line \"the listener accepted fd … from …\" and a new row.

```text
  2807.071 ms  #175    buffer         bufferevent 1 \"bev1\" (fd 7): input buffer holds 0 bytes
```

The callback ends: `event 6 \"bev1 write\" (fd 7, WRITE|PERSIST) became non-pending: …`.

时间线显示 “bufferevent N 的事件回调收到 READING|EOF”。

Marked: <!-- timeline recordings/echo.jsonl --> `listener 0 accepted a connection from 127.0.0.1:… on fd …`.

```timeline recordings/echo.jsonl
bufferevent 1 \"bev1\" (fd …): input buffer holds 0 bytes, output buffer 0 bytes
```
";
    let scan = scan_lesson(lesson);
    let lines: Vec<usize> = scan.unmarked.iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, [1, 4, 7, 9], "{:?}", scan.unmarked);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let quotes: Vec<(usize, &str)> = scan
        .quotes
        .iter()
        .map(|q| (q.line, q.recording.as_str()))
        .collect();
    assert_eq!(
        quotes,
        [(11, "recordings/echo.jsonl"), (14, "recordings/echo.jsonl")]
    );
    let printed = vec![
        "  440.673 ms  #39     accept         listener 0 accepted a connection from 127.0.0.1:54708 on fd 14".to_string(),
    ];
    assert!(quote_in(&scan.quotes[0].text, &printed));
    assert!(!quote_in("listener 0 accepted fd … from …", &printed));
    assert!(
        !quote_in("on fd 14 … listener 0", &printed),
        "pieces must come in order"
    );
    // A marker must name a recording and be followed by the quote.
    let bad = scan_lesson(
        "a <!-- timeline echo --> `x`\n\na <!-- timeline recordings/echo.jsonl --> x\n\n\
         - <!-- timeline recordings/echo.jsonl --> `x`\n",
    );
    assert_eq!(bad.errors.len(), 3, "{:?}", bad.errors);
}

// ----- commands ------------------------------------------------------------------------------

/// A command of a lesson: where it is and what it says (comments removed).
#[derive(Debug, Clone)]
struct Cmd {
    file: PathBuf,
    line: usize,
    text: String,
}

/// The commands in a lesson's `sh` / `bash` / `console` blocks.
fn commands(file: &Path, markdown: &str) -> Vec<Cmd> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut in_fence = false;
    let mut ticks = 0;
    for (i, line) in markdown.lines().enumerate() {
        // A block quoted with `>` (a callout) holds commands too.
        let trimmed = line.trim();
        let trimmed = trimmed.strip_prefix('>').map_or(trimmed, str::trim);
        let run = trimmed.chars().take_while(|c| *c == '`').count();
        let info = trimmed[run..].trim();
        if run >= 3 && in_fence && run >= ticks && info.is_empty() {
            in_fence = false;
            in_sh = false;
            continue;
        }
        if run >= 3 && !in_fence {
            in_fence = true;
            ticks = run;
            in_sh = matches!(info, "sh" | "bash" | "console" | "shell");
            continue;
        }
        if !in_sh || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let text = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
        // A comment: ` #` after the command, outside quotes (no lesson quotes a `#`).
        let text = match text.find(" #") {
            Some(at) if !text[..at].contains('\'') => &text[..at],
            _ => text,
        };
        out.push(Cmd {
            file: file.to_path_buf(),
            line: i + 1,
            text: text.trim().to_string(),
        });
    }
    out
}

/// How a lesson's command is checked (tutorials/README.md, "Commands in the lessons").
#[derive(Debug, PartialEq)]
enum Kind {
    /// evscope, not interactive: run it, it must succeed.
    Run(Vec<String>),
    /// evscope's dashboard (or a program that runs until stopped): its arguments must parse.
    Parse(Vec<String>),
    /// Compile a C file with gcc.
    Compile(Vec<String>),
    /// Outside evscope: a build or install step, a client in a second terminal, or a program of
    /// the student's own. Not run; the reason says which.
    Outside(&'static str),
}

/// The evscope arguments of a command that runs evscope, if it does.
fn evscope_args(text: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let rest: &[&str] = match words.as_slice() {
        ["cargo", "run", "--release"] => &[],
        ["cargo", "run", "--release", "--", rest @ ..] => rest,
        ["evscope", rest @ ..] | ["./target/release/evscope", rest @ ..] => rest,
        _ => return None,
    };
    Some(rest.iter().map(|s| s.to_string()).collect())
}

fn classify(text: &str) -> Result<Kind, String> {
    if let Some(mut args) = evscope_args(text) {
        if text.contains(['\'', '"', '|', '<', '$', ';', '&']) {
            return Err("an evscope command with shell syntax the test cannot follow".into());
        }
        // `> file`: the output goes to a file; the test captures it instead.
        if let Some(at) = args.iter().position(|a| a == ">") {
            args.truncate(at);
        }
        let sub = args.first().map(String::as_str).unwrap_or("");
        let has = |flag: &str| args.iter().take_while(|a| *a != "--").any(|a| a == flag);
        return Ok(match sub {
            "demos" | "validate" | "export" => Kind::Run(args),
            "replay" if has("--print") => Kind::Run(args),
            "demo" if has("--headless") => Kind::Run(args),
            // The dashboard; `run` and `attach` also need a program that runs until stopped.
            "" | "demo" | "replay" | "quiz" | "attach" | "run" => Kind::Parse(args),
            other => return Err(format!("evscope has no rule here for `{other}`")),
        });
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    Ok(match words.as_slice() {
        ["gcc", ..] if !text.contains("$(") => {
            Kind::Compile(words.iter().map(|s| s.to_string()).collect())
        }
        ["nc", ..] | ["printf", ..] | ["exec", ..] | ["kill", ..] => {
            Outside("a client or a signal, from a second terminal while a demo or server runs")
        }
        ["cargo", "build", ..] | ["cargo", "test", ..] | ["cargo", "install", ..] => {
            Outside("builds evscope itself (the test suite is built already)")
        }
        ["cargo", "new", ..] | ["cargo", "run"] | ["cd", ..] => Outside("the student's own crate"),
        ["tar", ..] | ["./configure", ..] | ["make", ..] | ["sudo", ..] | ["export", ..] => {
            Outside("building and installing libevent from source")
        }
        ["pkg-config", ..] => {
            Outside("asks for libevent's build flags; the plain -levent line beside it is compiled")
        }
        ["gcc", ..] if text.contains("$(") => Outside(
            "compiles with pkg-config's flags; the plain -levent line beside it is compiled",
        ),
        ["mkdir", ..] | ["for", ..] | ["unset", ..] | ["ln", ..] => {
            Outside("pointing the loader at a library by hand (lesson 18's LD_LIBRARY_PATH steps)")
        }
        [first, ..] if first.starts_with("EVENT_") => {
            Outside("a C program under one of libevent's environment variables (EVENT_NOEPOLL…)")
        }
        [first, ..] if first.starts_with("EVSCOPE_TRACE=") || first.starts_with("./") => {
            Outside("a program (a server) that runs until stopped")
        }
        _ => return Err(
            "no rule for this command: add one in tests/course/lessons.rs and tutorials/README.md"
                .into(),
        ),
    })
}

use Kind::Outside;

/// A folder to run lesson commands in: the evscope folder's `recordings/` and `tutorials/`, and
/// stand-ins for the files lessons make themselves (`trace.jsonl`, `memcached.jsonl`).
fn scratch() -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    for d in ["recordings", "tutorials"] {
        std::os::unix::fs::symlink(root().join(d), dir.path().join(d))?;
    }
    for made in ["trace.jsonl", "memcached.jsonl"] {
        std::fs::copy(root().join("recordings/echo.jsonl"), dir.path().join(made))?;
    }
    Ok(dir)
}

fn check(kind: &Kind, dir: &Path) -> Result<(), String> {
    let fail = |out: &Output| {
        format!(
            "exit {:?}: {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    match kind {
        Kind::Run(args) => {
            let mut args = args.clone();
            // A headless demo runs for a second at most here.
            if let Some(at) = args.iter().position(|a| a == "--duration") {
                if let Some(v) = args.get_mut(at + 1) {
                    *v = "1".into();
                }
            }
            let out = run_bounded(
                Command::new(EVSCOPE).current_dir(dir).args(&args),
                Duration::from_secs(120),
            )?;
            if !out.status.success() || out.stdout.is_empty() && args[0] != "export" {
                return Err(fail(&out));
            }
            Ok(())
        }
        Kind::Parse(args) => {
            // `--help` after the options: clap checks every option before it and exits 0.
            let mut args = args.clone();
            let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
            args.insert(at, "--help".into());
            let out = run_bounded(
                Command::new(EVSCOPE).current_dir(dir).args(&args),
                Duration::from_secs(60),
            )?;
            if !out.status.success() {
                return Err(fail(&out));
            }
            // A demo's name is checked by the demo, not by the parser.
            if args.first().map(String::as_str) == Some("demo") {
                if let Some(name) = args.get(1).filter(|a| !a.starts_with('-')) {
                    if evscope::demos::find(name).is_none() {
                        return Err(format!("there is no demo {name:?}"));
                    }
                }
            }
            Ok(())
        }
        Kind::Compile(words) => {
            let source = words
                .iter()
                .find(|w| w.ends_with(".c"))
                .ok_or("gcc without a .c file")?;
            let found = [root().join(source), root().join("tutorials/c").join(source)]
                .into_iter()
                .find(|p| p.exists());
            let Some(found) = found else {
                // The student's own file (lesson 2's hello.c): nothing to compile here.
                return Ok(());
            };
            let args: Vec<String> = words[1..]
                .iter()
                .map(|w| {
                    if w == source {
                        found.display().to_string()
                    } else {
                        w.clone()
                    }
                })
                .collect();
            let out = run_bounded(
                Command::new("gcc").current_dir(dir).args(&args),
                Duration::from_secs(120),
            )?;
            if !out.status.success() {
                return Err(fail(&out));
            }
            Ok(())
        }
        Kind::Outside(_) => Ok(()),
    }
}

#[test]
fn every_command_in_a_lesson_runs_or_parses() -> TestResult {
    let dir = scratch()?;
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut order = Vec::new();
    let mut problems = Vec::new();
    let mut ran = 0;
    for (file, _) in lessons()? {
        for c in commands(&file, &std::fs::read_to_string(&file)?) {
            let at = format!("{}:{}", rel(&c.file), c.line);
            if !seen.contains_key(&c.text) {
                order.push(c.clone());
            }
            seen.entry(c.text.clone()).or_default().push(at);
        }
    }
    for c in &order {
        let at = &seen[&c.text];
        let kind = match classify(&c.text) {
            Ok(k) => k,
            Err(e) => {
                problems.push(format!("{}: `{}`: {e}", at.join(", "), c.text));
                continue;
            }
        };
        if matches!(kind, Kind::Run(_)) {
            ran += 1;
        }
        if let Err(e) = check(&kind, dir.path()) {
            problems.push(format!("{}: `{}`: {e}", at.join(", "), c.text));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    assert!(ran >= 10, "only {ran} commands ran");
    Ok(())
}

#[test]
fn commands_are_sorted_into_run_parse_and_outside() {
    let run = |s: &[&str]| Kind::Run(s.iter().map(|x| x.to_string()).collect());
    let parse = |s: &[&str]| Kind::Parse(s.iter().map(|x| x.to_string()).collect());
    assert_eq!(
        classify("cargo run --release -- replay recordings/echo.jsonl --print --lang zh"),
        Ok(run(&[
            "replay",
            "recordings/echo.jsonl",
            "--print",
            "--lang",
            "zh"
        ]))
    );
    assert_eq!(
        classify("cargo run --release -- replay recordings/echo.jsonl"),
        Ok(parse(&["replay", "recordings/echo.jsonl"]))
    );
    assert_eq!(
        classify("./target/release/evscope run --print -- memcached -p 1 > m.txt"),
        Ok(parse(&["run", "--print", "--", "memcached", "-p", "1"]))
    );
    assert_eq!(classify("cargo run --release"), Ok(parse(&[])));
    assert!(matches!(classify("nc 127.0.0.1 9995"), Ok(Outside(_))));
    assert!(
        classify("rm -rf recordings").is_err(),
        "an unknown command has no rule"
    );
    assert!(classify("cargo run --release -- frobnicate").is_err());
    // A dashboard command with a bad option fails its parse check; a missing recording fails a run.
    let dir = scratch().expect("scratch folder");
    assert!(check(&parse(&["demo", "echo", "--backend", "nosuch"]), dir.path()).is_err());
    assert!(check(&parse(&["demo", "nosuch"]), dir.path()).is_err());
    assert!(check(
        &parse(&["demo", "echo", "--step", "--lang", "zh"]),
        dir.path()
    )
    .is_ok());
    assert!(check(
        &run(&["replay", "recordings/nosuch.jsonl", "--print"]),
        dir.path()
    )
    .is_err());
}
