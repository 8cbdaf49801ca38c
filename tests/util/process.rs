//! Helpers for tests that run programs: the built examples, a child that is killed when dropped,
//! the course's echo server as a separate process (optionally with a small descriptor limit),
//! CPU time from /proc, and re-running a test in a child with a larger descriptor limit.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use evscope::ev::BackendKind;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// True when `EVSCOPE_SOAK` is set (and not "0"): the load and fault suite then runs longer.
pub fn soak() -> bool {
    std::env::var("EVSCOPE_SOAK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The path of a built example (`cargo test` builds the examples before running tests).
pub fn built_example(name: &str) -> Res<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("unexpected test binary location")?;
    let path = dir.join("examples").join(name);
    if !path.exists() {
        return Err(format!(
            "{} is not built: run `cargo test` (which builds the examples) or `cargo build --examples`",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// A child process killed and reaped when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `examples/echo_server` running as its own process, with its stdout lines on a channel.
pub struct EchoProcess {
    pub child: Killed,
    pub addr: SocketAddr,
    pub lines: Receiver<String>,
}

impl EchoProcess {
    /// Starts the echo server on `backend`, on 127.0.0.1 port 0; with `fd_limit`, inside
    /// `sh -c 'ulimit -n N; exec …'` so that it runs out of descriptors early.
    pub fn start(backend: BackendKind, fd_limit: Option<u32>) -> Res<EchoProcess> {
        EchoProcess::start_with(backend, fd_limit, &[])
    }

    /// [`EchoProcess::start`] with more environment (say `EVSCOPE_TRACE`, which is otherwise
    /// removed).
    pub fn start_with(
        backend: BackendKind,
        fd_limit: Option<u32>,
        env: &[(&str, String)],
    ) -> Res<EchoProcess> {
        let exe = built_example("echo_server")?;
        let mut cmd = match fd_limit {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" 127.0.0.1:0"))
                    .arg(exe);
                c
            }
            None => {
                let mut c = Command::new(exe);
                c.arg("127.0.0.1:0");
                c
            }
        };
        cmd.env_remove("EVSCOPE_TRACE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .env("EVSCOPE_BACKEND", backend.name())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut child = Killed(child);
        let (tx, lines) = mpsc::channel();
        for pipe in [
            child
                .0
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .0
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut server = EchoProcess {
            child,
            addr: "127.0.0.1:0".parse()?,
            lines,
        };
        server.addr = server
            .wait_for("listening on ", Duration::from_secs(20))?
            .trim()
            .parse()?;
        Ok(server)
    }

    /// The rest of the first line (stdout or stderr) starting with `prefix`, within `limit`.
    pub fn wait_for(&self, prefix: &str, limit: Duration) -> Res<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .map_err(|_| format!("no line starting with {prefix:?} within {limit:?}"))?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok(rest.to_string());
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// Still running (not exited, not killed by a signal)?
    pub fn alive(&mut self) -> Res<bool> {
        Ok(self.child.0.try_wait()?.is_none())
    }
}

/// User + system CPU time of a process in clock ticks (USER_HZ, 100 per second), from
/// /proc/PID/stat fields 14 and 15.
pub fn cpu_ticks(pid: u32) -> Res<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').ok_or("odd /proc stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the line, counting from 1; `after` starts at field 3.
    Ok(fields.get(11).ok_or("short stat")?.parse::<u64>()?
        + fields.get(12).ok_or("short stat")?.parse::<u64>()?)
}

/// The soft limit on open descriptors of this process, from /proc/self/limits.
pub fn soft_fd_limit() -> Res<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .ok_or("no 'Max open files' in /proc/self/limits")?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()
        .ok_or("odd /proc/self/limits")?;
    Ok(if soft == "unlimited" {
        u64::MAX
    } else {
        soft.parse()?
    })
}

const RERUN: &str = "EVSCOPE_TEST_RERUN";

/// Makes sure the test `name` (its path in the binary, `module::test`) may open `fds` descriptors.
/// Returns `Ok(false)` when this process already may: the caller goes on. Otherwise runs the
/// same test again in a child, `sh -c 'ulimit -n FDS; exec THIS_BINARY --exact NAME'`, and
/// returns `Ok(true)` if it passed (the caller returns at once), or its output as the error.
pub fn rerun_with_fd_limit(name: &str, fds: u64) -> Res<bool> {
    if soft_fd_limit()? >= fds {
        return Ok(false);
    }
    if std::env::var_os(RERUN).is_some() {
        return Err(format!("needs {fds} descriptors and could not raise the limit").into());
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {fds} || exit 3; exec \"$0\" --exact {name} --nocapture --test-threads 1"
        ))
        .arg(std::env::current_exe()?)
        .env(RERUN, "1")
        .output()?;
    if out.status.success() {
        return Ok(true);
    }
    Err(format!(
        "{name} in a child with `ulimit -n {fds}` failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .into())
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Makes the tests of one file that hold it take turns: hundreds of client sockets in this
/// process would push the descriptors of another test's in-process server past select's
/// FD_SETSIZE.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}
