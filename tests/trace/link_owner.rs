//! The live link belongs to its user. Over TCP a viewer must first show the token the program
//! wrote to a file only its user can read; over a Unix socket each end asks the kernel
//! (`SO_PEERCRED`) who the other is. Checked with a second user: the `intruder` below, run as
//! uid 65534 through `setpriv`, can neither read records nor pause the program, on TCP and on a
//! Unix socket, while the owner still can.
//!
//! Switching users needs root (or `sudo -n`) and `setpriv`; without them these tests are
//! skipped with a note, except under `CI=true`, where that is a failure.

use crate::util;
use crate::util::trace as trace_util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use evscope::trace::link::AUTH_TIMEOUT;
use evscope::trace::{Control, LinkClient, LinkMsg, LinkToken, Status, ViewerListener};
use util::*;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The second user.
const OTHER_UID: u32 = 65534;
/// Generous: how long to wait for something that must happen.
const SOON: Duration = Duration::from_secs(15);
/// The intruder's role, and what it is given, travel in these variables.
const ROLE: &str = "EVSCOPE_INTRUDER";
const ADDR: &str = "EVSCOPE_INTRUDER_ADDR";
const TOKEN_FILE: &str = "EVSCOPE_INTRUDER_TOKEN_FILE";
const SOCKET: &str = "EVSCOPE_INTRUDER_SOCKET";

// ---------------------------------------------------------------------------------------------
// Running something as the second user.

/// Copies of the test binary and of `evscope` that the second user may run (the build
/// directory may be closed to it), and how to switch to that user.
struct OtherUser {
    /// `sudo -n` when not root.
    prefix: Vec<String>,
    dir: tempfile::TempDir,
}

impl OtherUser {
    /// `None` (after a note) when this machine cannot switch users, unless `CI=true`.
    fn get() -> Res<Option<OtherUser>> {
        let root = std::fs::metadata("/proc/self")?.uid() == 0;
        let works = |prefix: &[&str]| {
            let mut args: Vec<&str> = prefix.to_vec();
            args.extend([
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "true",
            ]);
            Command::new(args[0])
                .args(&args[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let prefix: Option<&[&str]> = if root && works(&[]) {
            Some(&[])
        } else if !root && works(&["sudo", "-n"]) {
            Some(&["sudo", "-n"])
        } else {
            None
        };
        let Some(prefix) = prefix else {
            let why = "cannot run a process as uid 65534 here (needs setpriv, and root or sudo -n)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                return Err(format!("{why}; CI=true, so this is a failure").into());
            }
            eprintln!("note: {why}; the second-user checks are skipped");
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        for (from, name) in [
            (std::env::current_exe()?, "intruder"),
            (trace_util::evscope_bin(), "evscope"),
        ] {
            let to = dir.path().join(name);
            std::fs::copy(from, &to)?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(Some(OtherUser {
            prefix: prefix.iter().map(|s| s.to_string()).collect(),
            dir,
        }))
    }

    /// `program args…` as uid 65534, with only `env` (and a PATH) in its environment.
    fn command(&self, program: &str, args: &[&str], env: &[(&str, String)]) -> Command {
        let mut all: Vec<String> = self.prefix.clone();
        all.extend(["env".into(), "-i".into(), "PATH=/usr/bin:/bin".into()]);
        all.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        all.extend(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ]
            .map(String::from),
        );
        all.push(self.dir.path().join(program).display().to_string());
        all.extend(args.iter().map(|s| s.to_string()));
        let mut cmd = Command::new(&all[0]);
        cmd.args(&all[1..]).current_dir(self.dir.path());
        cmd
    }

    /// Starts the intruder in `role`; it says `READY` when it has done its worst and holds its
    /// connections open until its stdin closes, then reports.
    fn intruder(&self, role: &str, env: &[(&str, String)]) -> Res<Intruder> {
        let mut env = env.to_vec();
        env.push((ROLE, role.to_string()));
        let mut child = self
            .command(
                "intruder",
                &[
                    "--exact",
                    "link_owner::intruder",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ],
                &env,
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let out = child.stdout.take().ok_or("no stdout")?;
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Intruder {
            child: Killed(child),
            stdin,
            lines,
        })
    }
}

/// The intruder, running as the second user.
struct Intruder {
    child: Killed,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Intruder {
    /// Waits for its `INTRUDER READY`.
    fn ready(&self) -> Res<()> {
        self.expect("INTRUDER READY").map(drop)
    }

    /// The rest of its first line with `marker`.
    fn expect(&self, marker: &str) -> Res<String> {
        let deadline = Instant::now() + SOON;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                // The test harness may have begun the line (`test intruder ... `).
                Ok(l) if l.contains(marker) => {
                    let at = l.find(marker).unwrap_or(0) + marker.len();
                    return Ok(l[at..].trim().into());
                }
                Ok(_) => {}
                Err(_) => return Err(format!("the intruder never said {marker:?}").into()),
            }
        }
    }

    /// Lets it go, and reads its report (a JSON object).
    fn report(mut self) -> Res<serde_json::Value> {
        drop(self.stdin.take());
        let report = self.expect("INTRUDER REPORT")?;
        let status = self.child.0.wait()?;
        let mut err = String::new();
        if let Some(mut e) = self.child.0.stderr.take() {
            e.read_to_string(&mut err)?;
        }
        if !status.success() {
            return Err(format!("the intruder failed ({status}): {err}").into());
        }
        Ok(serde_json::from_str(&report)?)
    }
}

// ---------------------------------------------------------------------------------------------
// The intruder itself.

/// Run by the tests below as uid 65534 (with `EVSCOPE_INTRUDER` saying what to try); does
/// nothing otherwise.
#[test]
#[ignore = "run by the other tests of this file, as another user"]
fn intruder() -> Res<()> {
    let Ok(role) = std::env::var(ROLE) else {
        return Ok(());
    };
    let report = match role.as_str() {
        "tcp" => intrude_tcp()?,
        "unix-listen" => intrude_unix_listen()?,
        "unix-connect" => intrude_unix_connect()?,
        other => return Err(format!("unknown role {other:?}").into()),
    };
    println!("INTRUDER REPORT {report}");
    Ok(())
}

fn var(name: &str) -> Res<String> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// Holds on until the test lets it go (closes its stdin).
fn hold() {
    println!("INTRUDER READY");
    let _ = std::io::stdout().flush();
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}

/// Against a program listening on TCP: read its token file, look for a token of its own,
/// connect with no token, a wrong token and no line at all, each time asking to pause.
fn intrude_tcp() -> Res<serde_json::Value> {
    let addr: SocketAddr = var(ADDR)?.parse()?;
    let token_file = var(TOKEN_FILE)?;
    let token_read = match std::fs::read(&token_file) {
        Ok(_) => "read".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    };
    let found = match LinkToken::find(addr.port()) {
        Ok(_) => "found".to_string(),
        Err(e) => e.to_string(),
    };
    let pause = b"{\"cmd\":\"pause\"}\n";
    let mut no_token = TcpStream::connect(addr)?;
    no_token.write_all(pause)?;
    let mut wrong = TcpStream::connect(addr)?;
    let guess = LinkToken::random()?;
    wrong.write_all(&guess.auth_line())?;
    wrong.write_all(pause)?;
    let silent = TcpStream::connect(addr)?;
    // Whatever the program sends each of them, until it closes (the silent one after the token
    // timeout).
    let collect = |s: TcpStream| {
        thread::spawn(move || {
            let _ = s.set_read_timeout(Some(AUTH_TIMEOUT * 3));
            BufReader::new(s)
                .lines()
                .map(|l| l.unwrap_or_else(|e| format!("(read failed: {e})")))
                .collect::<Vec<String>>()
        })
    };
    let (a, b, c) = (
        collect(no_token.try_clone()?),
        collect(wrong.try_clone()?),
        collect(silent.try_clone()?),
    );
    hold();
    let join = |h: thread::JoinHandle<Vec<String>>| h.join().unwrap_or_default();
    Ok(serde_json::json!({
        "token_read": token_read,
        "found": found,
        "no_token": join(a),
        "wrong_token": join(b),
        "silent": join(c),
    }))
}

/// Listens where a program was told to send its trace, and tries to pause it.
fn intrude_unix_listen() -> Res<serde_json::Value> {
    let path = PathBuf::from(var(SOCKET)?);
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))?;
    println!("INTRUDER LISTENING");
    let _ = std::io::stdout().flush();
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + SOON;
    let mut conn = loop {
        match listener.accept() {
            Ok((c, _)) => break Some(c),
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let mut got = Vec::new();
    if let Some(c) = conn.as_mut() {
        c.set_nonblocking(false)?;
        let _ = c.write_all(b"{\"cmd\":\"pause\"}\n");
        c.set_read_timeout(Some(Duration::from_secs(3)))?;
        let _ = c.read_to_end(&mut got);
    }
    hold();
    Ok(serde_json::json!({
        "connected": conn.is_some(),
        "bytes": got.len(),
    }))
}

/// Connects to a viewer's socket as if it were the observed program, and sends a header.
fn intrude_unix_connect() -> Res<serde_json::Value> {
    let path = var(SOCKET)?;
    let report = match UnixStream::connect(&path) {
        Err(e) => serde_json::json!({ "connect": format!("{:?}", e.kind()) }),
        Ok(mut s) => {
            let fake = "{\"format\":\"evscope-trace\",\"version\":1,\"backend\":\"epoll\",\
                        \"program\":\"intruder\",\"pid\":1,\"start_unix_us\":0}\n";
            let sent = s.write_all(fake.as_bytes()).is_ok();
            s.set_read_timeout(Some(Duration::from_secs(3)))?;
            let mut got = Vec::new();
            // Closed on it: the end of the stream, or a reset (it had unread lines).
            let closed = match s.read_to_end(&mut got) {
                Ok(_) => true,
                Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            };
            serde_json::json!({
                "connect": "ok",
                "sent": sent,
                "bytes": got.len(),
                "closed": closed,
            })
        }
    };
    hold();
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// `lines` is exactly one error status refusing the viewer: no header, no record.
fn assert_refused(what: &str, lines: &serde_json::Value) -> Res<()> {
    let lines: Vec<String> = serde_json::from_value(lines.clone())?;
    assert_eq!(lines.len(), 1, "{what}: {lines:?}");
    match serde_json::from_str::<Status>(&lines[0]) {
        Ok(Status::Error { message }) => {
            assert!(message.starts_with("refused: "), "{what}: {message}");
        }
        other => return Err(format!("{what}: not a refusal: {other:?} from {lines:?}").into()),
    }
    Ok(())
}

/// Round trips over a few connections, counted, until stopped.
struct Echoes {
    rounds: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Echoes {
    fn start(addr: SocketAddr) -> Echoes {
        let rounds = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (rounds.clone(), stop.clone());
        let thread = thread::spawn(move || -> std::io::Result<()> {
            let mut conns = Vec::new();
            for _ in 0..4 {
                let c = TcpStream::connect(addr)?;
                c.set_read_timeout(Some(Duration::from_secs(30)))?;
                conns.push(c);
            }
            let mut back = [0u8; 32];
            while !s.load(Ordering::SeqCst) {
                for c in &mut conns {
                    c.write_all(&[7u8; 32])?;
                    c.read_exact(&mut back)?;
                    r.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(())
        });
        Echoes {
            rounds,
            stop,
            thread: Some(thread),
        }
    }

    fn count(&self) -> u64 {
        self.rounds.load(Ordering::SeqCst)
    }

    /// True if round trips went on over `d`.
    fn moving(&self, d: Duration) -> bool {
        let before = self.count();
        thread::sleep(d);
        self.count() > before
    }

    fn wait_for(&self, n: u64) -> Res<()> {
        let deadline = Instant::now() + SOON;
        while self.count() < n {
            if Instant::now() > deadline {
                return Err(format!("echoes stuck at {} (waiting for {n})", self.count()).into());
            }
            thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    fn stop(mut self) -> Res<()> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().map_err(|_| "the echo thread panicked")??;
        }
        Ok(())
    }
}

#[test]
fn another_user_can_neither_read_nor_pause_a_program_over_tcp() -> Res<()> {
    let Some(other) = OtherUser::get()? else {
        return Ok(());
    };
    let runtime = tempfile::tempdir()?;
    let mut server = EchoProcess::start_with(
        evscope::ev::BackendKind::Epoll,
        None,
        &tcp_trace_env(runtime.path()),
    )?;
    let (link, token_file) = published_link(runtime.path(), SOON)?;
    let meta = std::fs::metadata(&token_file)?;
    assert_eq!(meta.mode() & 0o777, 0o600, "the token file is private");
    let echoes = Echoes::start(server.addr);
    echoes.wait_for(100)?;

    // The intruder's three connections asked to pause; it holds them open meanwhile.
    let intruder = other.intruder(
        "tcp",
        &[
            (ADDR, link.to_string()),
            (TOKEN_FILE, token_file.display().to_string()),
        ],
    )?;
    intruder.ready()?;
    assert!(
        echoes.moving(Duration::from_millis(300)),
        "the echo server stopped while the intruder was connected"
    );
    let report = intruder.report()?;
    assert_eq!(report["token_read"], "PermissionDenied", "{report}");
    assert!(
        report["found"]
            .as_str()
            .is_some_and(|s| s.contains("no link token")),
        "{report}"
    );
    assert_refused("no token", &report["no_token"])?;
    assert_refused("a wrong token", &report["wrong_token"])?;
    assert_refused("no line at all", &report["silent"])?;
    assert!(echoes.moving(Duration::from_millis(200)));

    // `evscope attach` as the intruder: no token of its own, and the owner's is not readable.
    for extra in [
        vec![],
        vec!["--token-file", token_file.to_str().ok_or("path")?],
    ] {
        let mut args = vec!["attach", "--print"];
        let addr = link.to_string();
        args.push(&addr);
        args.extend(extra.iter().copied());
        let out = other.command("evscope", &args, &[]).output()?;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "attach as another user worked: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains("no link token") || err.contains("Permission denied"),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "it printed records");
    }

    // The owner, with the token, reads and pauses.
    let token = LinkToken::read_file(&token_file)?;
    let mut owner = LinkClient::attach_with_token(link, false, &token)?;
    assert!(matches!(owner.recv()?, Some(LinkMsg::Header(_))));
    owner.send(&Control::Pause)?;
    loop {
        match owner.recv()? {
            Some(LinkMsg::Status(Status::Paused { .. })) => break,
            Some(_) => {}
            None => return Err("the link closed before pausing".into()),
        }
    }
    thread::sleep(Duration::from_millis(100));
    assert!(
        !echoes.moving(Duration::from_millis(300)),
        "the owner's pause did not hold the loop"
    );
    owner.sender().close();
    echoes.wait_for(echoes.count() + 100)?;
    echoes.stop()?;
    assert!(server.alive()?);
    Ok(())
}

#[test]
fn a_program_refuses_to_stream_to_a_unix_socket_of_another_user() -> Res<()> {
    let Some(other) = OtherUser::get()? else {
        return Ok(());
    };
    // A directory the intruder owns, where it listens as if it were the viewer.
    let dir = tempfile::tempdir()?;
    std::os::unix::fs::chown(dir.path(), Some(OTHER_UID), Some(OTHER_UID))?;
    let socket = dir.path().join("link.sock");
    let intruder = other.intruder("unix-listen", &[(SOCKET, socket.display().to_string())])?;
    intruder.expect("INTRUDER LISTENING")?;
    let out = Command::new(trace_util::example("ticker")?)
        .env("EVSCOPE_TRACE", format!("unix:{}", socket.display()))
        .stdin(Stdio::null())
        .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the program traced to another user's socket: {err}"
    );
    assert!(
        err.contains("refusing the trace viewer") && err.contains("uid 65534"),
        "{err}"
    );
    intruder.ready()?;
    let report = intruder.report()?;
    assert_eq!(report["connected"], true, "{report}");
    assert_eq!(report["bytes"], 0, "the intruder got something: {report}");
    Ok(())
}

#[test]
fn a_viewer_lets_in_only_a_program_of_its_own_user() -> Res<()> {
    let Some(other) = OtherUser::get()? else {
        return Ok(());
    };
    let listener = ViewerListener::bind_private()?;
    let socket = listener.path().to_path_buf();
    let env = [(SOCKET, socket.display().to_string())];

    // As made, the socket is out of the other user's reach.
    let report = other.intruder("unix-connect", &env)?.report()?;
    assert_eq!(report["connect"], "PermissionDenied", "{report}");

    // Opened up by mistake, the kernel still says who connects: the viewer turns it away.
    let dir = socket.parent().ok_or("socket dir")?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711))?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777))?;
    let (tx, accepted) = mpsc::channel();
    let deadline = Instant::now() + SOON;
    let viewer = thread::spawn(move || {
        let got = listener.accept_while(|| Instant::now() < deadline);
        let _ = tx.send(got.map(|s| s.map(|s| (s, listener))));
    });
    let intruder = other.intruder("unix-connect", &env)?;
    intruder.ready()?;
    assert!(
        accepted.try_recv().is_err(),
        "the viewer let in another user's program"
    );
    let report = intruder.report()?;
    assert_eq!(report["connect"], "ok", "{report}");
    assert_eq!(report["bytes"], 0, "{report}");
    assert_eq!(report["closed"], true, "{report}");

    // The owner's own program is let in, and the viewer steps it.
    let child = Command::new(trace_util::example("ticker")?)
        .env("EVSCOPE_TRACE", format!("unix:{}", socket.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()?;
    let mut child = Killed(child);
    let (stream, _listener) = accepted
        .recv_timeout(SOON)??
        .ok_or("the owner's program was not let in")?;
    viewer.join().map_err(|_| "the viewer thread panicked")?;
    let mut client = LinkClient::new(stream)?;
    client.send(&Control::Pause)?;
    match client.recv()? {
        Some(LinkMsg::Header(h)) => assert_eq!(h.pid, child.0.id(), "not the owner's program"),
        other => return Err(format!("expected the header, got {other:?}").into()),
    }
    client.send(&Control::Step { n: 1 })?;
    match client.recv()? {
        Some(LinkMsg::Record(r)) => assert_eq!(r.seq, 1),
        other => return Err(format!("expected record 1, got {other:?}").into()),
    }
    client.sender().close();
    wait_exit(&mut child.0)?;
    Ok(())
}

fn wait_exit(child: &mut Child) -> Res<()> {
    let deadline = Instant::now() + SOON;
    loop {
        if let Some(s) = child.try_wait()? {
            assert!(s.success(), "{s}");
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the program did not finish".into());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn attach_finds_the_token_itself_or_is_given_it() -> Res<()> {
    let chosen = "a-token-chosen-by-its-user";
    // (the program's token, attach's arguments beyond the address, attach's environment,
    // what it must say)
    type Case<'a> = (
        Option<&'a str>,
        bool,
        Vec<(&'a str, &'a str)>,
        Result<&'a str, &'a str>,
    );
    let cases: Vec<Case> = vec![
        (None, false, vec![], Ok("# live")),
        (None, true, vec![], Ok("# live")),
        (
            None,
            false,
            vec![("EVSCOPE_TRACE_TOKEN", "a-wrong-token-of-16-or-more")],
            Err("wrong token"),
        ),
        (
            Some(chosen),
            false,
            vec![("EVSCOPE_TRACE_TOKEN", chosen)],
            Ok("# live"),
        ),
    ];
    for (i, (program_token, token_file, attach_env, says)) in cases.into_iter().enumerate() {
        let runtime = tempfile::tempdir()?;
        let mut program = tcp_ticker(runtime.path())?;
        if let Some(t) = program_token {
            program.env("EVSCOPE_TRACE_TOKEN", t);
        }
        let mut program = Killed(program.spawn()?);
        let (link, file) = published_link(runtime.path(), SOON)?;
        let mut attach = Command::new(trace_util::evscope_bin());
        attach
            .args(["attach", "--print", &link.to_string()])
            .env_remove("EVSCOPE_TRACE_TOKEN")
            .envs(attach_env);
        if token_file {
            attach.arg("--token-file").arg(&file);
        }
        if program_token.is_some() || token_file {
            // Found without the runtime directory.
            attach.env_remove("XDG_RUNTIME_DIR");
        } else {
            attach.env("XDG_RUNTIME_DIR", runtime.path());
        }
        let out = attach.output()?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        match says {
            Ok(text) => {
                assert!(out.status.success(), "case {i}: {stderr}");
                assert!(stdout.contains(text), "case {i}: {stdout}");
                wait_exit(&mut program.0)?;
            }
            Err(text) => {
                assert!(!out.status.success(), "case {i}: {stdout}");
                assert!(stdout.is_empty(), "case {i}: records shown: {stdout}");
                assert_eq!(stderr.trim_end().lines().count(), 1, "case {i}: {stderr}");
                assert!(stderr.contains(text), "case {i}: {stderr}");
            }
        }
    }
    Ok(())
}

#[test]
fn attach_follow_finds_the_follower_token_and_watches_without_controlling() -> Res<()> {
    let runtime = tempfile::tempdir()?;
    let mut program = tcp_ticker(runtime.path())?;
    let mut program = Killed(program.spawn()?);
    let (link, owner_file) = published_link(runtime.path(), SOON)?;
    let follow_file = owner_file.with_file_name(format!("link-tcp-{}.follow.token", link.port()));
    let (owner, follow) = (
        LinkToken::read_file(&owner_file)?,
        LinkToken::read_file(&follow_file)?,
    );
    assert_ne!(owner, follow, "the follower token is not the owner's");
    let meta = std::fs::metadata(&follow_file)?;
    assert_eq!(
        meta.mode() & 0o777,
        0o600,
        "the follower token file is private"
    );

    // `--step` asks to pause, which a follower cannot: the two do not go together.
    let out = Command::new(trace_util::evscope_bin())
        .args(["attach", "--print", "--follow", "--step", &link.to_string()])
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let out = Command::new(trace_util::evscope_bin())
        .args(["attach", "--print", "--follow", &link.to_string()])
        .env_remove("EVSCOPE_TRACE_TOKEN")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("# live"), "{stdout}");
    wait_exit(&mut program.0)?;
    Ok(())
}

/// The ticker example (100 ticks), silent, traced to a TCP link with its tokens under
/// `runtime`.
fn tcp_ticker(runtime: &std::path::Path) -> Res<Command> {
    let mut program = Command::new(trace_util::example("ticker")?);
    program
        .arg("100")
        .envs(tcp_trace_env(runtime))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Ok(program)
}
