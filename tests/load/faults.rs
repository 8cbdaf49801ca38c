//! Faults under load, on every backend: peers that vanish while the server is writing (SIGPIPE
//! must never be raised: the library sends with MSG_NOSIGNAL), slow readers against a server
//! that applies back-pressure with watermarks (its buffers stay bounded), and a storm of
//! connections against a server out of descriptors (it stays responsive and idle, and
//! recovers). `EVSCOPE_SOAK=1` runs them longer.

use crate::util;

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use evscope::ev::{raise, BevEvents, BevOptions, EventBase, ListenerFlags, What};
use util::*;

const CHARGEN_PIECE: usize = 256 * 1024;

/// A chargen server: writes without end to every client. On a connection's first error it
/// writes once more, as a careless server would, so the next send meets a socket the peer
/// reset (EPIPE); the second error frees the connection. Returns the errnos seen, in order.
fn chargen(
    base: &mut EventBase,
) -> evscope::ev::Result<(std::net::SocketAddr, Rc<RefCell<Vec<i32>>>)> {
    let errors: Rc<RefCell<Vec<i32>>> = Rc::default();
    let e = errors.clone();
    let lev = base.evconnlistener_new_bind(
        loopback(),
        ListenerFlags::REUSEABLE | ListenerFlags::CLOSE_ON_FREE,
        1024,
        move |base, _lev, sock, _peer| {
            let fd = std::os::fd::IntoRawFd::into_raw_fd(sock);
            let Ok(bev) = base.bufferevent_socket_new(fd, BevOptions::CLOSE_ON_FREE) else {
                return;
            };
            let piece = Rc::new(ByteStream::new(fd as u64).take(CHARGEN_PIECE));
            let (p1, p2) = (piece.clone(), piece.clone());
            let failed = Rc::new(Cell::new(false));
            let e = e.clone();
            let _ = base.bufferevent_setcb(
                bev,
                Some(Box::new(|base, bev| {
                    if let Ok(mut input) = base.bufferevent_get_input(bev) {
                        let n = input.len();
                        input.drain(n);
                    }
                })),
                Some(Box::new(move |base, bev| {
                    let _ = base.bufferevent_write(bev, &p1);
                })),
                Some(Box::new(move |base, bev, events| {
                    if !events.contains(BevEvents::ERROR) && !events.contains(BevEvents::EOF) {
                        return;
                    }
                    let errno = base
                        .bufferevent_get_error(bev)
                        .ok()
                        .flatten()
                        .and_then(|e| e.raw_os_error())
                        .unwrap_or(0);
                    e.borrow_mut().push(errno);
                    let second = failed.replace(true);
                    if second
                        || base.bufferevent_write(bev, &p2).is_err()
                        || base.bufferevent_enable(bev, What::WRITE).is_err()
                    {
                        let _ = base.bufferevent_free(bev);
                    }
                })),
            );
            if base
                .bufferevent_enable(bev, What::READ | What::WRITE)
                .is_err()
                || base.bufferevent_write(bev, &piece).is_err()
            {
                let _ = base.bufferevent_free(bev);
            }
        },
    )?;
    Ok((base.evconnlistener_local_addr(lev)?, errors))
}

#[test]
fn peers_closing_while_the_server_writes_never_raise_sigpipe() -> TestResult {
    let _turn = one_at_a_time();
    let clients = if soak() { 500 } else { 40 };
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        // The library's own signal handling counts every SIGPIPE this process gets.
        let sigpipes = Rc::new(Cell::new(0u32));
        let s = sigpipes.clone();
        let watch = base.evsignal_new(libc::SIGPIPE, move |_, _, _| s.set(s.get() + 1))?;
        base.event_add(watch, None)?;
        let (addr, errors) = chargen(&mut base)?;
        let peers = thread::spawn(move || -> std::io::Result<()> {
            for i in 0..clients {
                let mut s = TcpStream::connect(addr)?;
                s.set_read_timeout(Some(Duration::from_secs(20)))?;
                // Mid-stream: some of it read, more on the way, then gone.
                let mut buf = vec![0u8; 64 * 1024];
                s.read_exact(&mut buf)?;
                if i % 2 == 0 {
                    s.shutdown(Shutdown::Both)?;
                }
                drop(s);
            }
            Ok(())
        });
        run_while(&mut base, Duration::from_secs(60), |base| {
            peers.is_finished() && base.bufferevent_ids().is_empty()
        })?;
        peers.join().map_err(|_| "peers panicked")??;
        let errors = errors.borrow();
        assert!(
            errors.contains(&libc::EPIPE),
            "no send met a reset socket (EPIPE), so SIGPIPE was never at stake: {errors:?}"
        );
        assert_eq!(sigpipes.get(), 0, "the process was sent SIGPIPE");
        // The watch works: a SIGPIPE sent on purpose is seen.
        raise(libc::SIGPIPE)?;
        run_while(&mut base, Duration::from_secs(10), |_| sigpipes.get() > 0)?;
        assert_eq!(sigpipes.get(), 1);
        base.event_free(watch)?;
        eprintln!(
            "{}: {clients} peers gone mid-stream, {} sends met EPIPE, no SIGPIPE",
            kind.name(),
            errors.iter().filter(|&&e| e == libc::EPIPE).count()
        );
        Ok(())
    });
    Ok(())
}

/// A client that writes `total` bytes as fast as the server takes them and reads the echo
/// slowly (`chunk` bytes, then a pause), checking every byte.
fn slow_reader(
    addr: std::net::SocketAddr,
    seed: u64,
    total: usize,
    chunk: usize,
) -> std::io::Result<bool> {
    // A small receive buffer, so the kernel cannot hide the slowness by holding megabytes.
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    sock.set_recv_buffer_size(32 * 1024)?;
    sock.connect(&addr.into())?;
    let stream = TcpStream::from(sock);
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut w = stream.try_clone()?;
    let writer = thread::spawn(move || -> std::io::Result<()> {
        let mut src = ByteStream::new(seed);
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = total;
        while left > 0 {
            let n = left.min(buf.len());
            src.fill(&mut buf[..n]);
            w.write_all(&buf[..n])?;
            left -= n;
        }
        w.shutdown(Shutdown::Write)
    });
    let mut r = stream;
    let mut expect = ByteStream::new(seed);
    let (mut got, mut same) = (0, true);
    let mut buf = vec![0u8; chunk];
    while got < total {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        same &= expect.check(&buf[..n]);
        got += n;
        // Slower than the server reads, which is at most 4 KiB per read callback, as in
        // libevent (evbuffer_read's cap), even in a debug build.
        thread::sleep(Duration::from_millis(10));
    }
    writer
        .join()
        .map_err(|_| std::io::Error::other("writer panicked"))??;
    Ok(same && got == total)
}

#[test]
fn slow_readers_meet_back_pressure_and_bounded_buffers() -> TestResult {
    let (clients, per_client) = if soak() {
        (50, 16 << 20)
    } else {
        (20, 2 << 20)
    };
    let _turn = one_at_a_time();
    let bp = Backpressure {
        high: 256 * 1024,
        low: 64 * 1024,
        read_high: 64 * 1024,
    };
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (lev, stats) = counting_echo_server(&mut base, loopback(), Some(bp))?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let readers: Vec<_> = (0..clients as u64)
            .map(|i| thread::spawn(move || slow_reader(addr, 500 + i, per_client, 16 * 1024)))
            .collect();
        run_while(&mut base, Duration::from_secs(60), |_| {
            readers.iter().all(|r| r.is_finished())
        })?;
        for r in readers {
            assert!(
                r.join().map_err(|_| "a reader panicked")??,
                "a slow reader got its bytes changed, reordered or short"
            );
        }
        let s = stats.borrow();
        let bound = bp.high + bp.read_high;
        assert!(
            s.max_per_conn >= bp.high,
            "the readers were never slow enough to fill {} bytes of output ({} at most)",
            bp.high,
            s.max_per_conn
        );
        assert!(
            s.max_per_conn <= bound,
            "one connection held {} bytes; back-pressure should stop it at {bound}",
            s.max_per_conn
        );
        assert!(
            s.max_total <= clients * bound,
            "{} bytes held in all",
            s.max_total
        );
        eprintln!(
            "{}: {clients} slow readers x {} MiB; at most {} KiB held per connection, {} KiB in all",
            kind.name(),
            per_client >> 20,
            s.max_per_conn >> 10,
            s.max_total >> 10
        );
        Ok(())
    });
    Ok(())
}

/// One echo round trip of `msg` on `s`.
fn round_trip(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<()> {
    s.write_all(msg)?;
    let mut back = vec![0u8; msg.len()];
    s.read_exact(&mut back)?;
    if back != msg {
        return Err(std::io::Error::other("echo differs"));
    }
    Ok(())
}

#[test]
fn a_connection_storm_past_the_descriptor_limit_leaves_the_server_responsive() -> TestResult {
    let _turn = one_at_a_time();
    let (storm, window) = if soak() { (900, 5) } else { (300, 1) };
    each_backend(|kind| {
        // 64 descriptors: a few dozen connections, then EMFILE.
        let server = EchoProcess::start(kind, Some(64))?;
        let mut regulars = Vec::new();
        for i in 0..10u8 {
            let mut s = TcpStream::connect(server.addr)?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            round_trip(&mut s, &[i; 32])?;
            regulars.push(s);
        }
        let mut crowd = Vec::new();
        for _ in 0..storm {
            crowd.push(TcpStream::connect(server.addr)?);
        }
        let err = server.wait_for("accept error: ", Duration::from_secs(20))?;
        assert!(err.contains("Too many open files"), "{err}");
        // While out of descriptors: the connections it has are served, and it does not spin.
        let before = cpu_ticks(server.pid())?;
        let until = Instant::now() + Duration::from_secs(window);
        let mut trips = 0;
        while Instant::now() < until {
            for (i, s) in regulars.iter_mut().enumerate() {
                round_trip(s, &[i as u8 ^ 0x5a; 32])?;
                trips += 1;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let used = cpu_ticks(server.pid())? - before;
        assert!(
            used < 25 * window,
            "the server used {used} ticks ({}% of a core) while out of descriptors",
            used / window
        );
        // The storm passes: new connections are accepted and served again.
        drop(crowd);
        let mut probe = TcpStream::connect(server.addr)?;
        probe.set_read_timeout(Some(Duration::from_secs(20)))?;
        round_trip(&mut probe, b"after the storm")?;
        for s in &mut regulars {
            round_trip(s, b"still here")?;
        }
        eprintln!(
            "{}: {storm} connects past 64 fds; {trips} round trips meanwhile, {used} ticks of cpu in {window} s",
            kind.name()
        );
        Ok(())
    });
    Ok(())
}
