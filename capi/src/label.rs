//! Labels for C callbacks: the name the program gave the function (`read_cb`, `event_cb`,
//! `listener_cb`), so the dashboard and the trace show the student's own names.
//!
//! dladdr(3) first (exported symbols); then the file's full symbol table (`static` functions
//! and executables linked without `-rdynamic`). A stripped program gets no label. Names and
//! symbol tables are cached for the process: every thread's callbacks are named once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::elf::Symbols;
use crate::sys::symbol;

/// Function address → name ("" for none found).
static NAMES: LazyLock<Mutex<HashMap<usize, String>>> = LazyLock::new(Mutex::default);
/// Object file → its symbol table, None when it has none.
static FILES: LazyLock<Mutex<HashMap<PathBuf, Option<Arc<Symbols>>>>> =
    LazyLock::new(Mutex::default);

/// The symbol table of `path`, read once.
fn symbols(path: &Path) -> Option<Arc<Symbols>> {
    let mut files = FILES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cached) = files.get(path) {
        return cached.clone();
    }
    // Read under the lock: another thread asking for the same file waits for this reading.
    let parsed = std::fs::read(path)
        .ok()
        .and_then(|b| Symbols::parse(&b))
        .map(Arc::new);
    files.insert(path.to_path_buf(), parsed.clone());
    parsed
}

fn lookup(addr: usize) -> Option<String> {
    let place = symbol::place_of(addr)?;
    if let Some(name) = place.name {
        return Some(name);
    }
    // The main program's dladdr file name is argv[0], which may be relative to a directory
    // the program has left: /proc/self/exe names it for sure.
    for file in [place.file.clone(), PathBuf::from("/proc/self/exe")] {
        if file.as_os_str().is_empty() {
            continue;
        }
        let Some(syms) = symbols(&file) else {
            continue;
        };
        let at = if syms.relative {
            addr.wrapping_sub(place.base)
        } else {
            addr
        };
        if let Some(name) = syms.at(at as u64) {
            return Some(name.to_string());
        }
    }
    None
}

/// The name of the function at `f`, or "" when unknown (or `f` is NULL).
pub(crate) fn of(f: Option<usize>) -> String {
    let Some(addr) = f.filter(|a| *a != 0) else {
        return String::new();
    };
    let names = || NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(name) = names().get(&addr) {
        return name.clone();
    }
    let name = lookup(addr).unwrap_or_default();
    names().insert(addr, name.clone());
    name
}

/// The names of several callbacks joined by `/`, skipping NULL and unnamed ones (a
/// bufferevent's label: `read_cb/event_cb`).
pub(crate) fn joined(fs: &[Option<usize>]) -> String {
    fs.iter()
        .map(|f| of(*f))
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}
