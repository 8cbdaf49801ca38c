//! Where a function pointer points: the shared object (or executable) holding it and, when the
//! dynamic symbol table says, its name (dladdr(3)).

use std::ffi::CStr;
use std::path::PathBuf;

/// What dladdr knows about an address.
pub(crate) struct Place {
    /// The object file holding it.
    pub file: PathBuf,
    /// The address the object was loaded at.
    pub base: usize,
    /// The dynamic symbol starting exactly at the address, if any.
    pub name: Option<String>,
}

/// dladdr(3) for `addr`.
pub(crate) fn place_of(addr: usize) -> Option<Place> {
    // SAFETY: all-zero bytes are a valid `Dl_info` (pointers and integers).
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables for the address and fills `info`.
    if unsafe { libc::dladdr(addr as *const libc::c_void, &mut info) } == 0 {
        return None;
    }
    let text = |p: *const libc::c_char| {
        // SAFETY: dladdr's strings are NUL-terminated and live as long as the object stays
        // loaded; we copy them at once.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let exact = info.dli_saddr as usize == addr;
    Some(Place {
        file: PathBuf::from(text(info.dli_fname).unwrap_or_default()),
        base: info.dli_fbase as usize,
        name: text(info.dli_sname).filter(|_| exact),
    })
}
