//! The library's version mark: `evscope run` reads it from a `libevent.so` file before it puts
//! that file in place of the system's libevent, and evscope's build checks it in the copy it
//! embeds, so that a binary only ever runs programs on the library of its own version.

/// The text evscope looks for, NUL-terminated: `evscope-libevent-version=` and the version.
const MARK: &str = concat!("evscope-libevent-version=", env!("CARGO_PKG_VERSION"), "\0");

/// The mark, as an exported C string (`extern const char EVSCOPE_LIBEVENT_VERSION[];`), which
/// also keeps the linker from dropping it.
#[no_mangle]
pub static EVSCOPE_LIBEVENT_VERSION: [u8; MARK.len()] = bytes(MARK);

const fn bytes<const N: usize>(s: &str) -> [u8; N] {
    let s = s.as_bytes();
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = s[i];
        i += 1;
    }
    out
}
