//! `evscope run` for C programs built on libevent: the dynamic loader is made to load evscope's
//! `libevent.so` (the `capi` crate) in place of the system's libevent, so the program's bases
//! are evscope bases and are observed like any other.
//!
//! A private directory holds links named after the system libraries' sonames, all to evscope's
//! library, and goes first on `LD_LIBRARY_PATH`. `LD_BIND_NOW=1` makes the loader resolve every
//! symbol at start: a libevent call evscope does not cover stops the program at once with the
//! loader's `undefined symbol: NAME`, instead of running half on another libevent.
//!
//! The library: `$EVSCOPE_LIBEVENT` if set; else the copy built into this binary (a release
//! build, `cargo install`: see `build.rs`), written into the private directory; else (a debug
//! build in the workspace) the one the same build put beside the binary in its target
//! directory. A file is used only if its version mark says it is this evscope's version, and a
//! binary that is not in a target directory never looks beside itself, so an installed evscope
//! never picks up a stale or foreign `libevent.so`.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cleanup::Temp;

/// The names a program may ask the loader for: Debian's libevent 2.1 sonames, and
/// `libevent.so` for a program linked against evscope's library itself.
const SONAMES: [&str; 6] = [
    "libevent-2.1.so.7",
    "libevent_core-2.1.so.7",
    "libevent_extra-2.1.so.7",
    "libevent_pthreads-2.1.so.7",
    "libevent_openssl-2.1.so.7",
    "libevent.so",
];

/// evscope's `libevent.so`, built into this binary by `build.rs` (release builds, and the
/// `embed-libevent` feature).
#[cfg(evscope_embedded_libevent)]
const EMBEDDED: Option<&[u8]> = Some(include_bytes!(env!("EVSCOPE_EMBEDDED_LIBEVENT")));
#[cfg(not(evscope_embedded_libevent))]
const EMBEDDED: Option<&[u8]> = None;

/// What a library says it is (`capi/src/version.rs`): this, its version, then a NUL.
const MARK: &[u8] = b"evscope-libevent-version=";

/// The version a library must say it is: this evscope's (the two crates are released together).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The substitution set up for one run; its directory is removed when dropped (or when a
/// signal ends `run`: see `cleanup`).
pub struct Shim {
    _dir: Temp,
}

/// Where evscope's `libevent.so` comes from for one run.
pub enum Library {
    /// A file: `$EVSCOPE_LIBEVENT`, or the one beside a binary in a cargo target directory.
    File(PathBuf),
    /// The copy built into this binary.
    Embedded(&'static [u8]),
}

/// The version in a library's mark, if it has one.
fn version_of(bytes: &[u8]) -> Option<&[u8]> {
    let at = bytes.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let len = bytes[at..].iter().position(|&b| b == 0)?;
    Some(&bytes[at..at + len])
}

/// Why the file at `lib` is not this evscope's library, if it is not.
fn mismatch(lib: &Path) -> Option<String> {
    match std::fs::read(lib) {
        Err(e) => Some(format!("cannot read it: {e}")),
        Ok(bytes) => match version_of(&bytes) {
            Some(v) if v == VERSION.as_bytes() => None,
            Some(v) => Some(format!(
                "it is evscope's libevent version {}, not {VERSION}",
                String::from_utf8_lossy(v)
            )),
            None => Some("it is not evscope's libevent (it has no version mark)".into()),
        },
    }
}

/// The `libevent.so` a debug build in the workspace put beside this binary, when the binary is
/// in a cargo target directory (`target/debug`, with its `.fingerprint/`): the newer of the one
/// beside it and the one in `deps/` (a `cargo test` after a `cargo build` refreshes only deps/).
fn beside_in_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    if !dir.join(".fingerprint").is_dir() {
        return None;
    }
    [dir.join("libevent.so"), dir.join("deps/libevent.so")]
        .into_iter()
        .filter_map(|lib| Some((std::fs::metadata(&lib).ok()?.modified().ok()?, lib)))
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, lib)| lib)
}

/// evscope's `libevent.so` for this run: `$EVSCOPE_LIBEVENT`, the embedded copy, or the one of
/// the same build tree, in that order; a file of another version (or not evscope's) is passed
/// over with a warning.
pub fn library() -> Option<Library> {
    let named = std::env::var_os("EVSCOPE_LIBEVENT")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    if let Some(lib) = named {
        match mismatch(&lib) {
            None => return Some(Library::File(lib)),
            Some(why) => tell!(
                "evscope: not using $EVSCOPE_LIBEVENT ({}): {why}",
                lib.display()
            ),
        }
    }
    if let Some(bytes) = EMBEDDED {
        return Some(Library::Embedded(bytes));
    }
    let lib = beside_in_target_dir()?;
    match mismatch(&lib) {
        None => Some(Library::File(lib)),
        Some(why) => {
            tell!("evscope: not using {}: {why}", lib.display());
            None
        }
    }
}

/// True when the program file names a libevent library (a cheap look for its soname).
fn wants_libevent(program: &OsStr) -> bool {
    std::fs::read(program)
        .is_ok_and(|bytes| bytes.windows(b"libevent".len()).any(|w| w == b"libevent"))
}

fn private_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let mut n = 0;
    loop {
        let dir = base.join(format!("evscope-libevent-{}-{n}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Writes the embedded library into `dir` as `libevent.so`: to a temporary name first, renamed
/// into place once complete, readable only by this user.
fn write_embedded(dir: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let temp = dir.join(".libevent.so.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o500)
        .open(&temp)?;
    file.write_all(bytes)?;
    drop(file);
    let lib = dir.join("libevent.so");
    std::fs::rename(&temp, &lib)?;
    Ok(lib)
}

/// Fills the private directory `dir`: the library, and a link for each soname to it.
fn fill(dir: &Path, lib: &Library) -> std::io::Result<()> {
    let target = match lib {
        Library::File(path) => path.canonicalize()?,
        Library::Embedded(bytes) => write_embedded(dir, bytes)?,
    };
    for name in SONAMES {
        let link = dir.join(name);
        if link != target {
            std::os::unix::fs::symlink(&target, link)?;
        }
    }
    Ok(())
}

/// Sets up `cmd` so that `program` loads evscope's libevent; None when there is nothing to set
/// up (a warning is printed if the program looks like it needs it).
pub fn apply(cmd: &mut Command, program: &OsStr) -> Option<Shim> {
    let Some(lib) = library() else {
        if wants_libevent(program) {
            tell!(
                "evscope: {} uses libevent, but this evscope has no libevent.so of its own: \
                 it was built without it (a debug build: `cargo build` in the workspace puts \
                 it beside evscope; `cargo install --path .` builds it in) and \
                 $EVSCOPE_LIBEVENT names none; it runs on the system's libevent, unobserved",
                program.to_string_lossy()
            );
        }
        return None;
    };
    let dir = match private_dir() {
        Ok(dir) => Temp::new(dir),
        Err(e) => {
            tell!("evscope: cannot make a private directory for libevent.so: {e}");
            return None;
        }
    };
    if let Err(e) = fill(dir.path(), &lib) {
        let what = match &lib {
            Library::File(path) => path.display().to_string(),
            Library::Embedded(_) => "its libevent.so".into(),
        };
        tell!("evscope: cannot set up {what} in place of the system's libevent: {e}");
        return None;
    }
    let mut path = OsString::from(dir.path());
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|p| !p.is_empty()) {
        path.push(":");
        path.push(old);
    }
    cmd.env("LD_LIBRARY_PATH", path).env("LD_BIND_NOW", "1");
    Some(Shim { _dir: dir })
}
