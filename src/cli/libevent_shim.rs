//! `evscope run` for C programs built on libevent: the dynamic loader is made to load evscope's
//! `libevent.so` (the `capi` crate) in place of the system's libevent, so the program's bases
//! are evscope bases and are observed like any other.
//!
//! A private directory holds links named after the system libraries' sonames, all to evscope's
//! library, and goes first on `LD_LIBRARY_PATH`. `LD_BIND_NOW=1` makes the loader resolve every
//! symbol at start: a libevent call evscope does not cover stops the program at once with the
//! loader's `undefined symbol: NAME`, instead of running half on another libevent.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::DirBuilderExt;
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

/// The substitution set up for one run; its directory is removed when dropped (or when a
/// signal ends `run`: see `cleanup`).
pub struct Shim {
    _dir: Temp,
}

/// evscope's `libevent.so`: `$EVSCOPE_LIBEVENT`, or the one beside the evscope binary (as
/// `cargo build` leaves them in `target/debug` or `target/release`, or in `deps/` there).
pub fn library() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("EVSCOPE_LIBEVENT").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    // The newer of the two: a `cargo test` after a `cargo build` refreshes only deps/.
    [dir.join("libevent.so"), dir.join("deps/libevent.so")]
        .into_iter()
        .filter_map(|lib| Some((std::fs::metadata(&lib).ok()?.modified().ok()?, lib)))
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, lib)| lib)
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

fn make(lib: &Path) -> std::io::Result<PathBuf> {
    let lib = lib.canonicalize()?;
    let dir = private_dir()?;
    for name in SONAMES {
        if let Err(e) = std::os::unix::fs::symlink(&lib, dir.join(name)) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    }
    Ok(dir)
}

/// Sets up `cmd` so that `program` loads evscope's libevent; None when there is nothing to set
/// up (a warning is printed if the program looks like it needs it).
pub fn apply(cmd: &mut Command, program: &OsStr) -> Option<Shim> {
    let Some(lib) = library() else {
        if wants_libevent(program) {
            tell!(
                "evscope: {} uses libevent, but evscope's libevent.so was not found beside \
                 evscope (build it with `cargo build -p evscope-libevent`) or in \
                 $EVSCOPE_LIBEVENT; it runs on the system's libevent, unobserved",
                program.to_string_lossy()
            );
        }
        return None;
    };
    let dir = match make(&lib) {
        Ok(dir) => Temp::new(dir),
        Err(e) => {
            tell!(
                "evscope: cannot set up {} in place of the system's libevent: {e}",
                lib.display()
            );
            return None;
        }
    };
    let mut path = OsString::from(dir.path());
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|p| !p.is_empty()) {
        path.push(":");
        path.push(old);
    }
    cmd.env("LD_LIBRARY_PATH", path).env("LD_BIND_NOW", "1");
    Some(Shim { _dir: dir })
}
