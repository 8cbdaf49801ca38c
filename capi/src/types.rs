//! The C types the API hands out, opaque as in libevent's headers (without `event_struct.h`).
//! A pointer to one is a handle: its address names an entry in [`crate::handles`], and the
//! library never reads or writes through it.
#![allow(non_camel_case_types)]

use std::os::raw::c_void;

macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _opaque: [u8; 0],
        }
    )*};
}

opaque!(
    /// `struct event_base`.
    event_base,
    /// `struct event`.
    event,
    /// `struct bufferevent`.
    bufferevent,
    /// `struct evbuffer`.
    evbuffer,
    /// `struct evconnlistener`.
    evconnlistener,
    /// `struct event_config`.
    event_config,
);

/// `struct evbuffer_ptr`: a position in an evbuffer (`pos` -1: not found). The internal fields
/// are kept for the layout only.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evbuffer_ptr {
    /// The offset from the buffer's start, or -1.
    pub pos: isize,
    chain: *mut c_void,
    pos_in_chain: usize,
}

impl evbuffer_ptr {
    /// A position at `pos` (or -1 for none).
    pub(crate) fn at(pos: Option<usize>) -> evbuffer_ptr {
        evbuffer_ptr {
            pos: pos.map_or(-1, |p| p as isize),
            chain: std::ptr::null_mut(),
            pos_in_chain: 0,
        }
    }
}
