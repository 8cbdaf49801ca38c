//! The public C structs the library writes: a `struct event` or `struct bufferevent` it
//! allocates (`event_new`, `bufferevent_socket_new`), or a `struct event` in the program's own
//! memory (`event_assign`, `event_set`). Every store goes through a raw pointer to one field;
//! nothing here reads C memory or makes a reference to it.
//!
//! When a program's memory may be written follows libevent's contract for it: during a call the
//! program makes on the event, and while libevent would have the event on its lists (pending or
//! active), which is when libevent itself writes there. The handle tables keep to that.

use std::alloc::Layout;
use std::os::raw::{c_int, c_short, c_void};
use std::ptr::{addr_of_mut, NonNull};

use super::cptr::ProgramEvent;
use crate::fields::{BevShown, EventSetup, EventShown};
use crate::types::{bufferevent, evbuffer, event, event_base};

/// Where one `struct event` lives, and whether the library owns that memory.
pub(crate) struct EventMem {
    ptr: NonNull<event>,
    owned: bool,
}

impl EventMem {
    /// A zeroed `struct event` of the library's own (`event_new`), freed with this value.
    pub(crate) fn alloc() -> EventMem {
        EventMem {
            ptr: alloc_zeroed(),
            owned: true,
        }
    }

    /// The program's own `struct event` at `ev` (None for NULL). The caller of `event_assign`
    /// promises a `struct event` there, kept alive while the event is added or active and
    /// during each call made on it: the only times it is written ([`ProgramEvent`]'s
    /// contract).
    pub(crate) fn program(ev: ProgramEvent) -> Option<EventMem> {
        NonNull::new(ev.as_ptr()).map(|ptr| EventMem { ptr, owned: false })
    }

    /// The address C sees.
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// True for memory the library allocated (writable whenever the handle exists).
    pub(crate) fn owned(&self) -> bool {
        self.owned
    }

    /// Writes what `event_assign` writes.
    pub(crate) fn setup(&self, s: &EventSetup) {
        // SAFETY: `ptr` is this value's allocation, or the program's `struct event` during the
        // `event_assign` / `event_base_set` call that writes it (see `program`).
        unsafe { write_setup(self.ptr.as_ptr(), s) }
    }

    /// Writes what `event_base_set` changes: the base and the priority.
    pub(crate) fn set_base(&self, base: usize, pri: u8) {
        let ev = self.ptr.as_ptr();
        // SAFETY: as in `setup`, during the `event_base_set` call; single-field raw stores.
        unsafe {
            addr_of_mut!((*ev).ev_base).write(base as *mut event_base);
            addr_of_mut!((*ev).ev_evcallback.evcb_pri).write(pri);
        }
    }

    /// Writes the fields that change as the event lives.
    pub(crate) fn show(&self, s: &EventShown) {
        // SAFETY: as in `setup`; the tables write a program's memory only at the times its
        // contract allows (see `program`).
        unsafe { write_shown(self.ptr.as_ptr(), s) }
    }
}

// SAFETY: an `EventMem` is an address and who owns the memory there. The struct is written
// only through the methods above, which the library calls while it holds the handle tables'
// lock (or during the program's own call on the event), so moving the value to another thread
// brings no unsynchronized access with it; memory the library allocated may be freed on any
// thread.
unsafe impl Send for EventMem {}

impl Drop for EventMem {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: made by `alloc_zeroed` in `alloc` and freed once, here.
            unsafe { free(self.ptr) };
        }
    }
}

/// A `struct bufferevent` the library allocated, freed with this value.
pub(crate) struct BevMem {
    ptr: NonNull<bufferevent>,
}

impl BevMem {
    /// A zeroed `struct bufferevent`.
    pub(crate) fn alloc() -> BevMem {
        BevMem {
            ptr: alloc_zeroed(),
        }
    }

    /// The address C sees.
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    fn event_ptr(&self, write: bool) -> *mut event {
        let bev = self.ptr.as_ptr();
        // SAFETY: a field of this live allocation; only its address is taken.
        unsafe {
            if write {
                addr_of_mut!((*bev).ev_write)
            } else {
                addr_of_mut!((*bev).ev_read)
            }
        }
    }

    /// The address of `&bev->ev_read` (or `&bev->ev_write`).
    pub(crate) fn event_addr(&self, write: bool) -> usize {
        self.event_ptr(write) as usize
    }

    /// `event_assign` of `ev_read` (or `ev_write`).
    pub(crate) fn setup_event(&self, write: bool, s: &EventSetup) {
        // SAFETY: the embedded event of this live allocation.
        unsafe { write_setup(self.event_ptr(write), s) }
    }

    /// The changing fields of `ev_read` (or `ev_write`).
    pub(crate) fn show_event(&self, write: bool, s: &EventShown) {
        // SAFETY: the embedded event of this live allocation.
        unsafe { write_shown(self.event_ptr(write), s) }
    }

    /// Writes the bufferevent's own public fields.
    pub(crate) fn show(&self, s: &BevShown) {
        let p = self.ptr.as_ptr();
        // SAFETY: fields of this live allocation, written through raw field pointers.
        unsafe {
            addr_of_mut!((*p).ev_base).write(s.base as *mut event_base);
            addr_of_mut!((*p).input).write(s.input as *mut evbuffer);
            addr_of_mut!((*p).output).write(s.output as *mut evbuffer);
            addr_of_mut!((*p).wm_read).write(s.wm_read);
            addr_of_mut!((*p).wm_write).write(s.wm_write);
            addr_of_mut!((*p).readcb).write(s.readcb);
            addr_of_mut!((*p).writecb).write(s.writecb);
            addr_of_mut!((*p).errorcb).write(s.errorcb);
            addr_of_mut!((*p).cbarg).write(s.cbarg as *mut c_void);
            addr_of_mut!((*p).timeout_read).write(s.timeout_read.to_c());
            addr_of_mut!((*p).timeout_write).write(s.timeout_write.to_c());
            addr_of_mut!((*p).enabled).write(s.enabled);
        }
    }
}

// SAFETY: as for `EventMem`: written only through these methods, under the tables' lock;
// freed on any thread.
unsafe impl Send for BevMem {}

impl Drop for BevMem {
    fn drop(&mut self) {
        // SAFETY: made by `alloc_zeroed` in `alloc` and freed once, here.
        unsafe { free(self.ptr) };
    }
}

/// A zeroed `T` on the heap: all-zero bytes are a valid `struct event` or `struct bufferevent`
/// (integers, raw pointers, optional function pointers and unions of them).
/// Allocated as libevent allocates it (`mm_calloc`: the program's `event_set_mem_functions`
/// replacement when set), so the program sees its own allocator's block.
fn alloc_zeroed<T>() -> NonNull<T> {
    let layout = Layout::new::<T>();
    let p = super::cmem::calloc(layout.size()).cast::<T>();
    NonNull::new(p).unwrap_or_else(|| std::alloc::handle_alloc_error(layout))
}

/// Frees what [`alloc_zeroed`] made.
///
/// # Safety
/// `p` must come from `alloc_zeroed::<T>` and not be freed yet.
unsafe fn free<T>(p: NonNull<T>) {
    // SAFETY: the caller's promise: a live block from `cmem::calloc`.
    unsafe { super::cmem::free(p.as_ptr().cast()) }
}

/// Stores what `event_assign` sets (libevent's event.c): base, callback, argument, fd, events,
/// `ev_res` 0, `EVLIST_INIT`, the closure kind, no heap slot, and the priority when there is a
/// base.
///
/// # Safety
/// `ev` must point to memory writable as a `struct event`, with nothing else using it during
/// the call.
unsafe fn write_setup(ev: *mut event, s: &EventSetup) {
    // SAFETY: the caller's promise; each store is to one field through a raw pointer, and the
    // union fields are plain integers and pointers (no drop, no reads).
    unsafe {
        addr_of_mut!((*ev).ev_base).write(s.base as *mut event_base);
        addr_of_mut!((*ev).ev_evcallback.evcb_callback).write(s.callback);
        addr_of_mut!((*ev).ev_evcallback.evcb_arg).write(s.arg as *mut c_void);
        addr_of_mut!((*ev).ev_fd).write(s.fd);
        addr_of_mut!((*ev).ev_events).write(s.events);
        addr_of_mut!((*ev).ev_res).write(0);
        addr_of_mut!((*ev).ev_evcallback.evcb_flags).write(s.flags);
        addr_of_mut!((*ev).ev_evcallback.evcb_closure).write(s.closure);
        addr_of_mut!((*ev).ev_.ev_signal.ev_ncalls).write(0);
        addr_of_mut!((*ev).ev_.ev_signal.ev_pncalls).write(std::ptr::null_mut::<c_short>());
        if s.clear_io_timeout {
            addr_of_mut!((*ev).ev_.ev_io.ev_timeout).write(libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            });
        }
        let no_slot: c_int = -1;
        addr_of_mut!((*ev).ev_timeout_pos.min_heap_idx).write(no_slot);
        if let Some(pri) = s.pri {
            addr_of_mut!((*ev).ev_evcallback.evcb_pri).write(pri);
        }
    }
}

/// Stores the fields that change as an event lives: `evcb_flags`, `ev_res`, `evcb_pri`, and
/// the timeout fields once armed.
///
/// # Safety
/// As for [`write_setup`].
unsafe fn write_shown(ev: *mut event, s: &EventShown) {
    // SAFETY: the caller's promise; single-field raw stores.
    unsafe {
        addr_of_mut!((*ev).ev_evcallback.evcb_flags).write(s.flags);
        addr_of_mut!((*ev).ev_res).write(s.res);
        if let Some(pri) = s.pri {
            addr_of_mut!((*ev).ev_evcallback.evcb_pri).write(pri);
        }
        if let Some(tv) = s.timeout {
            addr_of_mut!((*ev).ev_timeout).write(tv.to_c());
        }
        if let Some(tv) = s.io_timeout {
            addr_of_mut!((*ev).ev_.ev_io.ev_timeout).write(tv.to_c());
        }
    }
}
