//! libevent 2.1's C API on evscope's engine: `libevent.so`, for C programs written against
//! Debian's `/usr/include/event2` headers. Same names, signatures and flag values; a base made
//! here is an `evscope_core::ev::EventBase`, so `EVSCOPE_TRACE` and `evscope run` observe the
//! program like any other, with its callbacks' names (from the symbol table) as labels.
//!
//! - [`types`]: the opaque C types; each pointer handed out is a handle ([`handles`]).
//! - `base`, `event`, `buffer`, `bufferevent`, `listener`, `evutil`, `compat`, `thread`: the
//!   exported calls, one file per libevent header area, in safe code.
//! - `sys`: every `unsafe` block — C memory, C function pointers, lending the running base to
//!   the calls its callbacks make, sending other threads' calls to a running loop, the
//!   `thread.h` callback tables, dladdr, and the variadic printf trampolines.
//!
//! `docs/c-api.md` lists which calls are covered.

mod base;
mod base_extra;
mod buffer;
mod buffer_cb;
mod buffer_iovec;
mod buffer_ref;
mod bufferevent;
mod bufferevent_extra;
mod compat;
mod dump;
mod elf;
mod error;
mod event;
mod evutil;
mod evutil_extra;
mod fields;
mod handles;
mod label;
mod listener;
mod log;
mod ratelim;
mod sys;
mod thread;
pub mod types;
mod version;
