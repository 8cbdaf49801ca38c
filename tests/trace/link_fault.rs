//! The live link under load, on every backend: `examples/echo_server` traced to a viewer while
//! clients echo. A viewer that pauses the loop and then vanishes without a word leaves the
//! server serving; a viewer that takes nothing, or sends controls without reading the replies,
//! never holds a free-running server back, and is told how many records it missed.

use crate::util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use evscope::trace::{
    Body, Control, LinkClient, LinkMsg, LinkToken, Status, Stream, ViewerListener,
};
use util::*;

const SOON: Duration = Duration::from_secs(10);

/// Round trips over `conns` connections, one after another, until `stop`; counts them.
fn keep_echoing(
    addr: std::net::SocketAddr,
    conns: usize,
    rounds: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    let mut streams = Vec::new();
    for _ in 0..conns {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        streams.push(s);
    }
    let mut msg = [0u8; 64];
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        for s in &mut streams {
            msg.fill(n as u8);
            s.write_all(&msg)?;
            let mut back = [0u8; 64];
            s.read_exact(&mut back)?;
            if back != msg {
                return Err(std::io::Error::other("echo differs"));
            }
            n += 1;
            rounds.fetch_add(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + SOON;
    while !cond() {
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {SOON:?}"));
        }
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

#[test]
fn a_viewer_vanishing_while_paused_leaves_the_server_serving() -> TestResult {
    each_backend(|kind| {
        let listener = ViewerListener::bind_private()?;
        let trace = listener.trace_env();
        // The program waits for its viewer's first control line before it runs, so the viewer
        // answers from its own thread.
        let viewer = thread::spawn(move || -> Result<LinkClient, String> {
            let deadline = Instant::now() + SOON;
            let stream = listener
                .accept_while(|| Instant::now() < deadline)
                .map_err(|e| e.to_string())?
                .ok_or("the server never connected to the viewer")?;
            let client = LinkClient::new(stream).map_err(|e| e.to_string())?;
            // The hello: run freely.
            client.send(&Control::Continue).map_err(|e| e.to_string())?;
            Ok(client)
        });
        let mut server = EchoProcess::start_with(kind, None, &[("EVSCOPE_TRACE", trace)])?;
        let mut client = viewer.join().map_err(|_| "the viewer thread panicked")??;
        let control = client.sender();
        let (tx, msgs) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut records = 0u64;
            while let Ok(Some(m)) = client.recv() {
                if matches!(m, LinkMsg::Record(_)) {
                    records += 1;
                } else if tx.send(m).is_err() {
                    break;
                }
            }
            records
        });

        let rounds = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, addr) = (rounds.clone(), stop.clone(), server.addr);
        let echoer = thread::spawn(move || keep_echoing(addr, 20, r, s));
        wait_until("echoes under way", || rounds.load(Ordering::SeqCst) > 200)?;

        control.send(&Control::Pause)?;
        loop {
            match msgs.recv_timeout(SOON)? {
                LinkMsg::Status(Status::Paused { .. }) => break,
                LinkMsg::Status(Status::Error { message }) => return Err(message.into()),
                _ => {}
            }
        }
        // Held: whatever round trip was in flight cannot finish.
        thread::sleep(Duration::from_millis(100));
        let held = rounds.load(Ordering::SeqCst);
        thread::sleep(Duration::from_millis(300));
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            held,
            "echoes went on while paused"
        );

        // The viewer vanishes: the gate opens and the server runs on.
        control.close();
        let records = reader.join().map_err(|_| "the viewer thread panicked")?;
        wait_until("echoes after the viewer left", || {
            rounds.load(Ordering::SeqCst) > held + 200
        })?;
        stop.store(true, Ordering::SeqCst);
        echoer.join().map_err(|_| "the echo thread panicked")??;
        let moved = lockstep_echo(server.addr, 100, 64 << 10, 16 << 10, 2, 900)?;
        assert_eq!(moved.corrupted, 0);
        assert_eq!(moved.bytes_back, 100 * (64 << 10) as u64);
        assert!(server.alive()?, "the echo server exited");
        eprintln!(
            "{}: paused at {held} round trips with {records} records seen; ran on after the viewer left",
            kind.name()
        );
        Ok(())
    });
    Ok(())
}

/// Round trips the echo server must answer with a stuck viewer attached (the old link stalled
/// it at about 1 400): 10 000, or 50 000 with `EVSCOPE_SOAK`. A round trip makes about 20
/// records of about 100 bytes, so 10 000 overflow the viewer's 8 MiB queue more than twice.
fn rounds_wanted() -> u64 {
    if soak() {
        50_000
    } else {
        10_000
    }
}

/// A viewer with a small receive buffer that shows its token (asking for frames, or for whole
/// lines) and then reads nothing.
fn stuck_viewer(
    addr: std::net::SocketAddr,
    token: &LinkToken,
    frames: bool,
) -> Result<TcpStream, Box<dyn std::error::Error>> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    s.set_recv_buffer_size(16 << 10)?;
    s.connect(&addr.into())?;
    let mut s: TcpStream = s.into();
    if frames {
        s.write_all(&token.auth_line())?;
    } else {
        s.write_all(&lines_auth_line(token))?;
    }
    Ok(s)
}

/// Echoes over 20 connections until `rounds_wanted()` round trips are done; fails, saying how
/// far it got, if they are not done within `SOON`.
fn echo_rounds(addr: std::net::SocketAddr, what: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let wanted = rounds_wanted();
    let rounds = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (r, s) = (rounds.clone(), stop.clone());
    let echoer = thread::spawn(move || keep_echoing(addr, 20, r, s));
    let waited = wait_until(what, || rounds.load(Ordering::SeqCst) >= wanted);
    stop.store(true, Ordering::SeqCst);
    let done = rounds.load(Ordering::SeqCst);
    if let Err(e) = waited {
        return Err(format!("{e}: the echo server answered {done} of {wanted} round trips").into());
    }
    echoer.join().map_err(|_| "the echo thread panicked")??;
    Ok(done)
}

/// A viewer that showed its token and was let in (its first line is the header); while the
/// viewer before it is still being let go, it follows.
fn admitted(
    addr: std::net::SocketAddr,
    token: &LinkToken,
) -> Result<TcpStream, Box<dyn std::error::Error>> {
    use std::io::BufRead;
    let s = authed_viewer(addr, token)?;
    let mut first = String::new();
    std::io::BufReader::new(&s).read_line(&mut first)?;
    if !first.starts_with("{\"format\"") {
        return Err(format!("not let in: {first:?}").into());
    }
    Ok(s)
}

#[test]
fn a_viewer_that_takes_nothing_never_holds_the_echo_server_back() -> TestResult {
    each_backend(|kind| {
        let runtime = tempfile::tempdir()?;
        let mut server = EchoProcess::start_with(kind, None, &tcp_trace_env(runtime.path()))?;
        let (link, token_file) = published_link(runtime.path(), SOON)?;
        let token = LinkToken::read_file(&token_file)?;

        // A viewer that shows its token and then reads nothing at all. In whole lines: the
        // echo rounds make more than its queue holds (frames are some twenty times smaller;
        // the next test covers both).
        let stuck = stuck_viewer(link, &token, false)?;
        let done = echo_rounds(server.addr, "echoes with a viewer that reads nothing")?;

        // Once it reads, it gets what fitted in its queue, then how many records it missed.
        stuck.set_read_timeout(Some(SOON))?;
        let mut client = LinkClient::new(Stream::Tcp(stuck))?;
        let deadline = Instant::now() + SOON;
        let mut records = 0u64;
        let skipped = loop {
            let msg = client
                .recv()
                .map_err(|e| format!("no skip count after {records} records: {e}"))?;
            match msg {
                Some(LinkMsg::Record(r)) => {
                    if let Body::Dropped { count } = r.body {
                        break count;
                    }
                    records += 1;
                }
                Some(_) => {}
                None => return Err("the link closed before saying what was skipped".into()),
            }
            if Instant::now() > deadline {
                return Err(format!("no skip count after {records} records").into());
            }
        };
        assert!(skipped > 0);
        client.sender().close();

        // A viewer that floods the program with controls and never reads the replies.
        let flood = admitted(link, &token)?;
        let mut writer = flood.try_clone()?;
        let flooding = thread::spawn(move || {
            let lines = b"{\"cmd\":\"unbreak\",\"ev\":7}\nnot a control\n{\"cmd\":\"continue\"}\n";
            let mut sent = 0u64;
            while writer.write_all(lines).is_ok() {
                sent += 1;
            }
            sent
        });
        let flooded = echo_rounds(server.addr, "echoes with a viewer that floods controls")?;
        // The program stopped reading the flood once its replies piled up, so the flooder is
        // blocked in a write now; closing the link ends it.
        flood.shutdown(std::net::Shutdown::Both)?;
        let sent = flooding
            .join()
            .map_err(|_| "the flooding thread panicked")?;
        assert!(server.alive()?, "the echo server exited");
        eprintln!(
            "{}: {done} round trips with a stuck viewer ({records} records taken, {skipped} skipped); \
             {flooded} with one that sent {sent} batches of controls",
            kind.name()
        );
        Ok(())
    });
    Ok(())
}

#[test]
fn dropping_a_base_waits_at_most_about_a_second_for_a_viewer_that_takes_nothing() -> TestResult {
    for frames in [false, true] {
        base_dropped_with_a_stuck_viewer(frames)?;
    }
    Ok(())
}

fn base_dropped_with_a_stuck_viewer(frames: bool) -> TestResult {
    use evscope::ev::EventBase;
    use evscope::trace::{Recorder, FINISH_TIMEOUT};
    let (recorder, link) = Recorder::listen_tcp("127.0.0.1:0".parse()?, false)?;
    let token = LinkToken::find(link.port())?;
    let stuck = stuck_viewer(link, &token, frames)?;
    let mut base = EventBase::new()?;
    base.set_observer(Box::new(recorder));
    // Far more than the viewer's queue and socket buffers hold, compressed too: each note
    // carries 32 hex digits that do not repeat.
    for i in 0..200_000u64 {
        let noise = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let more = noise.rotate_left(17) ^ 0xD6E8_FEB8_6659_FD93;
        base.note(&format!(
            "note {i} {noise:016x}{more:016x} for a viewer that reads nothing"
        ));
    }
    let start = Instant::now();
    drop(base);
    let took = start.elapsed();
    assert!(
        took < FINISH_TIMEOUT + Duration::from_secs(4),
        "dropping the base took {took:?} with a stuck viewer"
    );
    // The viewer gets what reached its socket, then the end: given up on, it may end in the
    // middle of a line, which its reader says.
    stuck.set_read_timeout(Some(SOON))?;
    let mut client = LinkClient::new(Stream::Tcp(stuck))?;
    let mut records = 0u64;
    loop {
        match client.recv() {
            Ok(Some(LinkMsg::Record(_))) => records += 1,
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if e.what.contains("truncated") => break,
            Err(e) => return Err(e.into()),
        }
    }
    assert!(records < 200_000, "the viewer got every record: {records}");
    eprintln!(
        "frames {frames}: the base was dropped in {took:?}; the viewer got {records} records"
    );
    Ok(())
}
