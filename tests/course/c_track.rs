//! The lessons' C track (`tutorials/c/*.c`): every C program found there is compiled with the
//! lessons' own command (`cc -Wall -Wextra -Werror FILE -o NAME -levent`, the system's headers and
//! libevent), run on the system's libevent, run on evscope's `libevent.so` recording a trace, and
//! run under `evscope run --print` as the lesson tells students to. The checks come from the C
//! file itself, an `evscope:` block in its first comment (format: `tutorials/c/README.md`): the
//! peer it needs (a client for a server, a server for a client), what it must print, and the
//! timeline lines of `evscope replay TRACE --print [--lang zh]` its lesson says to watch.
//!
//! Every wait is bounded: a program that does not end within [`PROGRAM_LIMIT`] is killed and the
//! test fails with its output.

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// How long one run of a lesson's program may take before it is killed.
const PROGRAM_LIMIT: Duration = Duration::from_secs(60);
/// How long the peer waits for a connection, or for bytes it expects.
const PEER_LIMIT: Duration = Duration::from_secs(20);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn evscope_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_evscope"))
}

// ----- the `evscope:` block ----------------------------------------------------------------------

/// Who the test plays opposite the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// The program needs nobody.
    None,
    /// The program is a server: the test passes a free port as argv[1] and connects to it.
    Client,
    /// The program is a client: the test listens and passes its port as argv[1].
    Server,
    /// The program is a memcached client: the test starts `memcached -l 127.0.0.1` on a free
    /// port and passes the port as argv[1] (skipped, with a message, where memcached is missing).
    Memcached,
}

/// One thing the peer does, in the order of the block.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Read until what arrived (since the last expectation) contains these bytes.
    Expect(Vec<u8>),
    /// Read until this many more bytes arrived.
    ExpectBytes(usize),
    /// Read until the program closes its sending direction (end of file).
    ExpectEof,
    /// Shut down the peer's sending direction (a half-close).
    Shutdown,
    /// Close the connection.
    Close,
}

/// How many timeline lines may contain a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    Exactly(usize),
    AtLeast(usize),
}

impl Count {
    fn holds(self, n: usize) -> bool {
        match self {
            Count::Exactly(k) => n == k,
            Count::AtLeast(k) => n >= k,
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exactly(k) => write!(f, "exactly {k}"),
            Count::AtLeast(k) => write!(f, "at least {k}"),
        }
    }
}

/// What a C file's `evscope:` block asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    peer: Peer,
    steps: Vec<Step>,
    stdin: Option<Vec<u8>>,
    /// Fragments the program's stdout must contain, on both libraries.
    output: Vec<String>,
    /// Whether the program prints the same on both libraries.
    same_output: bool,
    /// Fragments of the English timeline, in order.
    watch: Vec<String>,
    /// Fragments of the Chinese timeline, in order.
    watch_zh: Vec<String>,
    /// How many lines of the English (false) or Chinese (true) timeline contain a fragment.
    counts: Vec<(bool, Count, String)>,
}

/// The timeline fragments a C program's block has this test find in its real output, for one
/// language: its `watch:` lines and the fragments of its `watch-count:` lines that must appear
/// (not those counted 0). The lessons quote what a C program prints only from these.
pub(crate) fn checked_fragments(source: &str, zh: bool) -> Result<Vec<String>, String> {
    let spec = parse(source)?;
    let mut out = if zh { spec.watch_zh } else { spec.watch };
    out.extend(
        spec.counts
            .into_iter()
            .filter(|(lang, count, _)| *lang == zh && !matches!(count, Count::Exactly(0)))
            .map(|(_, _, fragment)| fragment),
    );
    Ok(out)
}

/// `\n`, `\r`, `\t`, `\\` and `\"` in a value; a value in double quotes keeps its spaces.
fn unescape(value: &str) -> Result<Vec<u8>, String> {
    let v = value.trim();
    let v = match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if v.len() >= 2 => inner,
        _ => v,
    };
    let mut out = Vec::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('"') => out.push(b'"'),
            other => {
                return Err(format!(
                    "unknown escape \\{} in {value:?}",
                    other.unwrap_or(' ')
                ))
            }
        }
    }
    Ok(out)
}

fn count_and_fragment(value: &str) -> Result<(Count, String), String> {
    let (n, fragment) = value.trim().split_once(' ').ok_or(format!(
        "expected `N FRAGMENT` or `N+ FRAGMENT`, got {value:?}"
    ))?;
    let count = match n.strip_suffix('+') {
        Some(k) => Count::AtLeast(k.parse().map_err(|_| format!("bad count {n:?}"))?),
        None => Count::Exactly(n.parse().map_err(|_| format!("bad count {n:?}"))?),
    };
    let fragment = fragment.trim();
    if fragment.is_empty() {
        return Err(format!("no fragment after the count in {value:?}"));
    }
    Ok((count, fragment.to_string()))
}

/// Reads the `evscope:` block of a C file's first comment.
fn parse(source: &str) -> Result<Spec, String> {
    let start = source
        .find("/*")
        .ok_or("no comment: the file must start with a comment holding an `evscope:` block")?;
    let end = source[start..]
        .find("*/")
        .map(|e| start + e)
        .ok_or("the first comment is not closed")?;
    let comment = &source[start + 2..end];
    let mut lines = comment
        .lines()
        .map(|l| l.trim().trim_start_matches('*').trim());
    if !lines.any(|l| l == "evscope:") {
        return Err("the first comment has no `evscope:` line".into());
    }
    let mut spec = Spec {
        peer: Peer::None,
        steps: Vec::new(),
        stdin: None,
        output: Vec::new(),
        same_output: true,
        watch: Vec::new(),
        watch_zh: Vec::new(),
        counts: Vec::new(),
    };
    let mut peer_seen = false;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let (key, value) = match line.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line, ""),
        };
        let needs_value = |what: &str| -> Result<&str, String> {
            if value.is_empty() {
                Err(format!("`{key}:` needs {what}"))
            } else {
                Ok(value)
            }
        };
        match key {
            "peer" => {
                spec.peer = match value {
                    "none" => Peer::None,
                    "client" => Peer::Client,
                    "server" => Peer::Server,
                    "memcached" => Peer::Memcached,
                    _ => {
                        return Err(format!(
                            "peer must be none, client or server (or memcached), not {value:?}"
                        ))
                    }
                };
                peer_seen = true;
            }
            "peer-send" => spec
                .steps
                .push(Step::Send(unescape(needs_value("the text")?)?)),
            "peer-send-repeat" => {
                let (n, text) = needs_value("`N TEXT`")?
                    .split_once(' ')
                    .ok_or(format!("peer-send-repeat needs `N TEXT`, got {value:?}"))?;
                let n: usize = n.parse().map_err(|_| format!("bad count {n:?}"))?;
                spec.steps.push(Step::Send(unescape(text)?.repeat(n)));
            }
            "peer-expect" => spec
                .steps
                .push(Step::Expect(unescape(needs_value("the text")?)?)),
            "peer-expect-bytes" => {
                let n = needs_value("a number")?;
                let n = n.parse().map_err(|_| format!("bad byte count {n:?}"))?;
                spec.steps.push(Step::ExpectBytes(n));
            }
            "peer-expect-eof" => spec.steps.push(Step::ExpectEof),
            "peer-shutdown" => spec.steps.push(Step::Shutdown),
            "peer-close" => spec.steps.push(Step::Close),
            "stdin" => spec.stdin = Some(unescape(needs_value("the text")?)?),
            "output" => spec.output.push(needs_value("a fragment")?.to_string()),
            "same-output" => {
                spec.same_output = match value {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(format!("same-output must be yes or no, not {value:?}")),
                }
            }
            "watch" => spec.watch.push(needs_value("a fragment")?.to_string()),
            "watch-zh" => spec.watch_zh.push(needs_value("a fragment")?.to_string()),
            "watch-count" => {
                let (c, f) = count_and_fragment(needs_value("`N FRAGMENT`")?)?;
                spec.counts.push((false, c, f));
            }
            "watch-count-zh" => {
                let (c, f) = count_and_fragment(needs_value("`N FRAGMENT`")?)?;
                spec.counts.push((true, c, f));
            }
            _ => return Err(format!("unknown key {key:?} in the evscope: block")),
        }
    }
    if !peer_seen {
        return Err(
            "the evscope: block must say `peer: none`, `peer: client` or `peer: server`".into(),
        );
    }
    if matches!(spec.peer, Peer::None | Peer::Memcached) && !spec.steps.is_empty() {
        return Err("peer-… steps need `peer: client` or `peer: server`".into());
    }
    if spec.watch.is_empty() || spec.watch_zh.is_empty() {
        return Err(
            "the evscope: block needs at least one `watch:` and one `watch-zh:` line".into(),
        );
    }
    Ok(spec)
}

// ----- checking a timeline -----------------------------------------------------------------------

/// Whether a timeline line holds a fragment: its pieces between `…` appear in the line, in order
/// (so `"on_read read" (fd … became active` skips the fd number).
fn matches(line: &str, fragment: &str) -> bool {
    let mut rest = line;
    for piece in fragment.split('…').map(str::trim).filter(|p| !p.is_empty()) {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Checks that `fragments` appear in `timeline` in order, each on a later line than the one
/// before; names the first that does not.
fn in_order(timeline: &str, fragments: &[String]) -> Result<(), String> {
    let lines: Vec<&str> = timeline.lines().collect();
    let mut from = 0;
    for (i, fragment) in fragments.iter().enumerate() {
        match lines[from..].iter().position(|l| matches(l, fragment)) {
            Some(at) => from += at + 1,
            None => {
                let anywhere = lines.iter().any(|l| matches(l, fragment));
                return Err(format!(
                    "watch line {} {fragment:?} {}",
                    i + 1,
                    if anywhere {
                        "is in the timeline, but not after the watch line before it"
                    } else {
                        "is not in the timeline"
                    }
                ));
            }
        }
    }
    Ok(())
}

/// Checks a spec's watch lines and counts against the English and Chinese timelines.
fn check_timelines(spec: &Spec, en: &str, zh: &str) -> Result<(), String> {
    in_order(en, &spec.watch).map_err(|e| format!("English timeline: {e}"))?;
    in_order(zh, &spec.watch_zh).map_err(|e| format!("Chinese timeline (--lang zh): {e}"))?;
    for (is_zh, count, fragment) in &spec.counts {
        let timeline = if *is_zh { zh } else { en };
        let n = timeline.lines().filter(|l| matches(l, fragment)).count();
        if !count.holds(n) {
            return Err(format!(
                "{} timeline: {n} lines contain {fragment:?}, expected {count}",
                if *is_zh { "Chinese" } else { "English" }
            ));
        }
    }
    Ok(())
}

// ----- running a program with its peer -----------------------------------------------------------

/// What one run left behind.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn describe(&self) -> String {
        format!(
            "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// A port nobody listens on now, for a server program to listen on.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn read_some(
    stream: &mut TcpStream,
    got: &mut Vec<u8>,
    deadline: Instant,
) -> Result<usize, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err("timed out".into());
    }
    stream
        .set_read_timeout(Some(left))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 16384];
    match stream.read(&mut buf) {
        Ok(n) => {
            got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Err("timed out".into())
        }
        Err(e) if e.kind() == ErrorKind::Interrupted => Ok(usize::MAX),
        Err(e) => Err(e.to_string()),
    }
}

/// The peer's steps on a connected stream.
fn play(mut stream: TcpStream, steps: &[Step]) -> Result<(), String> {
    let mut got = Vec::new();
    let mut seen = 0; // bytes of `got` the expectations have consumed
    let shown = |got: &[u8]| String::from_utf8_lossy(got).into_owned();
    for step in steps {
        let deadline = Instant::now() + PEER_LIMIT;
        match step {
            Step::Send(bytes) => stream
                .write_all(bytes)
                .map_err(|e| format!("peer-send: {e}"))?,
            Step::Expect(text) => loop {
                if let Some(at) = got[seen..].windows(text.len()).position(|w| w == &text[..]) {
                    seen += at + text.len();
                    break;
                }
                match read_some(&mut stream, &mut got, deadline) {
                    Ok(0) => {
                        return Err(format!(
                            "peer-expect {:?}: the program closed the connection; received {:?}",
                            shown(text),
                            shown(&got)
                        ))
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Err(format!(
                            "peer-expect {:?}: {e}; received {:?}",
                            shown(text),
                            shown(&got)
                        ))
                    }
                }
            },
            Step::ExpectBytes(n) => {
                while got.len() < seen + n {
                    match read_some(&mut stream, &mut got, deadline) {
                        Ok(0) => {
                            return Err(format!(
                                "peer-expect-bytes {n}: the program closed the connection after {} bytes",
                                got.len() - seen
                            ))
                        }
                        Ok(_) => {}
                        Err(e) => {
                            return Err(format!(
                                "peer-expect-bytes {n}: {e} after {} bytes",
                                got.len() - seen
                            ))
                        }
                    }
                }
                seen += n;
            }
            Step::ExpectEof => loop {
                match read_some(&mut stream, &mut got, deadline) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        return Err(format!(
                            "peer-expect-eof: {e}; received {:?}",
                            shown(&got[seen..])
                        ))
                    }
                }
            },
            Step::Shutdown => stream
                .shutdown(Shutdown::Write)
                .map_err(|e| format!("peer-shutdown: {e}"))?,
            Step::Close => return Ok(()),
        }
    }
    Ok(())
}

/// The peer's side of one run: connects (or accepts), then plays the steps. Gives up when the
/// program has ended (`ended`) or after [`PEER_LIMIT`].
fn peer(
    kind: Peer,
    port: u16,
    listener: Option<TcpListener>,
    steps: Vec<Step>,
    ended: Arc<AtomicBool>,
) -> Result<(), String> {
    let deadline = Instant::now() + PEER_LIMIT;
    let stream = match kind {
        Peer::None | Peer::Memcached => return Ok(()),
        Peer::Client => loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) if ended.load(Ordering::SeqCst) => {
                    return Err(format!(
                        "the program ended before the peer could connect: {e}"
                    ))
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("cannot connect to 127.0.0.1:{port}: {e}"))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        },
        Peer::Server => {
            let listener = listener.ok_or("no listener")?;
            listener.set_nonblocking(true).map_err(|e| e.to_string())?;
            loop {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).map_err(|e| e.to_string())?;
                        break s;
                    }
                    Err(_) if ended.load(Ordering::SeqCst) => {
                        return Err("the program ended without connecting to the peer".into())
                    }
                    Err(e) if Instant::now() > deadline => {
                        return Err(format!("no connection to 127.0.0.1:{port}: {e}"))
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    };
    play(stream, &steps)
}

/// Runs `cmd` (the program, or evscope running it) with the spec's peer and stdin. With a peer,
/// `port` goes last on the command line, the program's argv[1]: the same port for each run of a
/// program, so that what it prints about it is the same too.
fn run(mut cmd: Command, spec: &Spec, port: u16) -> Result<Ran, String> {
    let listener = match spec.peer {
        Peer::Server => Some(
            TcpListener::bind(("127.0.0.1", port))
                .map_err(|e| format!("the peer cannot listen on 127.0.0.1:{port}: {e}"))?,
        ),
        Peer::None | Peer::Client | Peer::Memcached => None,
    };
    let memcached = match spec.peer {
        Peer::Memcached => Some(Memcached::start(port)?),
        _ => None,
    };
    if spec.peer != Peer::None {
        cmd.arg(port.to_string());
    }
    cmd.stdin(if spec.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let feeder = match (spec.stdin.clone(), child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })),
        _ => None,
    };
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let ended = Arc::new(AtomicBool::new(false));
    let peer_thread = {
        let (kind, steps, ended) = (spec.peer, spec.steps.clone(), ended.clone());
        std::thread::spawn(move || peer(kind, port, listener, steps, ended))
    };
    let deadline = Instant::now() + PROGRAM_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for the program: {e}")),
        }
    };
    ended.store(true, Ordering::SeqCst);
    let peer_result = peer_thread
        .join()
        .unwrap_or(Err("the peer panicked".into()));
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    drop(memcached);
    let Some(status) = status else {
        return Err(format!(
            "still running after {} s: killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            PROGRAM_LIMIT.as_secs()
        ));
    };
    let ran = Ran {
        status,
        stdout,
        stderr,
    };
    if let Err(e) = peer_result {
        return Err(format!("the peer: {e}\n{}", ran.describe()));
    }
    if !ran.status.success() {
        return Err(format!("did not exit 0: {}", ran.describe()));
    }
    Ok(ran)
}

/// memcached on 127.0.0.1 for a memcached client, on the system's libevent; killed (and reaped)
/// when dropped.
struct Memcached {
    child: std::process::Child,
}

impl Drop for Memcached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Memcached {
    /// Whether `memcached` can be started here.
    fn available() -> bool {
        Command::new("memcached")
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts memcached on `port` and waits until it accepts connections.
    fn start(port: u16) -> Result<Memcached, String> {
        let mut cmd = Command::new("memcached");
        cmd.args(["-l", "127.0.0.1", "-U", "0", "-p", &port.to_string()])
            // As root memcached wants a user to run as; otherwise -u is ignored.
            .args(["-u", "root"])
            .env_remove("LD_LIBRARY_PATH")
            .env_remove("EVSCOPE_TRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut server = Memcached {
            child: cmd
                .spawn()
                .map_err(|e| format!("cannot start memcached: {e}"))?,
        };
        let deadline = Instant::now() + PEER_LIMIT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = server.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(format!("memcached exited at start ({status}): {err}"));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "memcached did not listen on 127.0.0.1:{port} in time"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

// ----- building --------------------------------------------------------------------------------

/// Why the C track cannot be checked here, if it cannot.
fn missing_tools() -> Option<String> {
    if Command::new("cc").arg("--version").output().is_err() {
        return Some("no C compiler (cc) on PATH".into());
    }
    if !Path::new("/usr/include/event2/event.h").exists() {
        return Some("no libevent headers in /usr/include/event2 (install libevent-dev)".into());
    }
    None
}

/// evscope's `libevent.so`, brought up to date by `cargo build -p evscope-libevent` (a test of
/// the root crate does not build the capi crate by itself), once per test binary.
fn library() -> Result<PathBuf, String> {
    static LIB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = evscope_bin()
            .parent()
            .ok_or("the evscope binary has no directory")?
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet", "-p", "evscope-libevent"])
            .current_dir(root());
        if dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let out = build
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo build -p evscope-libevent failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let lib = dir.join("libevent.so");
        if lib.is_file() {
            Ok(lib)
        } else {
            Err(format!("{} is missing after cargo build", lib.display()))
        }
    })
    .clone()
}

/// The lessons' C programs, in order.
fn sources() -> Res<Vec<PathBuf>> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(root().join("tutorials/c"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "c") {
            all.push(path);
        }
    }
    all.sort();
    Ok(all)
}

fn stem(source: &Path) -> String {
    source
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compiles a C file as the lessons do, with warnings as errors.
fn compile(source: &Path, out: &Path) -> Result<(), String> {
    let done = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror"])
        .arg(source)
        .arg("-o")
        .arg(out)
        .arg("-levent")
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if done.status.success() {
        Ok(())
    } else {
        Err(format!(
            "cc -Wall -Wextra -Werror {} -levent failed:\n{}",
            source.display(),
            String::from_utf8_lossy(&done.stderr)
        ))
    }
}

/// A directory in which the system's libevent sonames all name evscope's library: first on
/// `LD_LIBRARY_PATH`, it makes a program built on libevent run on evscope's (as `evscope run` does).
fn shim_dir(lib: &Path, dir: &Path) -> std::io::Result<()> {
    for name in [
        "libevent-2.1.so.7",
        "libevent_core-2.1.so.7",
        "libevent_extra-2.1.so.7",
        "libevent_pthreads-2.1.so.7",
    ] {
        std::os::unix::fs::symlink(lib, dir.join(name))?;
    }
    Ok(())
}

/// A command with the environment of the tests removed (a stray EVSCOPE_TRACE or cargo's
/// LD_LIBRARY_PATH would change what runs).
fn clean(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_remove("EVSCOPE_TRACE")
        .env_remove("EVSCOPE_BACKEND")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_BIND_NOW");
    cmd
}

fn replay(trace: &Path, zh: bool) -> Result<String, String> {
    let mut cmd = clean(&evscope_bin());
    cmd.arg("replay").arg(trace).arg("--print");
    if zh {
        cmd.args(["--lang", "zh"]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run evscope replay: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "evscope replay --print failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What the first lines of a timeline look like, for a failure message.
fn excerpt(timeline: &str) -> String {
    let lines: Vec<&str> = timeline.lines().collect();
    let mut s = lines
        .iter()
        .take(80)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > 80 {
        s.push_str(&format!("\n… ({} lines in all)", lines.len()));
    }
    s
}

/// Everything the C track checks for one program.
fn check_program(source: &Path, lib: &Path, work: &Path) -> Result<(), String> {
    let name = stem(source);
    let text = std::fs::read_to_string(source).map_err(|e| e.to_string())?;
    let spec = parse(&text)?;
    if spec.peer == Peer::Memcached && !Memcached::available() {
        eprintln!(
            "skipping tutorials/c/{name}.c: memcached is not installed (apt-get install memcached)"
        );
        return Ok(());
    }
    let exe = work.join(&name);
    compile(source, &exe)?;

    // 1. On the system's libevent, unchanged.
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let system =
        run(clean(&exe), &spec, port).map_err(|e| format!("on the system's libevent: {e}"))?;

    // 2. On evscope's library, recording a trace.
    let shim = work.join(format!("{name}-lib"));
    std::fs::create_dir_all(&shim).map_err(|e| e.to_string())?;
    shim_dir(lib, &shim).map_err(|e| format!("{}: {e}", shim.display()))?;
    let trace = work.join(format!("{name}.jsonl"));
    let mut cmd = clean(&exe);
    cmd.env("LD_LIBRARY_PATH", &shim)
        .env("LD_BIND_NOW", "1")
        .env("EVSCOPE_TRACE", format!("file:{}", trace.display()));
    let observed = run(cmd, &spec, port).map_err(|e| format!("on evscope's libevent: {e}"))?;

    for fragment in &spec.output {
        for (lib, ran) in [("the system's libevent", &system), ("evscope's", &observed)] {
            if !ran.stdout.contains(fragment.as_str()) {
                return Err(format!(
                    "on {lib}, the output lacks {fragment:?}:\n{}",
                    ran.stdout
                ));
            }
        }
    }
    if spec.same_output && system.stdout != observed.stdout {
        return Err(format!(
            "the program prints differently on the two libraries (say `same-output: no` if it \
             must):\n--- on the system's libevent ---\n{}\n--- on evscope's ---\n{}",
            system.stdout, observed.stdout
        ));
    }

    let valid = clean(&evscope_bin())
        .arg("validate")
        .arg(&trace)
        .output()
        .map_err(|e| e.to_string())?;
    if !valid.status.success() {
        return Err(format!(
            "evscope validate {}: {}{}",
            trace.display(),
            String::from_utf8_lossy(&valid.stdout),
            String::from_utf8_lossy(&valid.stderr)
        ));
    }
    let en = replay(&trace, false)?;
    let zh = replay(&trace, true)?;
    check_timelines(&spec, &en, &zh).map_err(|e| {
        format!(
            "{e}\n--- evscope replay {name}.jsonl --print ---\n{}",
            excerpt(if e.starts_with("Chinese") { &zh } else { &en })
        )
    })?;

    // 3. The lesson's own command: `evscope run --print -- ./NAME`.
    let tmp = work.join(format!("{name}-tmp"));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let mut cmd = clean(&evscope_bin());
    cmd.args(["run", "--print", "--"])
        .arg(&exe)
        .env("EVSCOPE_LIBEVENT", lib)
        .env("TMPDIR", &tmp);
    let live = run(cmd, &spec, port).map_err(|e| format!("under evscope run --print: {e}"))?;
    if !live.stdout.lines().any(|l| l.starts_with("# live:")) {
        return Err(format!(
            "evscope run --print did not show the program live:\n{}",
            live.describe()
        ));
    }
    in_order(&live.stdout, &spec.watch)
        .map_err(|e| format!("under evscope run --print: {e}\n{}", excerpt(&live.stdout)))?;
    Ok(())
}

#[test]
fn every_c_program_runs_on_both_libraries_and_shows_what_its_lesson_says() -> Res<()> {
    let all = sources()?;
    assert!(!all.is_empty(), "tutorials/c holds no C program");
    if let Some(why) = missing_tools() {
        eprintln!("skipping the C track: {why}");
        return Ok(());
    }
    let lib = library()?;
    let work = tempfile::tempdir()?;
    // Each program in a thread of its own: most of their time is spent waiting on timers.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = all
            .iter()
            .map(|source| {
                let (lib, work) = (&lib, work.path());
                scope.spawn(move || check_program(source, lib, work))
            })
            .collect();
        all.iter()
            .zip(runs)
            .filter_map(|(source, run)| {
                let result = run.join().unwrap_or(Err("the check panicked".into()));
                result
                    .err()
                    .map(|e| format!("== tutorials/c/{}.c: {e}", stem(source)))
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

#[test]
fn every_c_program_belongs_to_a_lesson_that_shows_it_in_both_languages() -> Res<()> {
    let mut names = HashSet::new();
    for source in sources()? {
        let name = stem(&source);
        assert!(
            name.len() > 3
                && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
                && &name[2..3] == "-",
            "{name}.c: the name must be the lesson's, NN-name"
        );
        assert!(names.insert(name.clone()));
        for lang in ["en", "zh"] {
            let md = root().join(format!("tutorials/{lang}/{name}.md"));
            let lesson = std::fs::read_to_string(&md)
                .map_err(|e| format!("{name}.c has no lesson {}: {e}", md.display()))?;
            for needed in [
                format!("tutorials/c/{name}.c"),
                format!("gcc tutorials/c/{name}.c -o {name} -levent"),
            ] {
                assert!(
                    lesson.contains(&needed),
                    "tutorials/{lang}/{name}.md does not show {needed:?}"
                );
            }
            // `run`'s own options (--step, --print, --lang) may come before the `--`.
            let run = format!(" -- ./{name}");
            assert!(
                lesson
                    .lines()
                    .any(|l| l.starts_with("cargo run --release -- run ") && l.contains(&run)),
                "tutorials/{lang}/{name}.md shows no line `cargo run --release -- run [OPTIONS] -- ./{name}`"
            );
        }
        let text = std::fs::read_to_string(&source)?;
        parse(&text).map_err(|e| format!("{name}.c: {e}"))?;
    }
    Ok(())
}

/// The C a lesson's C-track section shows (the code blocks under its heading).
fn c_blocks<'a>(lesson: &'a str, heading: &str) -> Option<Vec<String>> {
    let start = lesson.find(&format!("\n{heading}\n"))? + heading.len() + 2;
    let section = &lesson[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&'a str>> = None;
    for line in section.lines() {
        match (&mut current, line) {
            (None, "```c") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (Some(lines), l) => lines.push(l),
            (None, _) => {}
        }
    }
    Some(blocks)
}

#[test]
fn the_c_a_lesson_shows_is_the_c_file_s_own() -> Res<()> {
    for source in sources()? {
        let name = stem(&source);
        let text = std::fs::read_to_string(&source)?;
        for (lang, heading) in [
            ("en", "## The complete C program"),
            ("zh", "## 完整的 C 程序"),
        ] {
            let md = format!("tutorials/{lang}/{name}.md");
            let lesson = std::fs::read_to_string(root().join(&md))?;
            let blocks = c_blocks(&lesson, heading)
                .ok_or(format!("{md} has no section {heading:?} for {name}.c"))?;
            assert!(!blocks.is_empty(), "{md}: {heading:?} shows no C");
            for block in blocks {
                assert!(
                    text.contains(&block),
                    "{md} shows C that tutorials/c/{name}.c does not hold (copy it again):\n{block}"
                );
            }
        }
    }
    Ok(())
}

// ----- the harness itself ------------------------------------------------------------------------

#[test]
fn the_block_is_read_as_documented() {
    let spec = parse(
        "/* A server.\n * evscope:\n *   peer: client\n *   peer-send: \"hello\\n\"\n \
         *   peer-expect: hello\\n\n *   peer-shutdown\n *   peer-expect-eof\n \
         *   output: done\n *   same-output: no\n *   watch: \"echo_read\" became active\n \
         *   watch-zh: 变为激活\n *   watch-count: 2+ became pending\n \
         *   watch-count-zh: 0 已释放\n */\nint main(void) { return 0; }\n",
    )
    .expect("a valid block");
    assert_eq!(spec.peer, Peer::Client);
    assert_eq!(
        spec.steps,
        [
            Step::Send(b"hello\n".to_vec()),
            Step::Expect(b"hello\n".to_vec()),
            Step::Shutdown,
            Step::ExpectEof
        ]
    );
    assert_eq!(spec.output, ["done"]);
    assert!(!spec.same_output);
    assert_eq!(spec.watch, [r#""echo_read" became active"#]);
    assert_eq!(spec.watch_zh, ["变为激活"]);
    assert_eq!(
        spec.counts,
        [
            (false, Count::AtLeast(2), "became pending".to_string()),
            (true, Count::Exactly(0), "已释放".to_string())
        ]
    );
}

#[test]
fn a_bad_block_is_refused_with_a_message() {
    let block = |body: &str| format!("/*\n * evscope:\n{body} */\n");
    for (body, said) in [
        (" *   watch: x\n *   watch-zh: y\n", "must say `peer: none`"),
        (" *   peer: nobody\n", "peer must be none, client or server"),
        (" *   peer: none\n *   wach: x\n", "unknown key \"wach\""),
        (
            " *   peer: none\n *   peer-send: hi\n *   watch: x\n *   watch-zh: y\n",
            "need `peer: client`",
        ),
        (
            " *   peer: none\n *   watch: x\n",
            "at least one `watch:` and one `watch-zh:`",
        ),
        (" *   peer: none\n *   watch-count: many x\n", "bad count"),
        (
            " *   peer: none\n *   watch:\n",
            "`watch:` needs a fragment",
        ),
        (
            " *   peer: client\n *   peer-send: a\\qb\n",
            "unknown escape",
        ),
    ] {
        let err = parse(&block(body)).expect_err(body);
        assert!(err.contains(said), "{body:?}: {err}");
    }
    assert!(parse("int main(void) { return 0; }")
        .expect_err("no comment")
        .contains("no comment"));
    assert!(parse("/* just a comment */")
        .expect_err("no block")
        .contains("no `evscope:` line"));
}

#[test]
fn watch_lines_must_come_in_order_and_counts_must_hold() {
    let en = "a: new\nb: pending\na: pending\na: active\n";
    let spec = |watch: &[&str], counts: Vec<(bool, Count, String)>| Spec {
        peer: Peer::None,
        steps: Vec::new(),
        stdin: None,
        output: Vec::new(),
        same_output: true,
        watch: watch.iter().map(|s| s.to_string()).collect(),
        watch_zh: vec!["新".into()],
        counts,
    };
    let zh = "甲：新事件\n";
    assert_eq!(
        check_timelines(
            &spec(&["a: new", "a: pending", "a: active"], vec![]),
            en,
            zh
        ),
        Ok(())
    );
    let err = check_timelines(&spec(&["a: active", "a: pending"], vec![]), en, zh).unwrap_err();
    assert!(err.contains("not after the watch line before it"), "{err}");
    let err = check_timelines(&spec(&["a: freed"], vec![]), en, zh).unwrap_err();
    assert!(err.contains("is not in the timeline"), "{err}");
    let twice = vec![(false, Count::Exactly(2), ": pending".to_string())];
    assert_eq!(check_timelines(&spec(&["a"], twice), en, zh), Ok(()));
    let gap = vec![(false, Count::Exactly(1), "a: … act".to_string())];
    assert_eq!(check_timelines(&spec(&["b … pend"], gap), en, zh), Ok(()));
    let backwards = vec![(false, Count::Exactly(0), "active … a:".to_string())];
    assert_eq!(check_timelines(&spec(&["a"], backwards), en, zh), Ok(()));
    let never = vec![(false, Count::Exactly(0), "active".to_string())];
    let err = check_timelines(&spec(&["a"], never), en, zh).unwrap_err();
    assert!(
        err.contains("1 lines contain \"active\", expected exactly 0"),
        "{err}"
    );
}

/// The watch lines catch a program that does the wrong thing: lesson 1's ticker without
/// `EV_PERSIST` fires once and is never deleted, and its block says otherwise.
#[test]
fn a_ticker_that_forgot_ev_persist_fails_its_watch_lines() -> Res<()> {
    if let Some(why) = missing_tools() {
        eprintln!("skipping: {why}");
        return Ok(());
    }
    let source = root().join("tutorials/c/01-what-is-libevent.c");
    if !source.exists() {
        eprintln!("skipping: lesson 1's C program is not in this tree");
        return Ok(());
    }
    let text = std::fs::read_to_string(&source)?;
    let spec = parse(&text)?;
    let broken = text.replace("EV_PERSIST, on_tick", "0, on_tick");
    assert_ne!(
        broken, text,
        "lesson 1's program passes EV_PERSIST to event_new"
    );
    let work = tempfile::tempdir()?;
    let c = work.path().join("forgot.c");
    std::fs::write(&c, broken)?;
    let exe = work.path().join("forgot");
    compile(&c, &exe)?;
    let lib = library()?;
    shim_dir(&lib, work.path())?;
    let trace = work.path().join("forgot.jsonl");
    let mut cmd = clean(&exe);
    cmd.env("LD_LIBRARY_PATH", work.path())
        .env("LD_BIND_NOW", "1")
        .env("EVSCOPE_TRACE", format!("file:{}", trace.display()));
    run(cmd, &spec, 0)?;
    let (en, zh) = (replay(&trace, false)?, replay(&trace, true)?);
    let err = check_timelines(&spec, &en, &zh).expect_err("a one-shot ticker is not lesson 1's");
    assert!(err.contains("(timer, PERSIST)"), "{err}");
    Ok(())
}
