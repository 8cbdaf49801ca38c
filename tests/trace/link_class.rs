//! A class of viewers on one live program: 30 viewers on loopback — the owner, one more viewer
//! with the owner's token, and 28 with the follower token, joining one after another while the
//! program runs. Each follower gets every record, in order, the late ones from the history kept
//! for them; a follower's pause or continue is refused (with a message, and the loop's state)
//! and changes nothing, while the owner's pause holds the loop and its step releases one record
//! to everyone.
//!
//! Every third follower asks for whole JSON lines instead of zstd frames (as a viewer that does
//! not know frames would): the program then sends each batch in both forms, and such a viewer
//! catches up on the history (kept as frames) in whole lines; it ends with the same records.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use evscope::trace::{Body, Control, LinkClient, LinkMsg, LinkToken, Status, Stream};

use crate::util::{lines_auth_line, TickingProgram};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Generous: how long to wait for something that must happen.
const SOON: Duration = Duration::from_secs(20);
/// Viewers in the class, the owner included.
const VIEWERS: usize = 30;

/// The class's program: a 2 ms timer.
fn start(owner: &LinkToken, follow: &LinkToken) -> Res<TickingProgram> {
    TickingProgram::start(owner, follow, Duration::from_millis(2))
}

/// A viewer whose messages arrive on a channel, read by a thread of its own.
struct Viewer {
    name: String,
    client_sender: evscope::trace::ControlSender,
    msgs: mpsc::Receiver<LinkMsg>,
    reader: thread::JoinHandle<Result<(), String>>,
}

impl Viewer {
    fn join(addr: SocketAddr, token: &LinkToken, name: String) -> Res<Viewer> {
        Viewer::reading(LinkClient::attach_with_token(addr, false, token)?, name)
    }

    /// A viewer that asks for whole lines instead of frames.
    fn join_in_lines(addr: SocketAddr, token: &LinkToken, name: String) -> Res<Viewer> {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(addr)?;
        s.write_all(&lines_auth_line(token))?;
        Viewer::reading(LinkClient::new(Stream::Tcp(s))?, name)
    }

    fn reading(mut client: LinkClient, name: String) -> Res<Viewer> {
        let client_sender = client.sender();
        let (tx, msgs) = mpsc::channel();
        let reader = thread::spawn(move || loop {
            match client.recv() {
                Ok(Some(m)) => {
                    if tx.send(m).is_err() {
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
        });
        Ok(Viewer {
            name,
            client_sender,
            msgs,
            reader,
        })
    }

    fn send(&self, ctl: &Control) -> Res<()> {
        Ok(self.client_sender.send(ctl)?)
    }

    /// Messages up to (and with) the first one `want` accepts; fails after `SOON`.
    fn until(&self, what: &str, want: impl Fn(&LinkMsg) -> bool) -> Res<Vec<LinkMsg>> {
        let deadline = Instant::now() + SOON;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.msgs.recv_timeout(left) {
                Ok(m) => {
                    let done = want(&m);
                    got.push(m);
                    if done {
                        return Ok(got);
                    }
                }
                Err(_) => {
                    return Err(
                        format!("{}: no {what} (after {} messages)", self.name, got.len()).into(),
                    )
                }
            }
        }
    }
}

fn is_status(m: &LinkMsg, want: impl Fn(&Status) -> bool) -> bool {
    matches!(m, LinkMsg::Status(s) if want(s))
}

fn paused(s: &Status) -> bool {
    matches!(s, Status::Paused { .. })
}

#[test]
fn thirty_viewers_follow_one_program_and_only_the_owner_holds_it() -> Res<()> {
    let owner_token = LinkToken::random()?;
    let follow_token = LinkToken::random()?;
    let program = start(&owner_token, &follow_token)?;
    let owner = Viewer::join(program.addr, &owner_token, "the owner".into())?;
    let mut seen: Vec<Vec<LinkMsg>> =
        vec![owner.until("header", |m| matches!(m, LinkMsg::Header(_)))?];

    // The class joins one after another while the program runs: the second viewer shows the
    // owner's token too (and follows, as the owner is there), the rest the follower token.
    let mut followers = Vec::new();
    for i in 1..VIEWERS {
        let token = if i == 1 { &owner_token } else { &follow_token };
        let v = if i % 3 == 2 {
            Viewer::join_in_lines(program.addr, token, format!("follower {i} (lines)"))?
        } else {
            Viewer::join(program.addr, token, format!("follower {i}"))?
        };
        seen.push(v.until("header", |m| matches!(m, LinkMsg::Header(_)))?);
        followers.push(v);
        program.runs_on()?;
    }

    // A follower's pause is refused, with a message and the loop's state; the loop runs on.
    for (i, f) in followers.iter().enumerate() {
        f.send(&Control::Pause)?;
        let got = f.until("refusal", |m| {
            is_status(m, |s| matches!(s, Status::Error { .. }))
        })?;
        match got.last() {
            Some(LinkMsg::Status(Status::Error { message })) => {
                assert!(
                    message.starts_with("pause refused") && message.contains("read-only"),
                    "{}: {message}",
                    f.name
                );
            }
            other => return Err(format!("{}: {other:?}", f.name).into()),
        }
        seen[i + 1].extend(got);
        let state = f.until("state after the refusal", |m| {
            matches!(m, LinkMsg::Status(_))
        })?;
        assert!(
            is_status(state.last().ok_or("none")?, |s| *s == Status::Running),
            "{}: {:?}",
            f.name,
            state.last()
        );
        seen[i + 1].extend(state);
    }
    program.runs_on()?;

    // The owner's pause holds the loop, and every viewer is told.
    owner.send(&Control::Pause)?;
    seen[0].extend(owner.until("paused", |m| is_status(m, paused))?);
    for (i, f) in followers.iter().enumerate() {
        seen[i + 1].extend(f.until("paused", |m| is_status(m, paused))?);
    }
    // Whatever tick was in flight has ended; then nothing moves.
    thread::sleep(Duration::from_millis(50));
    let held = program.ticks();
    // A follower's continue (and step) is refused while the owner holds the loop: the loop stays
    // held, and the follower is told it is paused.
    for (i, f) in followers.iter().enumerate() {
        let ctl = if i % 2 == 0 {
            Control::Continue
        } else {
            Control::Step { n: 1 }
        };
        f.send(&ctl)?;
        let got = f.until("refusal", |m| {
            is_status(m, |s| matches!(s, Status::Error { .. }))
        })?;
        seen[i + 1].extend(got);
        let state = f.until("state", |m| matches!(m, LinkMsg::Status(_)))?;
        assert!(
            is_status(state.last().ok_or("none")?, paused),
            "{}: {:?}",
            f.name,
            state.last()
        );
        seen[i + 1].extend(state);
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        program.ticks(),
        held,
        "the loop moved while the owner held it"
    );

    // The owner's step releases one record, which every viewer gets.
    let before = |msgs: &[LinkMsg]| {
        msgs.iter()
            .filter_map(|m| match m {
                LinkMsg::Record(r) => Some(r.seq),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    };
    owner.send(&Control::Step { n: 1 })?;
    let last_seen = before(&seen[0]);
    seen[0].extend(owner.until(
        "the stepped record",
        |m| matches!(m, LinkMsg::Record(r) if r.seq > last_seen),
    )?);
    for (i, f) in followers.iter().enumerate() {
        let last_seen = before(&seen[i + 1]);
        seen[i + 1].extend(f.until(
            "the stepped record",
            |m| matches!(m, LinkMsg::Record(r) if r.seq > last_seen),
        )?);
    }

    // The owner lets go: the loop runs, and everyone is told.
    owner.send(&Control::Continue)?;
    for (i, v) in std::iter::once(&owner).chain(&followers).enumerate() {
        seen[i].extend(v.until("running", |m| is_status(m, |s| *s == Status::Running))?);
    }
    program.runs_on()?;

    // The program ends: every viewer gets the rest, then the end of its stream.
    program.end()?;
    let viewers: Vec<Viewer> = std::iter::once(owner).chain(followers).collect();
    for (i, v) in viewers.into_iter().enumerate() {
        seen[i].extend(v.msgs.iter());
        v.reader
            .join()
            .map_err(|_| "a viewer's thread panicked")?
            .map_err(|e| format!("{}: {e}", v.name))?;
    }

    // Every viewer got the same records, in order, from the first (the late ones from the
    // history), nothing skipped.
    let records = |msgs: &[LinkMsg]| -> Vec<evscope::trace::Record> {
        msgs.iter()
            .filter_map(|m| match m {
                LinkMsg::Record(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    };
    let owners = records(&seen[0]);
    assert!(owners.len() > VIEWERS, "{} records", owners.len());
    for (i, r) in owners.iter().enumerate() {
        assert_eq!(r.seq, i as u64 + 1, "the owner's records are in order");
        assert!(!matches!(r.body, Body::Dropped { .. }), "skipped: {r:?}");
    }
    for (i, msgs) in seen.iter().enumerate().skip(1) {
        let got = records(msgs);
        assert_eq!(got.len(), owners.len(), "viewer {i}: how many records");
        assert!(got == owners, "viewer {i} got other records than the owner");
    }
    Ok(())
}

#[test]
fn when_the_owner_leaves_a_held_loop_the_class_sees_it_run_and_the_next_owner_takes_over() -> Res<()>
{
    let owner_token = LinkToken::random()?;
    let follow_token = LinkToken::random()?;
    let program = start(&owner_token, &follow_token)?;
    let owner = Viewer::join(program.addr, &owner_token, "the owner".into())?;
    owner.until("header", |m| matches!(m, LinkMsg::Header(_)))?;
    let follower = Viewer::join(program.addr, &follow_token, "a follower".into())?;
    follower.until("header", |m| matches!(m, LinkMsg::Header(_)))?;
    // Shows the owner's token while the owner is there: follows, for now.
    let second = Viewer::join(program.addr, &owner_token, "the second".into())?;
    second.until("header", |m| matches!(m, LinkMsg::Header(_)))?;

    owner.send(&Control::Pause)?;
    for v in [&owner, &follower, &second] {
        v.until("paused", |m| is_status(m, paused))?;
    }
    // The owner goes: the loop runs, and those still here are told.
    owner.client_sender.close();
    for v in [&follower, &second] {
        v.until("running", |m| is_status(m, |s| *s == Status::Running))?;
    }
    program.runs_on()?;

    // The viewer that showed the owner's token owns the link now: its pause holds the loop;
    // the follower's continue is still refused.
    second.send(&Control::Pause)?;
    second.until("paused", |m| is_status(m, paused))?;
    follower.until("paused", |m| is_status(m, paused))?;
    follower.send(&Control::Continue)?;
    let refused = follower.until("refusal", |m| {
        is_status(m, |s| matches!(s, Status::Error { .. }))
    })?;
    assert!(
        matches!(refused.last(), Some(LinkMsg::Status(Status::Error { message })) if message.starts_with("continue refused")),
        "{refused:?}"
    );
    thread::sleep(Duration::from_millis(50));
    let held = program.ticks();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        program.ticks(),
        held,
        "the loop moved while the new owner held it"
    );
    second.send(&Control::Continue)?;
    program.runs_on()?;
    program.end()?;
    Ok(())
}

/// The first `n` bytes of what the program sends on `s` after the header line: frame lines and
/// their bytes, or lines.
fn stream_after_header(s: std::net::TcpStream, n: usize) -> Res<Vec<u8>> {
    use std::io::{BufRead, Read};
    s.set_read_timeout(Some(SOON))?;
    let mut input = std::io::BufReader::new(s);
    let mut header = String::new();
    input.read_line(&mut header)?;
    assert!(header.starts_with("{\"format\""), "{header}");
    let mut got = vec![0; n];
    input.read_exact(&mut got)?;
    Ok(got)
}

#[test]
fn a_viewer_that_asks_gets_zstd_frames_and_one_that_does_not_gets_lines() -> Res<()> {
    use evscope::trace::{unpack, FrameHead};
    use std::io::Write;
    let owner_token = LinkToken::random()?;
    let follow_token = LinkToken::random()?;
    let program = start(&owner_token, &follow_token)?;
    // Let the history hold a few batches first: both viewers catch up on it.
    for _ in 0..20 {
        program.runs_on()?;
    }
    let mut framed = std::net::TcpStream::connect(program.addr)?;
    framed.write_all(&follow_token.auth_line())?;
    let mut plain = std::net::TcpStream::connect(program.addr)?;
    plain.write_all(&lines_auth_line(&follow_token))?;
    let framed = stream_after_header(framed, 4096)?;
    let plain = stream_after_header(plain, 4096)?;
    program.end()?;

    // Frames: a frame line, then its bytes, which unpack to the records it says.
    let nl = framed
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no frame line")?;
    let head = FrameHead::parse(&framed[..nl]).ok_or("not a frame line")??;
    assert!(head.records > 0, "{head:?}");
    let packed = framed
        .get(nl + 1..nl + 1 + head.bytes as usize)
        .ok_or("the frame is longer than what was read")?;
    let mut text = Vec::new();
    unpack(&head, packed, &mut text)?;
    // Version 3 lines: the first record's seq (1) is implied.
    let text = String::from_utf8(text)?;
    let first = text.lines().next().ok_or("an empty frame")?;
    assert!(
        first.starts_with("{\"t_us\":") && first.contains("\"kind\":\"event_new\""),
        "{first}"
    );
    // Lines: whole records, never a frame.
    let text = String::from_utf8(plain)?;
    assert!(text.starts_with("{\"seq\":1,"), "{text}");
    assert!(!text.contains("\"frame\""), "{text}");
    Ok(())
}

#[test]
fn records_held_for_a_frame_reach_the_viewers_while_the_loop_sleeps() -> Res<()> {
    // Frames go out in batches of up to 16 ms of a busy loop's records; a loop that goes to
    // sleep must not keep its last records from the viewers until it wakes.
    let owner_token = LinkToken::random()?;
    let follow_token = LinkToken::random()?;
    // A tick far longer than a batch is held.
    let program = TickingProgram::start(&owner_token, &follow_token, Duration::from_millis(1000))?;
    let viewer = Viewer::join(program.addr, &follow_token, "a follower".into())?;
    viewer.until("header", |m| matches!(m, LinkMsg::Header(_)))?;
    let callback_end =
        |m: &LinkMsg| matches!(m, LinkMsg::Record(r) if matches!(r.body, Body::CallbackEnd { .. }));
    // The first tick's records go out with those held since the start; the second tick's are
    // the only ones held when the loop goes to sleep after it. They arrive while it sleeps: the
    // tick count has not moved on when its callback_end and the poll_begin after it arrive.
    viewer.until("the first tick's callback_end", callback_end)?;
    viewer.until("the second tick's callback_end", callback_end)?;
    assert_eq!(
        program.ticks(),
        2,
        "the second tick's records arrived only after the loop woke again"
    );
    viewer.until(
        "the poll_begin after it",
        |m| matches!(m, LinkMsg::Record(r) if matches!(r.body, Body::PollBegin { .. })),
    )?;
    assert_eq!(
        program.ticks(),
        2,
        "the record before the loop's sleep arrived only after the loop woke"
    );
    program.end()
}
