//! The C types the API hands out. `struct event` and `struct bufferevent` are the public layouts
//! of Debian's libevent 2.1.12 (`event2/event_struct.h`, `event2/bufferevent_struct.h`, x86_64
//! and other LP64 targets), checked field by field below: programs embed a `struct event` in
//! their own structs and read `ev->ev_fd`, `bev->input`, `&bev->ev_read` directly. The others are
//! opaque, as in libevent's headers; a pointer to one is a handle whose address names an entry
//! in `crate::handles`.
#![allow(non_camel_case_types)]

use std::mem::{offset_of, size_of};
use std::os::raw::{c_int, c_short, c_void};

use crate::sys::call::{BevDataCb, BevEventCb, EventCb};

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
    /// `struct evbuffer`.
    evbuffer,
    /// `struct evconnlistener`.
    evconnlistener,
    /// `struct event_config`.
    event_config,
    /// `struct bufferevent_ops` (private to libevent; `bev->be_ops` is NULL here).
    bufferevent_ops,
);

/// `TAILQ_ENTRY` / `LIST_ENTRY`: two link pointers libevent keeps its lists with (unused here).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct list_entry {
    /// The next entry's link (unused here).
    pub next: *mut c_void,
    /// The previous entry's link (unused here).
    pub prev: *mut c_void,
}

/// `struct event_callback`: the part of an event the active queues hold.
#[repr(C)]
pub struct event_callback {
    /// Links in the base's active queue (unused here).
    pub evcb_active_next: list_entry,
    /// `EVLIST_*` bits (`ev_flags` in libevent's sources).
    pub evcb_flags: c_short,
    /// Priority, 0 runs first (`ev_pri`).
    pub evcb_pri: u8,
    /// How the callback is called (`EV_CLOSURE_*`).
    pub evcb_closure: u8,
    /// `evcb_cb_union.evcb_callback` (`ev_callback`).
    pub evcb_callback: Option<EventCb>,
    /// `ev_arg`.
    pub evcb_arg: *mut c_void,
}

/// The `ev_` union of `struct event`: I/O events keep their persistent timeout interval here
/// (`ev_io_timeout`), signal events their call count.
#[repr(C)]
pub union event_io_or_signal {
    /// An I/O event's part.
    pub ev_io: event_io,
    /// A signal event's part.
    pub ev_signal: event_signal,
}

/// `ev_.ev_io`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_io {
    /// Links in the fd's list of events (unused here).
    pub ev_io_next: list_entry,
    /// The interval a persistent event re-arms with (`ev_io_timeout`).
    pub ev_timeout: libc::timeval,
}

/// `ev_.ev_signal`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct event_signal {
    /// Links in the signal's list of events (unused here).
    pub ev_signal_next: list_entry,
    /// How many more times the callback runs for this delivery.
    pub ev_ncalls: c_short,
    /// Where libevent counts those calls down during a callback (NULL here).
    pub ev_pncalls: *mut c_short,
}

/// The `ev_timeout_pos` union: the timer heap index, or common-timeout list links.
#[repr(C)]
pub union event_timeout_pos {
    /// Links in a common timeout's list.
    pub ev_next_with_common_timeout: list_entry,
    /// The event's index in the timer heap (-1: none).
    pub min_heap_idx: c_int,
}

/// `struct event` (event_struct.h).
#[repr(C)]
pub struct event {
    /// The part the active queues hold: flags, priority, callback.
    pub ev_evcallback: event_callback,
    /// Where its timer is kept.
    pub ev_timeout_pos: event_timeout_pos,
    /// The file descriptor, or the signal number.
    pub ev_fd: c_int,
    /// The base it belongs to.
    pub ev_base: *mut event_base,
    /// The I/O or signal part.
    pub ev_: event_io_or_signal,
    /// What it waits for (`EV_READ`, `EV_WRITE`, `EV_SIGNAL`, `EV_PERSIST`, `EV_ET`, `EV_CLOSED`).
    pub ev_events: c_short,
    /// What the last activation was for (passed to the callback).
    pub ev_res: c_short,
    /// When the timeout expires, on libevent's monotonic clock.
    pub ev_timeout: libc::timeval,
}

/// `struct event_watermark`: a bufferevent's low and high watermarks for one direction.
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct event_watermark {
    /// The low watermark (0: none).
    pub low: usize,
    /// The high watermark (0: none).
    pub high: usize,
}

/// `struct bufferevent` (bufferevent_struct.h).
#[repr(C)]
pub struct bufferevent {
    /// The base it runs on.
    pub ev_base: *mut event_base,
    /// Its kind's operations (NULL here).
    pub be_ops: *const bufferevent_ops,
    /// The event that reads.
    pub ev_read: event,
    /// The event that writes.
    pub ev_write: event,
    /// The input buffer.
    pub input: *mut evbuffer,
    /// The output buffer.
    pub output: *mut evbuffer,
    /// The read watermarks.
    pub wm_read: event_watermark,
    /// The write watermarks.
    pub wm_write: event_watermark,
    /// Called when the input reaches the read low watermark.
    pub readcb: Option<BevDataCb>,
    /// Called when the output drains to the write low watermark.
    pub writecb: Option<BevDataCb>,
    /// Called with `BEV_EVENT_*` (EOF, errors, timeouts, connected).
    pub errorcb: Option<BevEventCb>,
    /// The callbacks' argument.
    pub cbarg: *mut c_void,
    /// The read timeout (zero: none).
    pub timeout_read: libc::timeval,
    /// The write timeout (zero: none).
    pub timeout_write: libc::timeval,
    /// `EV_READ` / `EV_WRITE`.
    pub enabled: c_short,
}

// The layouts of libevent 2.1.12 on x86_64, as `offsetof` and `sizeof` give them for a program
// compiled against /usr/include/event2 (the struct layout test prints the same from C).
const _: () = {
    assert!(size_of::<event_callback>() == 40);
    assert!(offset_of!(event_callback, evcb_flags) == 16);
    assert!(offset_of!(event_callback, evcb_pri) == 18);
    assert!(offset_of!(event_callback, evcb_closure) == 19);
    assert!(offset_of!(event_callback, evcb_callback) == 24);
    assert!(offset_of!(event_callback, evcb_arg) == 32);

    assert!(size_of::<event>() == 128);
    assert!(offset_of!(event, ev_evcallback) == 0);
    assert!(offset_of!(event, ev_timeout_pos) == 40);
    assert!(offset_of!(event, ev_fd) == 56);
    assert!(offset_of!(event, ev_base) == 64);
    assert!(offset_of!(event, ev_) == 72);
    assert!(size_of::<event_io_or_signal>() == 32);
    assert!(offset_of!(event_io, ev_timeout) == 16);
    assert!(offset_of!(event_signal, ev_ncalls) == 16);
    assert!(offset_of!(event_signal, ev_pncalls) == 24);
    assert!(offset_of!(event, ev_events) == 104);
    assert!(offset_of!(event, ev_res) == 106);
    assert!(offset_of!(event, ev_timeout) == 112);

    assert!(size_of::<event_watermark>() == 16);
    assert!(offset_of!(event_watermark, high) == 8);

    assert!(size_of::<bufferevent>() == 392);
    assert!(offset_of!(bufferevent, be_ops) == 8);
    assert!(offset_of!(bufferevent, ev_read) == 16);
    assert!(offset_of!(bufferevent, ev_write) == 144);
    assert!(offset_of!(bufferevent, input) == 272);
    assert!(offset_of!(bufferevent, output) == 280);
    assert!(offset_of!(bufferevent, wm_read) == 288);
    assert!(offset_of!(bufferevent, wm_write) == 304);
    assert!(offset_of!(bufferevent, readcb) == 320);
    assert!(offset_of!(bufferevent, writecb) == 328);
    assert!(offset_of!(bufferevent, errorcb) == 336);
    assert!(offset_of!(bufferevent, cbarg) == 344);
    assert!(offset_of!(bufferevent, timeout_read) == 352);
    assert!(offset_of!(bufferevent, timeout_write) == 368);
    assert!(offset_of!(bufferevent, enabled) == 384);
};

/// `EVLIST_*`: the bits of `evcb_flags`.
pub mod evlist {
    use std::os::raw::c_short;
    /// Its timeout is armed.
    pub const TIMEOUT: c_short = 0x01;
    /// Added: its fd or signal is watched.
    pub const INSERTED: c_short = 0x02;
    /// Queued to run.
    pub const ACTIVE: c_short = 0x08;
    /// One of the base's own events.
    pub const INTERNAL: c_short = 0x10;
    /// Set up by `event_assign` / `event_new`.
    pub const INIT: c_short = 0x80;
}

/// `EV_CLOSURE_*`: how libevent calls an event's callback (`evcb_closure`).
pub mod closure {
    /// A plain event.
    pub const EVENT: u8 = 0;
    /// A signal event (called once per delivery).
    pub const SIGNAL: u8 = 1;
    /// A persistent event (re-armed before its callback).
    pub const PERSIST: u8 = 2;
}

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
