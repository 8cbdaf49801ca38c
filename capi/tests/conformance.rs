//! The differential conformance suite: each C program in `tests/conformance/` prints, at fixed
//! points, everything a libevent 2.1 program can observe (pending flags, buffer lengths, the
//! order and flags of callbacks, return values, errno names). It is compiled once against the
//! system's headers and `-levent`, and the same binary runs on the system's libevent and on
//! evscope's `libevent.so` (substituted at load time, as `evscope run` does), on the epoll, poll
//! and select backends. The two runs must print the same bytes and exit the same way.

pub mod util;

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The sonames a program linked with `-levent` may ask the loader for.
const SONAMES: [&str; 4] = [
    "libevent-2.1.so.7",
    "libevent_core-2.1.so.7",
    "libevent_extra-2.1.so.7",
    "libevent_pthreads-2.1.so.7",
];

/// Variables of the caller's environment that would change what a run does.
const CLEARED: [&str; 16] = [
    "EVSCOPE_TRACE",
    "EVSCOPE_BACKEND",
    "EVSCOPE_LIBEVENT",
    "EVENT_NOEPOLL",
    "EVENT_NOPOLL",
    "EVENT_NOSELECT",
    "EVENT_NOKQUEUE",
    "EVENT_NODEVPOLL",
    "EVENT_NOEVPORT",
    "EVENT_NOWIN32",
    "EVENT_SHOW_METHOD",
    "EVENT_PRECISE_TIMER",
    "EVENT_EPOLL_USE_CHANGELIST",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "LD_BIND_NOW",
];

/// A run that has not finished by then is killed (every program also sets `alarm(5)`).
const DEADLINE: Duration = Duration::from_secs(30);

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        /// Every scenario, by file name.
        const SCENARIOS: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

scenarios![
    base_active_by,
    base_common_timeout,
    base_common_timeout_order,
    base_dispatch_limits,
    base_finalize,
    base_foreach_event,
    base_loopcontinue,
    base_num_events,
    base_once,
    base_running_event,
    base_time,
    bev_close_on_free,
    bev_defaults,
    bev_disable_in_readcb,
    bev_eof,
    bev_error_reset,
    bev_filter,
    bev_filter_events,
    bev_filter_flush,
    bev_filter_watermark,
    bev_free_in_callback,
    bev_half_close,
    bev_pair,
    bev_priority,
    bev_read_api,
    bev_read_chunks,
    bev_read_high,
    bev_read_watermark,
    bev_refcount,
    bev_setfd,
    bev_timeouts,
    bev_trigger,
    bev_write_chunks,
    compat_event_init,
    compat_event_set,
    connect_hostname,
    connect_ok,
    connect_refused,
    del_in_callback,
    dump_events,
    echo_server,
    event_active,
    event_lifecycle,
    event_no_fd,
    evbuffer_basic,
    evbuffer_callbacks,
    evbuffer_cb_bufferevent,
    evbuffer_cb_deferred,
    evbuffer_chains,
    evbuffer_file,
    evbuffer_freeze,
    evbuffer_frozen,
    evbuffer_peek,
    evbuffer_readln,
    evbuffer_reference,
    evbuffer_search,
    evutil_getaddrinfo,
    evutil_rng_time,
    evutil_strings_addrs,
    fork_reinit,
    free_in_callback,
    listener_accept_order,
    listener_close_on_free,
    listener_disable,
    listener_backlog,
    listener_error,
    log_callback,
    log_fatal,
    log_mem_functions,
    loop_flags,
    loopbreak,
    loopexit,
    pair_rounds,
    pair_timeouts,
    pair_watermarks,
    persist_oneshot,
    priorities,
    ratelim_cfg,
    ratelim_group,
    ratelim_pair,
    ratelim_read,
    ratelim_write,
    readd_timeout,
    readd_while_active,
    same_fd_order,
    signal_ncalls,
    signal_persist,
    struct_bufferevent,
    struct_event_fields,
    thread_bases,
    thread_bufferevent,
    thread_callbacks,
    thread_id_debug,
    thread_wake,
    write_path,
];

#[test]
fn every_scenario_file_has_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(source_dir())
        .expect("tests/conformance is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "c").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "tests/conformance/*.c and the scenarios![] list differ"
    );
}

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Why the suite cannot run here, if it cannot.
fn missing() -> Option<String> {
    if Command::new("cc").arg("--version").output().is_err() {
        return Some("no C compiler (cc) on PATH".into());
    }
    if !Path::new("/usr/include/event2/event.h").exists() {
        return Some("no libevent headers in /usr/include/event2 (install libevent-dev)".into());
    }
    None
}

/// evscope's `libevent.so`: the newer of `deps/` (which `cargo test` keeps up to date) and the
/// copy beside the binaries (refreshed by `cargo build`).
fn evscope_library() -> Option<PathBuf> {
    [
        util::library_dir().join("libevent.so"),
        util::artifacts().join("libevent.so"),
    ]
    .into_iter()
    .filter_map(|lib| Some((std::fs::metadata(&lib).ok()?.modified().ok()?, lib)))
    .max_by_key(|(modified, _): &(SystemTime, PathBuf)| *modified)
    .map(|(_, lib)| lib)
}

/// The libraries a scenario asks for beyond `-levent`, on its first line:
/// `/* link: -levent_pthreads -lpthread */`.
fn extra_libraries(src: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let first = text.lines().next().unwrap_or("");
    Ok(first
        .trim()
        .strip_prefix("/* link:")
        .and_then(|rest| rest.strip_suffix("*/"))
        .map(|libs| libs.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default())
}

/// Compiles one scenario against the system's headers and libevent.
fn compile(name: &str) -> Result<PathBuf, String> {
    let dir = util::artifacts().join("conformance");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.join(name);
    let src = source_dir().join(format!("{name}.c"));
    let result = Command::new("cc")
        .args(["-Wall", "-Wextra", "-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-levent")
        .args(extra_libraries(&src)?)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !result.status.success() {
        return Err(format!(
            "{} does not compile:\n{}",
            src.display(),
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    Ok(out)
}

/// A private directory of links, named after the system libraries' sonames, to `lib`.
fn shim(lib: &Path) -> Result<tempfile::TempDir, String> {
    let lib = lib
        .canonicalize()
        .map_err(|e| format!("{}: {e}", lib.display()))?;
    let dir = tempfile::Builder::new()
        .prefix("evscope-conformance-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    for name in SONAMES {
        std::os::unix::fs::symlink(&lib, dir.path().join(name))
            .map_err(|e| format!("cannot link {name}: {e}"))?;
    }
    Ok(dir)
}

/// The environment that selects `backend`, for whichever library reads which variable.
fn backend_env(backend: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![("EVSCOPE_BACKEND", backend.to_string())];
    if backend != "epoll" {
        env.push(("EVENT_NOEPOLL", "1".into()));
    }
    if backend == "select" {
        env.push(("EVENT_NOPOLL", "1".into()));
    }
    env
}

/// What one run printed and how it ended.
struct Run {
    status: Result<ExitStatus, String>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn status(&self) -> String {
        match &self.status {
            Ok(s) => s.to_string(),
            Err(e) => e.clone(),
        }
    }

    fn same_as(&self, other: &Run) -> bool {
        self.stdout == other.stdout
            && match (&self.status, &other.status) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
    }
}

fn run(program: &Path, env: &[(&str, String)]) -> Run {
    let mut cmd = Command::new(program);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Run {
                status: Err(format!("cannot start {}: {e}", program.display())),
                stdout: String::new(),
                stderr: String::new(),
            }
        }
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
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("killed after {} s", DEADLINE.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => break Err(format!("wait failed: {e}")),
        }
    };
    Run {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A line diff of the first differing region: a few common lines, then the lines that differ
/// (`-` the system's libevent, `+` evscope), found by a longest-common-subsequence over a
/// window after the first difference.
fn first_difference(system: &str, evscope: &str) -> String {
    let a: Vec<&str> = system.lines().collect();
    let b: Vec<&str> = evscope.lines().collect();
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = String::new();
    let _ = writeln!(out, "first difference at line {}:", start + 1);
    for line in &a[start.saturating_sub(3)..start] {
        let _ = writeln!(out, "    {line}");
    }
    const WINDOW: usize = 120;
    let wa = &a[start..a.len().min(start + WINDOW)];
    let wb = &b[start..b.len().min(start + WINDOW)];
    // lcs[i][j]: the length of the longest common subsequence of wa[i..] and wb[j..].
    let mut lcs = vec![vec![0u16; wb.len() + 1]; wa.len() + 1];
    for i in (0..wa.len()).rev() {
        for j in (0..wb.len()).rev() {
            lcs[i][j] = if wa[i] == wb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut shown, mut common_run) = (0, 0, 0, 0);
    while (i < wa.len() || j < wb.len()) && shown < 24 {
        if i < wa.len() && j < wb.len() && wa[i] == wb[j] {
            common_run += 1;
            if common_run > 2 {
                break;
            }
            let _ = writeln!(out, "    {}", wa[i]);
            i += 1;
            j += 1;
        } else if j < wb.len() && (i == wa.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            common_run = 0;
            let _ = writeln!(out, "  + {}", wb[j]);
            j += 1;
        } else {
            common_run = 0;
            let _ = writeln!(out, "  - {}", wa[i]);
            i += 1;
        }
        shown += 1;
    }
    if a.len() != b.len() || shown >= 24 {
        let _ = writeln!(
            out,
            "    ({} lines on the system's libevent, {} on evscope)",
            a.len(),
            b.len()
        );
    }
    out
}

fn indented(text: &str) -> String {
    if text.trim().is_empty() {
        return "    (empty)\n".into();
    }
    let mut out = String::new();
    for line in text.lines().take(20) {
        let _ = writeln!(out, "    {line}");
    }
    if text.lines().count() > 20 {
        let _ = writeln!(out, "    …");
    }
    out
}

/// Runs scenario `name` on both libraries and every backend; panics with every difference.
fn check(name: &str) {
    if let Some(why) = missing() {
        if std::env::var_os("CI").is_some() {
            panic!("the conformance suite cannot run: {why}");
        }
        eprintln!("skipping the conformance suite: {why}");
        return;
    }
    let program = compile(name).unwrap_or_else(|e| panic!("{e}"));
    let lib = evscope_library().unwrap_or_else(|| {
        panic!(
            "evscope's libevent.so is not in {}: cargo builds it with the capi crate",
            util::library_dir().display()
        )
    });
    let links = shim(&lib).unwrap_or_else(|e| panic!("{e}"));
    let shim_path = links.path().to_string_lossy().into_owned();

    let runs: Vec<(&str, Run, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = util::BACKENDS
            .iter()
            .map(|&backend| {
                let program = &program;
                let shim_path = &shim_path;
                let system = scope.spawn(move || run(program, &backend_env(backend)));
                let evscope = scope.spawn(move || {
                    let mut env = backend_env(backend);
                    env.push(("LD_LIBRARY_PATH", shim_path.clone()));
                    env.push(("LD_BIND_NOW", "1".into()));
                    run(program, &env)
                });
                (backend, system, evscope)
            })
            .collect();
        handles
            .into_iter()
            .map(|(backend, system, evscope)| {
                (
                    backend,
                    system.join().expect("the system run's thread"),
                    evscope.join().expect("the evscope run's thread"),
                )
            })
            .collect()
    });

    let mut report = String::new();
    for (backend, system, evscope) in &runs {
        let sane = matches!(&system.status, Ok(s) if s.success())
            && system.stdout.starts_with(&format!("method: {backend}\n"))
            && system.stdout.ends_with("done\n");
        if !sane {
            let _ = write!(
                report,
                "\n=== {name} on {backend}: the scenario itself fails on the system's libevent \
                 (it must print `method: {backend}` first, `done` last, and exit 0)\n\
                 exit status: {}\nstdout:\n{}stderr:\n{}",
                system.status(),
                indented(&system.stdout),
                indented(&system.stderr)
            );
            continue;
        }
        if system.same_as(evscope) {
            continue;
        }
        let _ = write!(
            report,
            "\n=== {name} on {backend}: evscope differs from the system's libevent \
             (- system, + evscope)\n{}how the runs ended: system {}, evscope {}\n\
             stderr on the system's libevent:\n{}stderr on evscope:\n{}",
            first_difference(&system.stdout, &evscope.stdout),
            system.status(),
            evscope.status(),
            indented(&system.stderr),
            indented(&evscope.stderr)
        );
    }
    assert!(
        report.is_empty(),
        "scenario {name} (tests/conformance/{name}.c, run with {}):{report}",
        lib.display()
    );
}

/// The public functions a shared library exports: its defined text symbols, without libevent's
/// internal ones (a trailing `_`).
fn public_functions(lib: &Path) -> Result<std::collections::BTreeSet<String>, String> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
        .map_err(|e| format!("cannot run nm: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "nm {}: {}",
            lib.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [_, "T", name] if !name.ends_with('_') => Some(name.to_string()),
            _ => None,
        })
        .collect())
}

/// Where the C compiler's linker finds `soname`, if it does.
fn system_library(soname: &str) -> Option<PathBuf> {
    let out = Command::new("cc")
        .arg(format!("-print-file-name={soname}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    path.is_absolute().then_some(path).filter(|p| p.exists())
}

#[test]
fn every_public_function_of_libevent_core_and_pthreads_is_exported_and_documented() {
    let ours = match evscope_library() {
        Some(lib) => lib,
        None => panic!("evscope's libevent.so was not built"),
    };
    let mut wanted = std::collections::BTreeSet::new();
    for soname in ["libevent_core-2.1.so.7", "libevent_pthreads-2.1.so.7"] {
        let Some(lib) = system_library(soname) else {
            eprintln!("skipped: the system has no {soname} (install libevent-dev)");
            return;
        };
        wanted.extend(public_functions(&lib).unwrap_or_else(|e| panic!("{e}")));
    }
    assert!(wanted.len() > 200, "nm found {} functions", wanted.len());
    let exported = public_functions(&ours).unwrap_or_else(|e| panic!("{e}"));
    let missing: Vec<&String> = wanted.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "{} of the {} public functions of libevent_core and libevent_pthreads are not exported \
         by {}: {missing:?}",
        missing.len(),
        wanted.len(),
        ours.display()
    );
    // docs/c-api.md has a row for each: "| `name` | …".
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/c-api.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/c-api.md is readable");
    let documented: std::collections::BTreeSet<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    let undocumented: Vec<&String> = wanted
        .iter()
        .filter(|f| !documented.contains(f.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "docs/c-api.md has no row for {undocumented:?}"
    );
}
