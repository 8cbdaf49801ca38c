//! Load: a thousand concurrent connections echoing with checksums through the course's echo
//! server (`examples/echo_server`, its own process), and clients that reset mid-stream beside
//! others that must finish intact, on every backend. `EVSCOPE_SOAK=1` runs them longer: 1 MB
//! per connection (1 GB each way) instead of the default 256 KiB (256 MB each way), which keeps
//! `cargo test` short.

use crate::util;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use evscope::ev::EventBase;

use util::*;

const CONNECTIONS: usize = 1000;
const PIECE: usize = 16 * 1024;
const CLIENT_THREADS: usize = 4;

fn per_connection() -> usize {
    if soak() {
        1 << 20
    } else {
        256 << 10
    }
}

#[test]
fn a_thousand_connections_echo_every_byte() -> TestResult {
    // The clients hold a thousand sockets in this process.
    let _turn = one_at_a_time();
    if rerun_with_fd_limit("load::a_thousand_connections_echo_every_byte", 2048)? {
        return Ok(());
    }
    let per_conn = per_connection();
    each_backend(|kind| {
        let mut server = EchoProcess::start(kind, None)?;
        let started = Instant::now();
        let moved = lockstep_echo(server.addr, CONNECTIONS, per_conn, PIECE, CLIENT_THREADS, 7)?;
        let expected = (CONNECTIONS * per_conn) as u64;
        assert_eq!(moved.connections, CONNECTIONS);
        assert_eq!(moved.bytes_sent, expected);
        assert_eq!(moved.bytes_back, expected, "bytes lost");
        assert_eq!(moved.corrupted, 0, "connections whose echo differed");
        assert!(server.alive()?, "the echo server exited");
        eprintln!(
            "{}: {CONNECTIONS} connections x {} KiB echoed intact in {:.2?}",
            kind.name(),
            per_conn >> 10,
            started.elapsed()
        );
        Ok(())
    });
    Ok(())
}

/// Connects, sends `bytes`, reads a little of the echo, then closes with SO_LINGER 0: the
/// kernel drops the rest and sends RST, mid-stream for the server.
fn reset_mid_stream(addr: SocketAddr, seed: u64, bytes: usize) -> std::io::Result<()> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.write_all(&ByteStream::new(seed).take(bytes))?;
    let mut some = [0u8; 1024];
    s.read_exact(&mut some)?;
    socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO))?;
    drop(s);
    Ok(())
}

#[test]
fn clients_reset_mid_stream_while_the_others_finish_intact() -> TestResult {
    let (good, per_good, resets) = if soak() {
        (100, 4 << 20, 2000)
    } else {
        (50, 256 << 10, 200)
    };
    let _turn = one_at_a_time();
    if rerun_with_fd_limit(
        "load::clients_reset_mid_stream_while_the_others_finish_intact",
        2 * good as u64 + 256,
    )? {
        return Ok(());
    }
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (lev, stats) = counting_echo_server(&mut base, loopback(), None)?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let clients = thread::spawn(move || lockstep_echo(addr, good, per_good, PIECE, 2, 100));
        let resetters: Vec<_> = (0..2u64)
            .map(|t| {
                thread::spawn(move || -> std::io::Result<()> {
                    for i in 0..resets as u64 / 2 {
                        reset_mid_stream(addr, 10_000 + 2 * i + t, 64 << 10)?;
                    }
                    Ok(())
                })
            })
            .collect();
        run_while(&mut base, Duration::from_secs(60), |_| {
            clients.is_finished() && resetters.iter().all(|r| r.is_finished())
        })?;
        let moved = clients.join().map_err(|_| "clients panicked")??;
        for r in resetters {
            r.join().map_err(|_| "a resetter panicked")??;
        }
        assert_eq!(moved.corrupted, 0, "connections whose echo differed");
        assert_eq!(moved.bytes_back, (good * per_good) as u64, "bytes lost");
        // Every connection ends, by EOF (the good ones) or by an error (the reset ones), and
        // the server frees every bufferevent.
        run_while(&mut base, Duration::from_secs(20), |base| {
            let s = stats.borrow();
            s.accepted == good + resets
                && s.eofs + s.errors.len() == s.accepted
                && base.bufferevent_ids().is_empty()
        })?;
        let s = stats.borrow();
        assert!(s.eofs >= good, "{} EOFs for {good} clean closes", s.eofs);
        assert!(!s.errors.is_empty(), "no connection saw its reset");
        for errno in &s.errors {
            assert!(
                [libc::ECONNRESET, libc::EPIPE].contains(errno),
                "a reset connection ended with errno {errno}"
            );
        }
        eprintln!(
            "{}: {good} clients x {} KiB intact beside {resets} resets ({} seen as errors)",
            kind.name(),
            per_good >> 10,
            s.errors.len()
        );
        Ok(())
    });
    Ok(())
}
