//! The course's programs, run as a student would: `examples/echo_server` and
//! `examples/seed_client`, with stdin from a regular file (which epoll refuses to watch) and
//! from a pipe, on every backend. `cargo test` builds the examples before running this.

use crate::util;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use util::*;

/// Starts echo_server on port 0 and returns it with the address it printed.
fn start_server(backend: &str) -> Result<(Killed, String), Box<dyn std::error::Error>> {
    start_server_with(backend, &[])
}

/// [`start_server`] with more arguments.
fn start_server_with(
    backend: &str,
    args: &[&str],
) -> Result<(Killed, String), Box<dyn std::error::Error>> {
    let child = Command::new(built_example("echo_server")?)
        .arg("127.0.0.1:0")
        .args(args)
        .env("EVSCOPE_BACKEND", backend)
        // Threads are counted: no recorder's thread beside the loop.
        .env_remove("EVSCOPE_TRACE")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut server = Killed(child);
    let stdout = server.0.stdout.take().ok_or("no stdout")?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected first line {first:?}"))?
        .to_string();
    Ok((server, addr))
}

/// Waits for `child` for at most `limit`, collecting its stdout and stderr meanwhile.
fn finish(mut child: Child, limit: Duration) -> Result<Finished, Box<dyn std::error::Error>> {
    let collect = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut all);
            }
            all
        })
    };
    let out = collect(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = collect(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {limit:?}").into());
        }
        std::thread::sleep(ms(10));
    };
    Ok(Finished {
        success: status.success(),
        stdout: out.join().map_err(|_| "reader panicked")?,
        stderr: err.join().map_err(|_| "reader panicked")?,
    })
}

struct Finished {
    success: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn lines_text() -> String {
    let mut text: String = (0..5000)
        .map(|i| format!("line {i} of the seed\n"))
        .collect();
    text.push_str("a last line without newline");
    text
}

#[test]
fn seed_client_echoes_a_file_on_stdin() {
    each_backend(|kind| {
        let (_server, addr) = start_server(kind.name())?;
        let text = lines_text();
        let path = std::env::temp_dir().join(format!(
            "evscope-seed-{}-{}.txt",
            std::process::id(),
            kind.name()
        ));
        std::fs::write(&path, &text)?;
        let client = Command::new(built_example("seed_client")?)
            .arg(&addr)
            .env("EVSCOPE_BACKEND", kind.name())
            .stdin(std::fs::File::open(&path)?)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let out = finish(client, Duration::from_secs(20));
        std::fs::remove_file(&path)?;
        let out = out?;
        assert!(
            out.success,
            "seed_client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout)?, text + "\n");
        Ok(())
    });
}

#[test]
fn seed_client_echoes_a_pipe_on_stdin() {
    each_backend(|kind| {
        let (_server, addr) = start_server(kind.name())?;
        let mut client = Command::new(built_example("seed_client")?)
            .arg(&addr)
            .env("EVSCOPE_BACKEND", kind.name())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdin = client.stdin.take().ok_or("no stdin")?;
        stdin.write_all(b"hello\n")?;
        std::thread::sleep(ms(20));
        stdin.write_all(b"world\n")?;
        drop(stdin);
        let out = finish(client, Duration::from_secs(20))?;
        assert!(
            out.success,
            "seed_client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"hello\nworld\n");
        Ok(())
    });
}

#[test]
fn seed_client_reports_a_refused_connection() {
    each_backend(|kind| {
        let addr = closed_port()?;
        let client = Command::new(built_example("seed_client")?)
            .arg(addr.to_string())
            .env("EVSCOPE_BACKEND", kind.name())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let out = finish(client, Duration::from_secs(20))?;
        assert!(!out.success);
        let err = String::from_utf8(out.stderr)?;
        assert!(err.contains("refused"), "{err}");
        Ok(())
    });
}

#[test]
fn echo_server_measuring_the_observers_floor_still_echoes_with_one_more_thread(
) -> Result<(), Box<dyn std::error::Error>> {
    use std::net::TcpStream;
    let threads = |server: &Killed| -> Result<usize, Box<dyn std::error::Error>> {
        Ok(std::fs::read_dir(format!("/proc/{}/task", server.0.id()))?.count())
    };
    let (plain, _) = start_server("epoll")?;
    let (server, addr) = start_server_with("epoll", &["--null-observer", "--idle-thread"])?;
    let mut conn = TcpStream::connect(&addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    conn.write_all(b"observed by nobody")?;
    let mut back = [0u8; 18];
    conn.read_exact(&mut back)?;
    assert_eq!(&back, b"observed by nobody");
    assert_eq!(threads(&server)?, threads(&plain)? + 1);
    Ok(())
}

#[test]
fn echo_server_names_its_options_when_given_another() -> Result<(), Box<dyn std::error::Error>> {
    let child = Command::new(built_example("echo_server")?)
        .args(["127.0.0.1:0", "--verbose"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = finish(child, Duration::from_secs(20))?;
    assert!(!out.success);
    let err = String::from_utf8(out.stderr)?;
    for option in [
        "--verbose",
        "--write-inline",
        "--null-observer",
        "--idle-thread",
    ] {
        assert!(err.contains(option), "{err}");
    }
    Ok(())
}
