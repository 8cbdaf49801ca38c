//! libevent 2.1's C API on evscope's engine: `libevent.so`, for C programs written against
//! Debian's `/usr/include/event2` headers. Same names, signatures and flag values; a base made
//! here is an `evscope_core::ev::EventBase`, so `EVSCOPE_TRACE` and `evscope run` observe the
//! program like any other, with its callbacks' names (from the symbol table) as labels.
//!
//! - [`types`]: the opaque C types; each pointer handed out is a handle (`handles`).
//! - `base`, `event`, `buffer`, `bufferevent`, `listener`, `evutil`, `compat`, `thread`: the
//!   exported calls, one file per libevent header area, in safe code.
//! - `sys`: every `unsafe` block — C memory, C function pointers, lending the running base to
//!   the calls its callbacks make, sending other threads' calls to a running loop, the
//!   `thread.h` callback tables, dladdr, and the variadic printf trampolines. The pointers C
//!   passes in arrive as the parameter types of `sys/cptr.rs` (`In<T>`, `Out<T>`,
//!   `InSlice<T>`, `CStrPtr`…), which only C can make and whose contracts make them safe to
//!   read and write.
//!
//! `docs/c-api.md` lists which calls are covered.

#![deny(missing_docs)]

// The workspace denies `unsafe_code`, which flags every `#[no_mangle]`: the modules marked
// `#[allow(unsafe_code)]` export the C API's symbols, and allow it for that and nothing else.
// No `unsafe` block, fn, impl or trait may appear in them (nor anywhere outside `sys`):
// `tests/engine/lint_rules.rs` reads every source file of the workspace and fails on one.
#[allow(unsafe_code)]
mod base;
#[allow(unsafe_code)]
mod base_extra;
#[allow(unsafe_code)]
mod buffer;
#[allow(unsafe_code)]
mod buffer_cb;
#[allow(unsafe_code)]
mod buffer_iovec;
#[allow(unsafe_code)]
mod buffer_ref;
#[allow(unsafe_code)]
mod bufferevent;
#[allow(unsafe_code)]
mod bufferevent_extra;
#[allow(unsafe_code)]
mod compat;
mod dump;
mod elf;
mod error;
#[allow(unsafe_code)]
mod event;
#[allow(unsafe_code)]
mod evutil;
#[allow(unsafe_code)]
mod evutil_extra;
mod fields;
mod handles;
mod label;
#[allow(unsafe_code)]
mod listener;
#[allow(unsafe_code)]
mod log;
#[allow(unsafe_code)]
mod ratelim;
mod sys;
#[allow(unsafe_code)]
mod thread;
pub mod types;
#[allow(unsafe_code)]
mod version;
