//! Labels for C callbacks: the name the program gave the function (`read_cb`, `event_cb`,
//! `listener_cb`), so the dashboard and the trace show the student's own names.
//!
//! dladdr(3) first (exported symbols); then the file's full symbol table (`static` functions
//! and executables linked without `-rdynamic`). A stripped program gets no label.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::elf::Symbols;
use crate::sys::symbol;

thread_local! {
    static NAMES: RefCell<HashMap<usize, String>> = RefCell::new(HashMap::new());
    static FILES: RefCell<HashMap<PathBuf, Option<Rc<Symbols>>>> = RefCell::new(HashMap::new());
}

/// The symbol table of `path`, read once.
fn symbols(path: &Path) -> Option<Rc<Symbols>> {
    if let Ok(Some(cached)) = FILES.try_with(|f| f.borrow().get(path).cloned()) {
        return cached;
    }
    let parsed = std::fs::read(path)
        .ok()
        .and_then(|b| Symbols::parse(&b))
        .map(Rc::new);
    let _ = FILES.try_with(|f| f.borrow_mut().insert(path.to_path_buf(), parsed.clone()));
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
    if let Ok(Some(name)) = NAMES.try_with(|n| n.borrow().get(&addr).cloned()) {
        return name;
    }
    let name = lookup(addr).unwrap_or_default();
    let _ = NAMES.try_with(|n| n.borrow_mut().insert(addr, name.clone()));
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
