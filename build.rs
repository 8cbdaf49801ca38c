//! Builds evscope's `libevent.so` (the `evscope-libevent` crate in `capi/`) for the `evscope`
//! binary to carry, so that an installed evscope (`cargo install --path .`) observes C programs
//! with no file beside it: `evscope run` writes the embedded copy into its private directory.
//!
//! Cargo has no stable way for one package to depend on another's cdylib, so this runs
//! `cargo build -p evscope-libevent` itself: the same profile, target, lock file and flags as
//! the build that runs it, in a target directory of its own under `OUT_DIR` (the outer one is
//! locked by the outer build), kept between builds so that only a change in `capi/` or `core/`
//! rebuilds it.
//!
//! When: in the release profile (`cargo install`, `cargo build --release`), or with the
//! `embed-libevent` feature; `EVSCOPE_EMBED_LIBEVENT=0` turns it off. A debug build in the
//! workspace (`cargo build`, `cargo test`) does not embed: its `evscope` uses the
//! `libevent.so` the same build puts beside it, and a change in `capi/` does not rebuild it.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the library says it is (`capi/src/version.rs`): this, its version, then a NUL.
const MARK: &[u8] = b"evscope-libevent-version=";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(evscope_embedded_libevent)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=EVSCOPE_EMBED_LIBEVENT");
    let release = env::var("PROFILE").as_deref() == Ok("release");
    let feature = env::var_os("CARGO_FEATURE_EMBED_LIBEVENT").is_some();
    let wanted = match env::var("EVSCOPE_EMBED_LIBEVENT").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => release || feature,
    };
    if !wanted {
        return;
    }
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    if !root.join("capi/Cargo.toml").is_file() {
        println!(
            "cargo::warning=capi/ is not in this source tree: evscope is built without its \
             libevent.so, and `evscope run` will look for one beside the binary"
        );
        return;
    }
    for input in [
        "Cargo.lock",
        "capi/Cargo.toml",
        "capi/build.rs",
        "capi/src",
        "core/Cargo.toml",
        "core/src",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    let lib = build(&root, release);
    let bytes = std::fs::read(&lib).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
    let want = env::var("CARGO_PKG_VERSION").expect("cargo sets it");
    match version(&bytes) {
        Some(v) if v == want.as_bytes() => {}
        found => panic!(
            "{} says it is version {:?}, not evscope's {want}: the two crates are released \
             together",
            lib.display(),
            found.map(String::from_utf8_lossy)
        ),
    }
    println!(
        "cargo::rustc-env=EVSCOPE_EMBEDDED_LIBEVENT={}",
        lib.display()
    );
    println!("cargo::rustc-cfg=evscope_embedded_libevent");
}

/// The version in a library's mark, if it has one.
fn version(bytes: &[u8]) -> Option<&[u8]> {
    let at = bytes.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let len = bytes[at..].iter().position(|&b| b == 0)?;
    Some(&bytes[at..at + len])
}

/// Runs the inner `cargo build` and returns the path of the `libevent.so` it made.
fn build(root: &Path, release: bool) -> PathBuf {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it"));
    let target_dir = out.join("libevent-target");
    let target = env::var("TARGET").expect("cargo sets it");
    let host = env::var("HOST").expect("cargo sets it");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "evscope-libevent", "--lib", "--locked"])
        .arg("--target-dir")
        .arg(&target_dir);
    if release {
        cmd.arg("--release");
    }
    // The same target as the outer build; the outer build's flags come in through
    // CARGO_ENCODED_RUSTFLAGS, its job slots through CARGO_MAKEFLAGS, and offline mode through
    // the environment or the configuration the inner cargo reads as the outer one did.
    let mut dir = target_dir.clone();
    if target != host {
        cmd.args(["--target", &target]);
        dir.push(&target);
    }
    dir.push(if release { "release" } else { "debug" });
    // Not clippy's driver (`cargo clippy`), nor a target directory set for the outer build.
    cmd.env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo to build libevent.so: {e}"));
    if !output.status.success() {
        panic!(
            "building evscope's libevent.so (cargo build -p evscope-libevent) failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    dir.join("libevent.so")
}
