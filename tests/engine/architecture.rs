//! The shape docs/ARCHITECTURE.md describes, checked: the core and the C library are built
//! without the user interface's crates, and dependencies point one way.

use std::process::Command;

/// The crates of the dashboard and the command line, which the library must never pull in.
const UI_CRATES: [&str; 6] = [
    "clap",
    "tokio",
    "tokio-util",
    "ratatui",
    "crossterm",
    "futures-util",
];

/// The names of every crate `package` builds on (normal dependencies, transitively).
fn dependencies(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_core_and_the_c_library_build_without_the_user_interface() {
    for package in ["evscope-core", "evscope-libevent"] {
        let deps = dependencies(package);
        assert!(deps.iter().any(|d| d == "libc"), "{package}: {deps:?}");
        let ui: Vec<&String> = deps
            .iter()
            .filter(|d| UI_CRATES.contains(&d.as_str()))
            .collect();
        assert!(ui.is_empty(), "{package} builds UI crates {ui:?}");
    }
}

#[test]
fn dependencies_point_one_way() {
    let core = dependencies("evscope-core");
    assert!(
        !core
            .iter()
            .any(|d| d == "evscope" || d == "evscope-libevent"),
        "the core depends on a crate built on it: {core:?}"
    );
    let capi = dependencies("evscope-libevent");
    assert!(capi.iter().any(|d| d == "evscope-core"), "{capi:?}");
    assert!(
        !capi.iter().any(|d| d == "evscope"),
        "libevent.so builds the dashboard's crate: {capi:?}"
    );
    let root = dependencies("evscope");
    assert!(root.iter().any(|d| d == "evscope-core"), "{root:?}");
}
