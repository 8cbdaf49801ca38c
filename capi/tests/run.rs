//! `evscope run -- PROGRAM` observes a libevent C program, whether it was linked against
//! evscope's libevent.so or against the system's libevent (which evscope replaces at load
//! time); a call evscope does not provide stops the program loudly instead.

pub mod util;

use std::path::PathBuf;

use util::{artifacts, out_dir, program, run, stdout_of, TestResult};

fn evscope() -> Result<PathBuf, String> {
    let exe = artifacts().join("evscope");
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!(
            "{} is missing: build the workspace (`cargo test` at its root builds it)",
            exe.display()
        ))
    }
}

/// Points evscope at this build's library (the one beside it may be older).
fn library() -> [(&'static str, String); 1] {
    let lib = util::library_dir().join("libevent.so");
    [("EVSCOPE_LIBEVENT", lib.display().to_string())]
}

/// Runs `prog` under `evscope run --print` and checks the program ran to the end on evscope:
/// its own output, and the timeline naming its callbacks.
fn observed(prog: &std::path::Path) -> TestResult {
    let exe = evscope()?;
    let args = ["run", "--print", "--", prog.to_str().ok_or("path")?];
    let out = run(&exe, &args, &library(), None)?;
    let text = stdout_of(&out, "evscope run")?;
    assert!(text.contains("dispatch returned 1 after 3 ticks"), "{text}");
    assert!(
        text.contains(r#""tick_cb""#),
        "the timeline names tick_cb: {text}"
    );
    assert!(text.contains(r#""oneshot_cb""#), "{text}");
    assert!(text.contains("its timeout expired"), "{text}");
    Ok(())
}

#[test]
fn run_observes_a_program_linked_against_the_system_libevent() -> TestResult {
    let Some(p) = program("timers")? else {
        return Ok(());
    };
    observed(&p.system)
}

#[test]
fn run_observes_a_program_linked_against_evscope() -> TestResult {
    let Some(p) = program("timers")? else {
        return Ok(());
    };
    observed(&p.evscope)
}

#[test]
fn an_uncovered_call_fails_loudly() -> TestResult {
    if program("timers")?.is_none() {
        return Ok(());
    }
    // Linking against evscope's library names the missing call…
    let dir = out_dir();
    let linked = util::compile_evscope("uncovered", &dir.join("uncovered-evscope"));
    let err = linked.expect_err("evhttp_new is not in evscope's libevent");
    assert!(err.contains("evhttp_new"), "{err}");
    // …and a program built on the system's libevent stops at load time under evscope run.
    let prog = dir.join("uncovered-system");
    util::compile_system("uncovered", &prog)?;
    let exe = evscope()?;
    let args = ["run", "--print", "--", prog.to_str().ok_or("path")?];
    let out = run(&exe, &args, &library(), None)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("undefined symbol: evhttp_new"), "{stderr}");
    Ok(())
}
