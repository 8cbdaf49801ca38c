//! Real programs, unmodified, on evscope's `libevent.so`: Debian's memcached (one base per
//! worker thread, made by the main thread) and tmux (a forked server that calls
//! `event_reinit`). Each runs with the library substituted as `evscope run` does it: a private
//! directory of links named after libevent's sonames, first on `LD_LIBRARY_PATH`, with
//! `LD_BIND_NOW=1`.
//!
//! A program that is not installed is skipped with a note, except under CI (`CI` set), where
//! `.ci/run` installs both and a missing one fails.

pub mod util;

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use evscope::ev::What;
use evscope::trace::{Body, Reader, Record};
use util::TestResult;

const MEMCACHED: &str = "/usr/bin/memcached";
const TMUX: &str = "/usr/bin/tmux";

/// The longest any one step may take before the test gives up on it.
const STEP: Duration = Duration::from_secs(30);

/// The program at `path`, or None (after a note) when it is not installed and this is not CI.
fn installed(path: &str) -> Result<Option<PathBuf>, Box<dyn Error>> {
    let p = PathBuf::from(path);
    if p.is_file() {
        return Ok(Some(p));
    }
    if std::env::var_os("CI").is_some() {
        return Err(
            format!("{path} is not installed, and CI needs it (.ci/run installs it)").into(),
        );
    }
    eprintln!("skipping: {path} is not installed");
    Ok(None)
}

/// A private directory of links named after the system libraries' sonames, all to this
/// build's `libevent.so`, as `evscope run` makes one.
fn shim() -> Result<tempfile::TempDir, Box<dyn Error>> {
    let lib = util::library_dir().join("libevent.so").canonicalize()?;
    let dir = tempfile::tempdir()?;
    for name in [
        "libevent-2.1.so.7",
        "libevent_core-2.1.so.7",
        "libevent_extra-2.1.so.7",
        "libevent_pthreads-2.1.so.7",
        "libevent.so",
    ] {
        std::os::unix::fs::symlink(&lib, dir.path().join(name))?;
    }
    Ok(dir)
}

/// The environment that substitutes the library, and nothing of the caller's that would
/// change a run.
fn substituted(cmd: &mut Command, shim: &Path) {
    cmd.env("LD_LIBRARY_PATH", shim)
        .env("LD_BIND_NOW", "1")
        .env_remove("LD_PRELOAD")
        .env_remove("EVSCOPE_TRACE")
        .env_remove("EVSCOPE_BACKEND")
        .env_remove("EVENT_NOEPOLL")
        .env_remove("EVENT_NOPOLL")
        .env_remove("EVENT_NOSELECT");
}

/// True when `pid` has this build's `libevent.so` mapped, and no other libevent.
fn runs_on_evscope(pid: u32) -> Result<bool, Box<dyn Error>> {
    let lib = util::library_dir().join("libevent.so").canonicalize()?;
    let lib = lib.to_str().ok_or("a library path that is not UTF-8")?;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))?;
    let libevents: Vec<&str> = maps.lines().filter(|l| l.contains("libevent")).collect();
    Ok(!libevents.is_empty() && libevents.iter().all(|l| l.ends_with(lib)))
}

/// Reads a whole trace with evscope's reader, which checks every record.
fn read_trace(path: &Path) -> Result<(evscope::trace::Header, Vec<Record>), Box<dyn Error>> {
    let mut reader = Reader::open(path)?;
    let header = reader.header().clone();
    let mut records = Vec::new();
    while let Some(rec) = reader.next_record()? {
        records.push(rec);
    }
    Ok((header, records))
}

fn count(records: &[Record], kind: &str) -> usize {
    records.iter().filter(|r| r.body.kind() == kind).count()
}

// ----- memcached ---------------------------------------------------------------------------

/// memcached, killed (and reaped) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, Box<dyn Error>> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Starts `memcached -t 4` on 127.0.0.1 on evscope's library and waits until it answers.
fn start_memcached(
    exe: &Path,
    shim: &Path,
    trace: Option<&Path>,
) -> Result<Server, Box<dyn Error>> {
    let mut last = None;
    // The port may be taken between finding it free and memcached binding it: try again.
    for _ in 0..5 {
        let port = free_port()?;
        let mut cmd = Command::new(exe);
        cmd.args([
            "-t",
            "4",
            "-l",
            "127.0.0.1",
            "-U",
            "0",
            "-m",
            "256",
            "-c",
            "256",
        ])
        .args(["-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if running_as_root() {
            cmd.args(["-u", "root"]);
        }
        substituted(&mut cmd, shim);
        if let Some(t) = trace {
            cmd.env("EVSCOPE_TRACE", format!("file:{}", t.display()));
        }
        let mut server = Server {
            child: cmd.spawn()?,
            port,
        };
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = server.child.try_wait()? {
                let mut err = String::new();
                if let Some(mut e) = server.child.stderr.take() {
                    e.read_to_string(&mut err)?;
                }
                last = Some(format!("memcached exited at start ({status}): {err}"));
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err("memcached did not start listening within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Err(last.unwrap_or_default().into())
}

/// A key and its value.
type Item = (String, Vec<u8>);

/// One client connection speaking memcached's text protocol.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn open(port: u16) -> Result<Conn, Box<dyn Error>> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(STEP))?;
        s.set_write_timeout(Some(STEP))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            r: BufReader::new(s.try_clone()?),
            w: s,
        })
    }

    fn line(&mut self) -> Result<String, Box<dyn Error>> {
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        if !line.ends_with("\r\n") {
            return Err(format!("the server hung up or sent {line:?}").into());
        }
        line.truncate(line.len() - 2);
        Ok(line)
    }

    fn expect(&mut self, want: &str, what: &str) -> TestResult {
        let got = self.line()?;
        if got != want {
            return Err(format!("{what}: expected {want:?}, got {got:?}").into());
        }
        Ok(())
    }

    fn set(&mut self, key: &str, value: &[u8]) -> TestResult {
        // One write per request: a client that dribbles a request out in pieces waits on
        // Nagle's algorithm and delayed ACKs, not on the server.
        let mut req = format!("set {key} 0 0 {}\r\n", value.len()).into_bytes();
        req.extend_from_slice(value);
        req.extend_from_slice(b"\r\n");
        self.w.write_all(&req)?;
        self.expect("STORED", &format!("set {key}"))
    }

    /// `get` of several keys; the values found, in the order the server sent them.
    fn get(&mut self, keys: &[String]) -> Result<Vec<Item>, Box<dyn Error>> {
        self.w
            .write_all(format!("get {}\r\n", keys.join(" ")).as_bytes())?;
        let mut found = Vec::new();
        loop {
            let line = self.line()?;
            if line == "END" {
                return Ok(found);
            }
            let parts: Vec<&str> = line.split(' ').collect();
            let ["VALUE", key, _flags, len] = parts[..] else {
                return Err(format!("get: unexpected line {line:?}").into());
            };
            let mut value = vec![0; len.parse::<usize>()? + 2];
            self.r.read_exact(&mut value)?;
            if !value.ends_with(b"\r\n") {
                return Err(format!("get {key}: the value does not end with CRLF").into());
            }
            value.truncate(value.len() - 2);
            found.push((key.to_string(), value));
        }
    }

    fn delete(&mut self, key: &str) -> TestResult {
        self.w.write_all(format!("delete {key}\r\n").as_bytes())?;
        self.expect("DELETED", &format!("delete {key}"))
    }

    /// `stats`: name → value.
    fn stats(&mut self) -> Result<Vec<(String, String)>, Box<dyn Error>> {
        self.w.write_all(b"stats\r\n")?;
        let mut stats = Vec::new();
        loop {
            let line = self.line()?;
            if line == "END" {
                return Ok(stats);
            }
            let mut parts = line.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("STAT"), Some(name), Some(value)) => {
                    stats.push((name.to_string(), value.to_string()))
                }
                _ => return Err(format!("stats: unexpected line {line:?}").into()),
            }
        }
    }

    fn quit(mut self) -> TestResult {
        self.w.write_all(b"quit\r\n")?;
        self.w.shutdown(Shutdown::Write)?;
        let mut rest = Vec::new();
        self.r.read_to_end(&mut rest)?;
        if !rest.is_empty() {
            return Err(format!("bytes after quit: {:?}", String::from_utf8_lossy(&rest)).into());
        }
        Ok(())
    }
}

/// Value sizes, from 1 B to 100 KB, taken in turn.
const SIZES: [usize; 12] = [
    1, 7, 100, 1000, 4096, 16_384, 100_000, 33, 512, 2048, 65_535, 10,
];

/// The value of key number `i`: `SIZES` in turn, bytes from a generator seeded by `i` (every
/// byte value occurs, CR and LF included).
fn value_of(i: usize) -> Vec<u8> {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..SIZES[i % SIZES.len()])
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn key_of(client: usize, i: usize) -> String {
    format!("evscope:{client}:{i}")
}

/// One client's work on `port`: set `n` keys, get each back (one at a time, then ten at a
/// time), delete every third and check it is gone. Returns how many it deleted.
fn client(port: u16, id: usize, n: usize) -> Result<usize, Box<dyn Error>> {
    let mut c = Conn::open(port)?;
    for i in 0..n {
        c.set(&key_of(id, i), &value_of(id * n + i))?;
    }
    for i in 0..n {
        let key = key_of(id, i);
        let got = c.get(std::slice::from_ref(&key))?;
        match &got[..] {
            [(k, v)] if *k == key && *v == value_of(id * n + i) => {}
            _ => return Err(format!("get {key}: a wrong or missing value").into()),
        }
    }
    for chunk in (0..n).collect::<Vec<_>>().chunks(10) {
        let keys: Vec<String> = chunk.iter().map(|i| key_of(id, *i)).collect();
        let got = c.get(&keys)?;
        let want: Vec<Item> = chunk
            .iter()
            .map(|i| (key_of(id, *i), value_of(id * n + i)))
            .collect();
        if got != want {
            return Err(
                format!("get of {} keys from {}: wrong values", keys.len(), keys[0]).into(),
            );
        }
    }
    let mut deleted = 0;
    for i in (0..n).step_by(3) {
        c.delete(&key_of(id, i))?;
        deleted += 1;
    }
    for i in 0..n {
        let key = key_of(id, i);
        let got = c.get(std::slice::from_ref(&key))?;
        if got.is_empty() != (i % 3 == 0) {
            return Err(format!("get {key} after the deletes: found {}", got.len()).into());
        }
    }
    c.quit()?;
    Ok(deleted)
}

/// `clients` concurrent clients of `n` keys each; then `stats` must agree with what they did.
fn exercise(port: u16, clients: usize, n: usize) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(120);
    let workers: Vec<_> = (0..clients)
        .map(|id| std::thread::spawn(move || client(port, id, n).map_err(|e| e.to_string())))
        .collect();
    let mut deleted = 0;
    for (id, w) in workers.into_iter().enumerate() {
        deleted += w
            .join()
            .map_err(|_| format!("client {id} panicked"))?
            .map_err(|e| format!("client {id}: {e}"))?;
    }
    assert!(
        Instant::now() < deadline,
        "the clients took more than 120 s"
    );
    let mut c = Conn::open(port)?;
    let stats = c.stats()?;
    c.quit()?;
    let stat = |name: &str| {
        stats
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or(format!("stats has no {name}"))
    };
    assert_eq!(
        stat("libevent")?,
        "2.1.12-evscope",
        "memcached runs on evscope"
    );
    assert_eq!(stat("threads")?, "4");
    let total = clients * n;
    assert_eq!(stat("cmd_set")?.parse::<usize>()?, total);
    assert_eq!(stat("curr_items")?.parse::<usize>()?, total - deleted);
    assert_eq!(stat("delete_hits")?.parse::<usize>()?, deleted);
    assert_eq!(stat("evictions")?, "0");
    Ok(())
}

/// Stops memcached with SIGTERM, as its user would, and waits for it to exit by itself.
fn stop(mut server: Server) -> Result<Output, Box<dyn Error>> {
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status()?;
    let deadline = Instant::now() + STEP;
    while server.child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            return Err("memcached did not exit within 30 s of SIGTERM".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = server.child.wait()?;
    let mut stderr = Vec::new();
    if let Some(mut e) = server.child.stderr.take() {
        e.read_to_end(&mut stderr)?;
    }
    Ok(Output {
        status,
        stdout: Vec::new(),
        stderr,
    })
}

#[test]
fn memcached_with_four_worker_threads_serves_eight_clients() -> TestResult {
    let Some(exe) = installed(MEMCACHED)? else {
        return Ok(());
    };
    let shim = shim()?;
    let server = start_memcached(&exe, shim.path(), None)?;
    assert!(
        runs_on_evscope(server.child.id())?,
        "memcached loaded evscope's library"
    );
    exercise(server.port, 8, 400)?;
    let out = stop(server)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("evscope:"),
        "the library refused a call: {stderr}"
    );
    Ok(())
}

#[test]
fn memcached_traced_the_trace_validates() -> TestResult {
    let Some(exe) = installed(MEMCACHED)? else {
        return Ok(());
    };
    let shim = shim()?;
    let dir = tempfile::tempdir()?;
    let trace = dir.path().join("memcached.jsonl");
    let server = start_memcached(&exe, shim.path(), Some(&trace))?;
    exercise(server.port, 8, 60)?;
    let out = stop(server)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("evscope:"),
        "the library refused a call: {stderr}"
    );
    let (header, records) = read_trace(&trace)?;
    assert_eq!(header.backend, "epoll");
    // Every base memcached makes is in the one trace: base 0 (its first) and the four workers'
    // (base 1 to 4), each introduced by a base_new record; the reader checked each base's
    // records on their own. (Each base's loop hands its records over in batches, so the
    // base_new records may come in any order.)
    let mut bases: Vec<u32> = records
        .iter()
        .filter(|r| matches!(r.body, Body::BaseNew { .. }))
        .map(|r| r.base)
        .collect();
    bases.sort_unstable();
    assert_eq!(bases, [1, 2, 3, 4], "four more bases");
    let of = |b: u32| records.iter().filter(move |r| r.base == b);
    for b in 0..=4 {
        assert!(
            of(b).any(|r| r.body.kind() == "event_new"),
            "base {b} has events"
        );
        assert!(
            of(b).any(|r| r.body.kind() == "loop_iteration"),
            "base {b}'s loop ran"
        );
    }
    // Base 0 is the main thread's (memcached makes it before starting its workers): its
    // listening socket's READ|PERSIST event accepts each connection and hands it to a worker
    // through the worker's notify pipe; the workers' bases (1 to 4) then serve the clients.
    let listening: Vec<u64> = of(0)
        .filter_map(|r| match &r.body {
            Body::EventNew {
                ev,
                fd: Some(_),
                what,
                ..
            } if what.contains(What::READ | What::PERSIST) => Some(*ev),
            _ => None,
        })
        .collect();
    let accepts = of(0)
        .filter(|r| matches!(&r.body, Body::CallbackBegin { ev, .. } if listening.contains(ev)))
        .count();
    assert!(
        accepts >= 1,
        "the main base's listening event's callback ran"
    );
    let callbacks: Vec<usize> = (0..=4)
        .map(|b| of(b).filter(|r| r.body.kind() == "callback_begin").count())
        .collect();
    assert!(
        callbacks[1..].iter().all(|n| *n > 0),
        "every worker base ran callbacks: {callbacks:?}"
    );
    // A worker's base is made by the main thread and run by its own: the trace names the
    // thread that runs it.
    let run_elsewhere = records
        .iter()
        .filter(|r| {
            matches!(
                r.body,
                Body::LoopIteration {
                    thread: Some(_),
                    ..
                }
            )
        })
        .map(|r| r.base)
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        run_elsewhere.len() >= 4,
        "the worker loops name their threads: {run_elsewhere:?}"
    );
    eprintln!(
        "memcached's trace: {} records, {} events, 5 bases, callbacks per base {callbacks:?} \
         ({accepts} of the main base's listening event)",
        records.len(),
        count(&records, "event_new"),
    );
    Ok(())
}

// ----- tmux ----------------------------------------------------------------------------------

/// Runs one tmux client command on the private socket, on evscope's library.
fn tmux(
    exe: &Path,
    shim: &Path,
    socket: &Path,
    trace: &Path,
    args: &[&str],
) -> Result<String, Box<dyn Error>> {
    let mut cmd = Command::new(exe);
    cmd.arg("-S")
        .arg(socket)
        .args(["-f", "/dev/null"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("TMUX")
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm")
        .env("HOME", socket.parent().unwrap_or(Path::new("/")));
    substituted(&mut cmd, shim);
    cmd.env("EVSCOPE_TRACE", format!("file:{}", trace.display()));
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + STEP;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("tmux {args:?} ran for more than 30 s").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(format!(
            "tmux {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// True while the process `pid` exists and has not exited (a zombie has).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
    })
}

/// Kills a tmux server left behind by a failed test.
struct ServerGuard(Option<u32>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            if alive(pid) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

#[test]
fn tmux_server_forks_reinits_and_shows_what_was_typed() -> TestResult {
    let Some(exe) = installed(TMUX)? else {
        return Ok(());
    };
    let shim = shim()?;
    let dir = tempfile::tempdir()?;
    let socket = dir.path().join("tmux.sock");
    let trace = dir.path().join("tmux.jsonl");
    let run = |args: &[&str]| tmux(&exe, shim.path(), &socket, &trace, args);

    run(&["new-session", "-d", "-x", "80", "-y", "24"])?;
    let pid: u32 = run(&["display-message", "-p", "#{pid}"])?.trim().parse()?;
    let mut guard = ServerGuard(Some(pid));
    assert!(
        runs_on_evscope(pid)?,
        "the forked server loaded evscope's library"
    );

    // Type once the shell has drawn its prompt: keys typed ahead are echoed by the terminal
    // before the prompt, and the answer then shares the prompt's line.
    let deadline = Instant::now() + STEP;
    while run(&["capture-pane", "-p"])?.trim().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    run(&["send-keys", "echo typed-$((6 * 7))", "Enter"])?;
    let deadline = Instant::now() + STEP;
    let screen = loop {
        let screen = run(&["capture-pane", "-p"])?;
        // The command line, and the shell's answer to it: on a line of its own, or after a
        // prompt if the shell drew one late.
        if screen.contains("echo typed-$((6 * 7))")
            && screen
                .lines()
                .any(|l| l == "typed-42" || l.ends_with(" typed-42"))
        {
            break screen;
        }
        if Instant::now() > deadline {
            return Err(
                format!("the pane never showed the typed command's output:\n{screen}").into(),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(screen.lines().count() >= 2, "{screen}");

    run(&["kill-server"])?;
    let deadline = Instant::now() + STEP;
    while alive(pid) {
        if Instant::now() > deadline {
            return Err("the tmux server did not exit within 30 s of kill-server".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    guard.0 = None;

    // The server is a forked child that called event_reinit: its trace is its own file,
    // named with its pid, and starts where the fork left its base.
    let child_trace = evscope::trace::child_path(&trace, pid);
    let (header, records) =
        read_trace(&child_trace).map_err(|e| format!("{}: {e}", child_trace.display()))?;
    assert_eq!(header.pid, pid);
    assert_eq!(header.backend, "poll", "tmux asks for poll (EVENT_NOEPOLL)");
    let first = records.first().ok_or("the server's trace is empty")?;
    assert!(
        matches!(first.body, Body::Dropped { count } if count == first.seq && count > 0),
        "the child's trace starts with the records before the fork, in its parent's: {first:?}"
    );
    assert!(count(&records, "poll_begin") >= 3, "the server's loop ran");
    assert!(count(&records, "callback_begin") >= 3, "its callbacks ran");
    assert!(
        count(&records, "bev_new") >= 1,
        "the pane's bufferevent (bufferevent_new)"
    );
    // The last client's own trace, in the file named in EVSCOPE_TRACE.
    let (client, _) = read_trace(&trace)?;
    assert_ne!(client.pid, pid);
    Ok(())
}
