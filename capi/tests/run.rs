//! `evscope run -- PROGRAM` observes a libevent C program, whether it was linked against
//! evscope's libevent.so or against the system's libevent (which evscope replaces at load
//! time); a call evscope does not provide stops the program loudly instead. So does an evscope
//! installed with `cargo install`, which carries its libevent.so inside.

pub mod util;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard};

use util::{artifacts, out_dir, program, run, stdout_of, TestResult};

/// Held to read the target directory's `evscope`, which the install test's build puts there
/// anew (cargo copies each binary it builds into the target directory).
static TREE: RwLock<()> = RwLock::new(());

fn evscope() -> Result<(PathBuf, RwLockReadGuard<'static, ()>), String> {
    let tree = TREE.read().unwrap_or_else(|p| p.into_inner());
    let exe = artifacts().join("evscope");
    if exe.is_file() {
        Ok((exe, tree))
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
    let (exe, _tree) = evscope()?;
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
    let (exe, _tree) = evscope()?;
    let args = ["run", "--print", "--", prog.to_str().ok_or("path")?];
    let out = run(&exe, &args, &library(), None)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("undefined symbol: evhttp_new"), "{stderr}");
    Ok(())
}

/// `cargo install --path . --root ROOT`, then `ROOT/bin/evscope run` with an environment that
/// has nothing of the workspace (no `$EVSCOPE_LIBEVENT`, no `LD_LIBRARY_PATH`, a plain `PATH`,
/// the program copied to a folder of its own): the installed binary observes the program with
/// the libevent.so it carries, and leaves nothing behind in the temporary directory.
///
/// The install is a debug build (the `embed-libevent` feature builds the library in, as release
/// builds do) in this build's target directory, which has every dependency compiled already.
#[test]
fn an_installed_evscope_observes_a_c_program() -> TestResult {
    let profile = artifacts();
    let (target_dir, profile_flags): (&Path, &[&str]) = match (
        profile.parent(),
        profile.file_name().and_then(|n| n.to_str()),
    ) {
        (Some(t), Some("debug")) => (t, &["--debug", "--features", "embed-libevent"]),
        (Some(t), Some("release")) => (t, &[]),
        _ => return Err(format!("{} is not a debug or release folder", profile.display()).into()),
    };
    let mut args = vec!["--locked", "--offline", "--target-dir"];
    args.push(target_dir.to_str().ok_or("path")?);
    args.extend(profile_flags);
    installed_observes(&args)
}

/// The same with the user's own command, `cargo install --path .` (a release build in the
/// workspace's `target/`, dependencies resolved afresh): many minutes, so only with
/// `EVSCOPE_TEST_RELEASE_INSTALL=1`.
#[test]
fn a_release_install_observes_a_c_program() -> TestResult {
    if std::env::var_os("EVSCOPE_TEST_RELEASE_INSTALL").is_none_or(|v| v != "1") {
        eprintln!("skipped: set EVSCOPE_TEST_RELEASE_INSTALL=1 to install a release build");
        return Ok(());
    }
    installed_observes(&[])
}

/// Installs evscope into a fresh root with `cargo install --path WORKSPACE --root ROOT ARGS…`
/// and checks that it observes the timers program (see above).
fn installed_observes(args: &[&str]) -> TestResult {
    let Some(p) = program("timers")? else {
        return Ok(());
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("capi/ is in the workspace")?;
    let root = tempfile::tempdir()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let install = {
        let _tree = TREE.write().unwrap_or_else(|p| p.into_inner());
        Command::new(cargo)
            .args(["install", "--quiet", "--path"])
            .arg(workspace)
            .arg("--root")
            .arg(root.path())
            .args(args)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .output()?
    };
    assert!(
        install.status.success(),
        "cargo install failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let exe = root.path().join("bin/evscope");
    assert!(exe.is_file(), "cargo install put no {}", exe.display());
    // Nothing but the binary: no libevent.so beside it.
    let installed: Vec<_> = std::fs::read_dir(root.path().join("bin"))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    assert!(
        installed
            .iter()
            .all(|n| !n.to_string_lossy().contains("libevent")),
        "{installed:?}"
    );

    let work = tempfile::tempdir()?;
    std::fs::copy(&p.system, work.path().join("prog"))?;
    let tmp = tempfile::tempdir()?;
    let out = run(
        Path::new("/usr/bin/env"),
        &[
            "-i",
            "-C",
            work.path().to_str().ok_or("path")?,
            "PATH=/usr/bin:/bin",
            &format!("TMPDIR={}", tmp.path().display()),
            exe.to_str().ok_or("path")?,
            "run",
            "--print",
            "--",
            "./prog",
        ],
        &[],
        None,
    )?;
    let text = stdout_of(&out, "the installed evscope run")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("unobserved"), "{stderr}");
    assert!(text.contains("dispatch returned 1 after 3 ticks"), "{text}");
    assert!(
        text.contains(r#""tick_cb""#),
        "the timeline names tick_cb: {text}"
    );
    assert!(text.contains(r#""oneshot_cb""#), "{text}");
    assert!(text.contains("its timeout expired"), "{text}");
    // The private directories (the library's, the socket's) are gone.
    let left: Vec<_> = std::fs::read_dir(tmp.path())?.collect::<Result<_, _>>()?;
    assert!(left.is_empty(), "left behind: {left:?}");
    Ok(())
}
