//! Helpers for the C program tests: compile `tests/c/*.c` once per test binary, against
//! evscope's `libevent.so` and against the system's libevent, run them with a deadline, and
//! read their traces.

use std::collections::HashMap;
use std::error::Error;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use evscope::trace::{Body, Reader, Record};

pub type TestResult = Result<(), Box<dyn Error>>;

/// The backends every program runs on.
pub const BACKENDS: [&str; 3] = ["epoll", "poll", "select"];

/// The programs in `tests/c`, by name.
pub const PROGRAMS: [&str; 8] = [
    "timers", "stdin", "signal", "echo", "misuse", "compat", "structs", "methods",
];

/// Where cargo put this test binary's workspace artifacts: `libevent.so` and `evscope`.
pub fn artifacts() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    // target/<profile>/deps/<test binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// Where this build's `libevent.so` is: `deps/`, which `cargo test` always brings up to date
/// (the copy beside `evscope` is refreshed by `cargo build`).
pub fn library_dir() -> PathBuf {
    artifacts().join("deps")
}

/// Why the C tests cannot run here, if they cannot: no C compiler, or no libevent headers.
fn missing() -> Option<String> {
    if Command::new("cc").arg("--version").output().is_err() {
        return Some("no C compiler (cc) on PATH".into());
    }
    if !Path::new("/usr/include/event2/event.h").exists() {
        return Some("no libevent headers in /usr/include/event2 (install libevent-dev)".into());
    }
    None
}

/// One program built both ways.
pub struct Built {
    /// Linked against evscope's libevent.so (with an rpath to it).
    pub evscope: PathBuf,
    /// Linked against the system's libevent.
    pub system: PathBuf,
}

fn source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"))
}

/// Compiles `name` against evscope's library; the compiler's output on failure.
pub fn compile_evscope(name: &str, out: &Path) -> Result<(), String> {
    let dir = library_dir();
    cc(&[
        "-o".as_ref(),
        out.as_os_str(),
        source(name).as_os_str(),
        format!("-L{}", dir.display()).as_ref(),
        "-levent".as_ref(),
        format!("-Wl,-rpath,{}", dir.display()).as_ref(),
    ])
}

/// Compiles `name` against the system's libevent.
pub fn compile_system(name: &str, out: &Path) -> Result<(), String> {
    cc(&[
        "-o".as_ref(),
        out.as_os_str(),
        source(name).as_os_str(),
        "-levent".as_ref(),
    ])
}

fn cc(args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let out = Command::new("cc")
        .args(["-Wall", "-Wextra", "-O1"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Where compiled programs go.
pub fn out_dir() -> PathBuf {
    artifacts().join("capi-c-tests")
}

fn build_all() -> Result<HashMap<&'static str, Built>, String> {
    let lib = library_dir().join("libevent.so");
    if !lib.exists() {
        return Err(format!(
            "{} is missing: cargo builds it with the capi crate",
            lib.display()
        ));
    }
    let dir = out_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut built = HashMap::new();
    for name in PROGRAMS {
        let b = Built {
            evscope: dir.join(format!("{name}-evscope")),
            system: dir.join(format!("{name}-system")),
        };
        compile_evscope(name, &b.evscope).map_err(|e| format!("{name}.c against evscope: {e}"))?;
        compile_system(name, &b.system).map_err(|e| format!("{name}.c against libevent: {e}"))?;
        built.insert(name, b);
    }
    Ok(built)
}

/// The program `name` built both ways, compiled once per test binary; None (after saying
/// why on stderr) when this machine has no C compiler or no libevent headers.
pub fn program(name: &str) -> Result<Option<&'static Built>, Box<dyn Error>> {
    static BUILT: OnceLock<Result<HashMap<&'static str, Built>, String>> = OnceLock::new();
    if let Some(why) = missing() {
        eprintln!("skipping the C program tests: {why}");
        return Ok(None);
    }
    match BUILT.get_or_init(build_all) {
        Ok(all) => Ok(Some(all.get(name).ok_or(format!("no program {name}"))?)),
        Err(e) => Err(e.clone().into()),
    }
}

/// Runs `program` with `env` and `stdin`, killing it after 60 s.
pub fn run(
    program: &Path,
    args: &[&str],
    env: &[(&str, String)],
    stdin: Option<Vec<u8>>,
) -> Result<Output, Box<dyn Error>> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("EVSCOPE_TRACE")
        .env_remove("EVSCOPE_BACKEND")
        // cargo's own LD_LIBRARY_PATH (target/<profile>) would win over the programs' rpath.
        .env_remove("LD_LIBRARY_PATH")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    let feeder = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })),
        _ => None,
    };
    // Read both pipes while it runs, so a program with much to say never blocks on them.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
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
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            child.kill()?;
            let _ = child.wait();
            return Err(format!("{} ran for more than 60 s", program.display()).into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// The stdout of a run that must have succeeded.
pub fn stdout_of(out: &Output, what: &str) -> Result<String, Box<dyn Error>> {
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): stderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout.clone())?)
}

/// Reads and checks a trace with evscope's reader; it must be on `backend`.
pub fn read_trace(path: &Path, backend: &str) -> Result<Vec<Record>, Box<dyn Error>> {
    let mut reader = Reader::open(path)?;
    assert_eq!(reader.header().backend, backend);
    let mut records = Vec::new();
    while let Some(rec) = reader.next_record()? {
        records.push(rec);
    }
    Ok(records)
}

/// The ids of the events labeled `label`.
pub fn events_labeled(records: &[Record], label: &str) -> Vec<u64> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::EventNew { ev, label: l, .. } if l == label => Some(*ev),
            _ => None,
        })
        .collect()
}

/// The one event labeled `label`.
pub fn event_labeled(records: &[Record], label: &str) -> Result<u64, Box<dyn Error>> {
    match events_labeled(records, label)[..] {
        [ev] => Ok(ev),
        ref other => Err(format!("{} events labeled {label:?}, expected one", other.len()).into()),
    }
}

/// An event's transitions as ("from", "to", cause) names.
pub fn transitions(records: &[Record], ev: u64) -> Vec<(String, String, String)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Transition {
                ev: e,
                from,
                to,
                cause,
                ..
            } if *e == ev => Some((
                from.as_str().to_string(),
                to.as_str().to_string(),
                cause.to_string(),
            )),
            _ => None,
        })
        .collect()
}

/// How many of an event's transitions go `from` → `to`.
pub fn count(records: &[Record], ev: u64, from: &str, to: &str) -> usize {
    transitions(records, ev)
        .iter()
        .filter(|(f, t, _)| f == from && t == to)
        .count()
}

/// Runs the program on evscope's library on every backend, recording a trace; checks the
/// output equals the system libevent's and hands each trace to `check`.
pub fn same_as_system(
    name: &str,
    stdin: Option<Vec<u8>>,
    check: impl Fn(&str, &[Record]) -> TestResult,
) -> TestResult {
    let Some(p) = program(name)? else {
        return Ok(());
    };
    let expected = stdout_of(&run(&p.system, &[], &[], stdin.clone())?, "on libevent")?;
    assert!(!expected.is_empty());
    let dir = tempfile::tempdir()?;
    for backend in BACKENDS {
        let trace = dir.path().join(format!("{name}-{backend}.jsonl"));
        let env = [
            ("EVSCOPE_BACKEND", backend.to_string()),
            ("EVSCOPE_TRACE", format!("file:{}", trace.display())),
        ];
        let out = run(&p.evscope, &[], &env, stdin.clone())?;
        let got = stdout_of(&out, &format!("{name} on evscope's {backend}"))?;
        assert_eq!(got, expected, "{name} on the {backend} backend");
        let records = read_trace(&trace, backend)?;
        check(backend, &records).map_err(|e| format!("{name} on the {backend} backend: {e}"))?;
    }
    Ok(())
}
