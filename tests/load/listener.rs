//! evconnlistener on loopback, every backend: IPv4 and IPv6, accepting until EAGAIN,
//! enable / disable, an existing socket, freeing inside the callback, and running out of
//! descriptors (in a child process with a small RLIMIT_NOFILE).

use crate::util;

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use evscope::ev::{EventBase, ListenerFlags, LoopFlags};
use util::*;

type Accepted = Rc<RefCell<Vec<Option<SocketAddr>>>>;

fn counting_listener(
    base: &mut EventBase,
    addr: SocketAddr,
    flags: ListenerFlags,
) -> evscope::ev::Result<(evscope::ev::ListenerId, Accepted)> {
    let accepted: Accepted = Rc::default();
    let a = accepted.clone();
    let lev = base.evconnlistener_new_bind(addr, flags, -1, move |_base, _lev, sock, peer| {
        assert!(sock.as_raw_fd() >= 0);
        a.borrow_mut().push(peer);
    })?;
    Ok((lev, accepted))
}

/// One loop pass that waits at most `ms` milliseconds.
fn one_pass(base: &mut EventBase, wait: u64) -> TestResult {
    base.loopexit(Some(ms(wait)));
    base.loop_(LoopFlags::ONCE)?;
    Ok(())
}

#[test]
fn accepts_ipv4_and_ipv6_with_the_peer_address() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        for local in ["127.0.0.1:0", "[::1]:0"] {
            let (lev, accepted) = counting_listener(
                &mut base,
                local.parse()?,
                ListenerFlags::REUSEABLE | ListenerFlags::CLOSE_ON_FREE,
            )?;
            let addr = base.evconnlistener_local_addr(lev)?;
            let client = TcpStream::connect(addr)?;
            one_pass(&mut base, 5000)?;
            assert_eq!(*accepted.borrow(), vec![Some(client.local_addr()?)]);
            base.evconnlistener_free(lev)?;
        }
        Ok(())
    });
}

#[test]
fn one_readiness_accepts_every_waiting_connection() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (lev, accepted) = counting_listener(&mut base, loopback(), ListenerFlags::NONE)?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let clients: Vec<TcpStream> = (0..20)
            .map(|_| TcpStream::connect(addr))
            .collect::<Result<_, _>>()?;
        one_pass(&mut base, 5000)?;
        assert_eq!(accepted.borrow().len(), clients.len());
        Ok(())
    });
}

#[test]
fn disabled_listener_leaves_connections_in_the_backlog() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (lev, accepted) = counting_listener(&mut base, loopback(), ListenerFlags::DISABLED)?;
        let addr = base.evconnlistener_local_addr(lev)?;
        let _client = TcpStream::connect(addr)?;
        one_pass(&mut base, 30)?;
        assert!(accepted.borrow().is_empty(), "accepted while disabled");
        base.evconnlistener_enable(lev)?;
        one_pass(&mut base, 5000)?;
        assert_eq!(accepted.borrow().len(), 1);
        base.evconnlistener_disable(lev)?;
        let _second = TcpStream::connect(addr)?;
        one_pass(&mut base, 30)?;
        assert_eq!(accepted.borrow().len(), 1, "accepted after disable");
        Ok(())
    });
}

#[test]
fn listener_on_an_existing_socket_freed_inside_its_callback() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let std_listener = TcpListener::bind(loopback())?;
        let addr = std_listener.local_addr()?;
        let fd = std_listener.into_raw_fd();
        let lev = base.evconnlistener_new(
            fd,
            ListenerFlags::CLOSE_ON_FREE,
            0,
            |base, lev, _sock, _peer| {
                base.evconnlistener_free(lev).unwrap();
            },
        )?;
        assert_eq!(base.evconnlistener_get_fd(lev)?, fd);
        let _client = TcpStream::connect(addr)?;
        base.dispatch()?;
        assert!(
            base.evconnlistener_get_fd(lev).is_err(),
            "the handle is stale"
        );
        let refused = TcpStream::connect(addr)
            .err()
            .and_then(|e| e.raw_os_error());
        assert_eq!(refused, Some(libc::ECONNREFUSED), "the socket was closed");
        Ok(())
    });
}

/// Reads /proc/PID/stat: user + system CPU time in clock ticks (USER_HZ, 100 per second).
fn cpu_ticks(pid: u32) -> Result<u64, Box<dyn std::error::Error>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').ok_or("odd /proc stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the line, counting from 1; `after` starts at field 3.
    Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server in a child with 64 descriptors: connections past that get EMFILE. The listener
/// must back off (not spin), report the error, and accept again once descriptors come back.
#[test]
fn emfile_backs_off_without_spinning_then_accepts_again() {
    // The child inherits the sockets this process holds without close-on-exec: not beside the
    // load tests' hundreds.
    let _turn = util::one_at_a_time();
    each_backend(|kind| {
        let exe = std::env::current_exe()?;
        let child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 64 && exec \"$0\" --exact listener::emfile_child --ignored --nocapture")
            .arg(exe)
            .env("EVSCOPE_BACKEND", kind.name())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut child = Killed(child);
        let pid = child.0.id();
        let stdout = child.0.stdout.take().ok_or("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let wait_for = |prefix: &str| -> Result<String, Box<dyn std::error::Error>> {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let line = lines.recv_timeout(left)?;
                if let Some(rest) = line.strip_prefix(prefix) {
                    return Ok(rest.to_string());
                }
            }
        };
        let addr: SocketAddr = wait_for("listening on ")?.trim().parse()?;
        let mut clients = Vec::new();
        for _ in 0..100 {
            clients.push(TcpStream::connect(addr)?);
        }
        let err = wait_for("accept error: ")?;
        assert!(err.contains("Too many open files"), "{err}");
        let before = cpu_ticks(pid)?;
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu_ticks(pid)? - before;
        assert!(
            used < 10,
            "the server used {used}% of a core while out of descriptors"
        );
        drop(clients);
        let mut probe = TcpStream::connect(addr)?;
        probe.set_read_timeout(Some(Duration::from_secs(10)))?;
        probe.write_all(b"ping")?;
        let mut back = [0u8; 4];
        probe.read_exact(&mut back)?;
        assert_eq!(&back, b"ping", "echoed once descriptors came back");
        Ok(())
    });
}

/// The child of the test above (run only by it): an echo server that prints its address and
/// its accept errors on stdout.
#[test]
#[ignore = "run by emfile_backs_off_without_spinning_then_accepts_again in a child process"]
fn emfile_child() -> TestResult {
    let mut base = EventBase::new()?;
    let lev = echo_server(&mut base, loopback())?;
    base.evconnlistener_set_error_cb(
        lev,
        Some(Box::new(|_base, _lev, err| {
            println!("accept error: {err}");
            let _ = std::io::stdout().flush();
        })),
    )?;
    println!("listening on {}", base.evconnlistener_local_addr(lev)?);
    std::io::stdout().flush()?;
    base.dispatch()?;
    Ok(())
}

#[test]
fn stale_listener_handles_are_refused() {
    each_backend(|kind| {
        let mut base = EventBase::with_backend(kind)?;
        let (lev, _) = counting_listener(&mut base, loopback(), ListenerFlags::NONE)?;
        base.evconnlistener_free(lev)?;
        assert!(matches!(
            base.evconnlistener_enable(lev),
            Err(evscope::ev::Error::Stale(_))
        ));
        assert!(base.event_ids().is_empty(), "its accept event was freed");
        Ok(())
    });
}
