//! The live link under load, on every backend: `examples/echo_server` traced to a viewer
//! (`EVSCOPE_TRACE=unix:…`) while clients echo. The viewer pauses the loop (the echoes stop),
//! then vanishes without a word; the server must run on, finish the echoes in flight, and
//! serve new clients intact.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use evscope::trace::{Control, LinkClient, LinkMsg, Status, ViewerListener};
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
