//! The program's end of the live link never panics and never stalls, whatever a viewer sends:
//! random bytes, truncated JSON, huge numbers, unknown commands, very long lines — as the first
//! (token) line, and as control lines once let in. A bad token line gets one refusal and the
//! end of the link; a bad control line gets an error status; a line too long gets an error
//! status and the end of the link; the observed loop runs on after every viewer.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use evscope::trace::link::MAX_CONTROL_LINE;
use evscope::trace::{Control, LinkToken, Status};
use proptest::prelude::*;

use crate::util::{lines_auth_line, TickingProgram};

/// Generous: how long to wait for something that must happen.
const SOON: Duration = Duration::from_secs(10);

/// A loop with a 20 ms timer traced to a TCP link, and its owner's token; it runs until the test
/// binary ends.
struct Program {
    link: TickingProgram,
    token: LinkToken,
}

impl Program {
    fn start() -> Program {
        let token = LinkToken::random().expect("a random token");
        let follow = LinkToken::random().expect("a random token");
        let link = TickingProgram::start(&token, &follow, Duration::from_millis(20))
            .expect("a traced program");
        Program { link, token }
    }

    /// The loop moves on (by two ticks).
    fn runs_on(&self) -> Result<(), String> {
        self.link.runs_on().map_err(|e| e.to_string())
    }

    /// A connection that showed the owner's token and was let in; the program's lines come on
    /// the channel (the header, records and statuses), until it closes. (The viewer of the case
    /// before has left: the loop ran on since, so this one owns the link.)
    fn viewer(&self) -> Result<(TcpStream, mpsc::Receiver<String>), String> {
        let mut s = TcpStream::connect(self.link.addr).map_err(|e| e.to_string())?;
        // Whole lines: this test reads the stream as text.
        s.write_all(&lines_auth_line(&self.token))
            .map_err(|e| e.to_string())?;
        let lines = read_lines(&s)?;
        match lines.recv_timeout(SOON) {
            Ok(first) if first.starts_with("{\"format\"") => Ok((s, lines)),
            other => Err(format!("not let in: {other:?}")),
        }
    }
}

/// Every line the program sends on `s`, on a channel, from a thread of its own.
fn read_lines(s: &TcpStream) -> Result<mpsc::Receiver<String>, String> {
    let input = s.try_clone().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(input).split(b'\n').map_while(Result::ok) {
            if tx
                .send(String::from_utf8_lossy(&line).into_owned())
                .is_err()
            {
                return;
            }
        }
    });
    Ok(rx)
}

/// Panics on the link's own threads (named `evscope-…`), counted by a hook installed once.
fn link_panics() -> u64 {
    static PANICS: AtomicU64 = AtomicU64::new(0);
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if thread::current()
                .name()
                .is_some_and(|n| n.starts_with("evscope-"))
            {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
    PANICS.load(Ordering::SeqCst)
}

/// Bytes a viewer sends, shown short when a case fails.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = String::from_utf8_lossy(&self.0);
        let short: String = text.chars().take(60).collect();
        write!(f, "{short:?} ({} bytes)", self.0.len())
    }
}

fn commands() -> Vec<&'static str> {
    vec![
        "{\"cmd\":\"pause\"}",
        "{\"cmd\":\"continue\"}",
        "{\"cmd\":\"step\"}",
        "{\"cmd\":\"step\",\"n\":3}",
        "{\"cmd\":\"break\",\"ev\":0}",
        "{\"cmd\":\"unbreak\",\"ev\":0}",
        "{\"cmd\":\"next_iteration\"}",
        "{\"auth\":\"0123456789abcdef0123\"}",
    ]
}

/// One line a viewer might send (without its newline, though random bytes may hold some).
fn line() -> impl Strategy<Value = Bytes> {
    raw_line().prop_map(Bytes)
}

fn raw_line() -> impl Strategy<Value = Vec<u8>> {
    let numbers = prop::sample::select(vec![
        "1e400",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "1.5",
        "null",
        "\"3\"",
        "99999999999999999999999999999999",
        "[]",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (
            prop::sample::select(commands()),
            any::<prop::sample::Index>()
        )
            .prop_map(|(c, at)| {
                // A real command, maybe cut short.
                let cut = at.index(c.len() + 1);
                c.as_bytes()[..cut].to_vec()
            }),
        (
            prop::sample::select(vec!["step", "break", "unbreak"]),
            numbers
        )
            .prop_map(|(cmd, n)| {
                let field = if cmd == "step" { "n" } else { "ev" };
                format!("{{\"cmd\":\"{cmd}\",\"{field}\":{n}}}").into_bytes()
            }),
        "[a-zA-Z_\\u{0}-\\u{1f}é]{0,24}".prop_map(|c| format!("{{\"cmd\":{c:?}}}").into_bytes()),
        (MAX_CONTROL_LINE - 8..MAX_CONTROL_LINE * 3, any::<u8>()).prop_map(|(n, b)| vec![
            if b == b'\n' {
                b'x'
            } else {
                b
            };
            n
        ]),
    ]
}

/// What the program makes of `bytes`, split into lines as it reads them: the number of lines
/// it answers with an error status before the first too-long line, and whether there is one.
fn expected(bytes: &[u8]) -> (usize, bool) {
    let mut errors = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if line.len() > MAX_CONTROL_LINE {
            return (errors, true);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if serde_json::from_slice::<Control>(line).is_err() {
            errors += 1;
        }
    }
    (errors, false)
}

fn tokens_program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(Program::start)
}

fn controls_program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(Program::start)
}

/// Sends `lines` as the first thing on a new connection: it is refused with one line and the
/// end of the link, nothing else; the loop runs on.
fn check_first_line(first: &[u8]) -> Result<(), String> {
    let p = tokens_program();
    let mut s = TcpStream::connect(p.link.addr).map_err(|e| e.to_string())?;
    let lines = read_lines(&s)?;
    let mut sent = first.to_vec();
    sent.extend_from_slice(b"\n{\"cmd\":\"pause\"}\n");
    // The program may close before reading it all.
    let _ = s.write_all(&sent);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut got = Vec::new();
    loop {
        match lines.recv_timeout(SOON) {
            Ok(l) => got.push(l),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("the link neither answered nor closed: {got:?}"))
            }
        }
    }
    if got.len() != 1 {
        return Err(format!("expected one refusal, got {got:?}"));
    }
    match serde_json::from_str::<Status>(&got[0]) {
        Ok(Status::Error { message }) if message.starts_with("refused: ") => {}
        _ => return Err(format!("not a refusal: {:?}", got[0])),
    }
    p.runs_on()
}

/// Lets a viewer in and sends `lines`, then a last bad line naming `marker`: each bad line is
/// answered with an error status, in order, up to that marker — or up to a line too long,
/// answered with an error and the end of the link. The loop runs on once the viewer leaves.
fn check_controls(lines: &[Bytes], marker: u64) -> Result<(), String> {
    let p = controls_program();
    let (mut s, got) = p.viewer()?;
    let lines: Vec<&[u8]> = lines.iter().map(|b| b.0.as_slice()).collect();
    let mut sent = lines.join(&b'\n');
    let sentinel = format!("fuzz_case_{marker}");
    sent.extend_from_slice(format!("\n{{\"cmd\":\"{sentinel}\"}}\n").as_bytes());
    let (errors, too_long) = expected(&sent);
    let writer = {
        let mut w = s.try_clone().map_err(|e| e.to_string())?;
        thread::spawn(move || {
            let _ = w.write_all(&sent);
        })
    };
    let mut seen = Vec::new();
    let deadline = Instant::now() + SOON;
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match got.recv_timeout(left) {
            Ok(line) if line.starts_with("{\"status\"") => {
                match serde_json::from_str::<Status>(&line) {
                    Ok(Status::Error { message }) => {
                        if message.contains(&sentinel) {
                            break "answered";
                        }
                        if message.contains("longer than") {
                            seen.push(message);
                            break "too long";
                        }
                        seen.push(message);
                    }
                    Ok(_) => {}
                    Err(e) => return Err(format!("a status that does not parse: {e}: {line}")),
                }
            }
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break "closed",
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("no answer to the marker after {seen:?}"))
            }
        }
    };
    match (outcome, too_long) {
        ("answered", false) => {
            // The marker's own error is not among `seen`.
            if seen.len() + 1 != errors {
                return Err(format!(
                    "{} bad lines, {} errors: {seen:?}",
                    errors - 1,
                    seen.len()
                ));
            }
        }
        ("too long", true) => {
            if seen.len() != errors + 1 {
                return Err(format!("{errors} bad lines before the long one: {seen:?}"));
            }
            // Then the program closes the link.
            let end = Instant::now() + SOON;
            loop {
                match got.recv_timeout(end.saturating_duration_since(Instant::now())) {
                    Ok(_) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        return Err("the link stayed open after a line too long".into())
                    }
                }
            }
        }
        (what, _) => {
            return Err(format!(
                "{what}, with a line too long: {too_long}; errors {seen:?}"
            ))
        }
    }
    // The viewer leaves (the program may have closed the link already).
    let _ = s.flush();
    let _ = s.shutdown(std::net::Shutdown::Both);
    writer.join().map_err(|_| "the writer panicked")?;
    p.runs_on()
}

/// Cases per property: 64, or 1 000 with `EVSCOPE_SOAK` (each case is a connection and a few
/// ticks of the loop, so `PROPTEST_CASES` is not followed).
fn cases() -> u32 {
    if std::env::var("EVSCOPE_SOAK").is_ok_and(|v| !v.is_empty() && v != "0") {
        1000
    } else {
        64
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_first_line_but_the_token_is_refused_without_a_record(
        first in prop_oneof![
            line(),
            "[0-9a-f]{64}".prop_map(|t| Bytes(format!("{{\"auth\":\"{t}\"}}").into_bytes())),
        ]
    ) {
        let panics = link_panics();
        prop_assert_eq!(check_first_line(&first.0), Ok(()));
        prop_assert_eq!(link_panics(), panics, "a link thread panicked");
    }

    #[test]
    fn any_control_lines_get_error_replies_or_a_disconnect_and_the_loop_runs_on(
        lines in prop::collection::vec(line(), 0..12),
        marker in any::<u64>(),
    ) {
        let panics = link_panics();
        prop_assert_eq!(check_controls(&lines, marker), Ok(()));
        prop_assert_eq!(link_panics(), panics, "a link thread panicked");
    }
}
