//! The handle tables: what each pointer handed to C stands for.
//!
//! A `struct event *` or `struct bufferevent *` is the address of a real C struct — the
//! library's own allocation (`event_new`, `bufferevent_socket_new`) or, for `event_assign`, the
//! program's memory — whose public fields the library writes as libevent does. Other pointers
//! are the addresses of small boxes the library owns (a [`Token`]). Either way the address is
//! the key of an entry here, and the entry holds evscope's typed id. A pointer is looked up
//! before anything is done with it, and the library never reads through it: a freed or foreign
//! pointer is simply not in the table, and the call is refused with a message instead of
//! crashing.
//!
//! The tables are the process's, behind one lock, so a base made on one thread is known on
//! every other (memcached's main thread makes its workers' bases). The lock is held only for
//! table work: never while the engine runs a callback or calls C, and never while waiting for
//! a base.

use std::cell::Cell;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::os::raw::{c_int, c_short};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, TryLockError};

use evscope_core::ev::{
    BevId, BevOptions, BreakHandle, Evbuffer, EventBase, EventId, ListenerId, What,
};

use crate::error::{CError, Result};
use crate::fields::{self, BevShown, EventSetup, EventShown, Tv};
use crate::sys::call::{BevDataCb, BevEventCb, EventCb, ListenerCb, ListenerErrCb};
use crate::sys::cmem::CBlock;
use crate::sys::cstruct::{BevMem, EventMem};
use crate::sys::shared::SharedBase;
use crate::types::evlist;

/// A unique address for a handle, alive as long as its entry: a small C block, allocated
/// through the program's `event_set_mem_functions` replacements when it set them.
pub(crate) struct Token(CBlock);

impl Token {
    pub(crate) fn new() -> Token {
        Token(CBlock::zeroed(8))
    }

    /// The address C sees.
    pub(crate) fn key(&self) -> usize {
        self.0.addr()
    }
}

/// `struct event_base *`.
pub(crate) struct BaseEntry {
    pub base: Arc<SharedBase>,
    /// Breaks the loop without the base: `event_base_loopbreak` from a signal handler or
    /// another thread runs while the loop holds it.
    pub breaker: BreakHandle,
    /// libevent's internal signal event (`base->sig.ev_signal`), made once the engine watches
    /// for signals: `event_base_dump_events` lists it.
    pub sig_event: Option<EventMem>,
    /// libevent's internal notify event (`base->th_notify`), made once the base is
    /// notifiable: `event_base_dump_events` lists it.
    pub notify_event: Option<EventMem>,
    /// Engine events to free, left by a thread that could not reach the base without waiting
    /// (see [`defer_free`]).
    pub orphans: Vec<EventId>,
    pub _token: Token,
}

/// How many [`BaseEntry::orphans`] wait in all bases: while 0, using a base costs no look.
static ORPHANS: AtomicUsize = AtomicUsize::new(0);

/// Leaves the engine event `id` of the base `key` for the next thread that uses that base to
/// free (`event_assign` over a `struct event` last used on a base another thread is running:
/// memcached reuses a connection's struct for the next connection on the same fd, which may
/// go to another worker).
pub(crate) fn defer_free(key: usize, id: EventId) -> Result<()> {
    with(|h| {
        if let Some(b) = h.bases.get_mut(&key) {
            b.orphans.push(id);
            ORPHANS.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    })
}

/// The engine events left to free on the base `key` (usually none, at the cost of one load).
pub(crate) fn take_orphans(key: usize) -> Vec<EventId> {
    if ORPHANS.load(Ordering::Acquire) == 0 {
        return Vec::new();
    }
    with(|h| {
        let ids = h
            .bases
            .get_mut(&key)
            .map(|b| std::mem::take(&mut b.orphans))
            .unwrap_or_default();
        ORPHANS.fetch_sub(ids.len(), Ordering::AcqRel);
        Ok(ids)
    })
    .unwrap_or_default()
}

/// Where an event's `struct event` is.
pub(crate) enum Home {
    /// Its own memory: the library's (`event_new`, `event_base_once`) or the program's
    /// (`event_assign`, `event_set`).
    Mem(EventMem),
    /// `&bev->ev_read` (`write` false) or `&bev->ev_write` of the bufferevent `bev`.
    InBev { bev: usize, write: bool },
}

/// When, in the tables' own count, an event was last seen to become inserted, armed or
/// active: the orders `event_base_dump_events` lists events in.
#[derive(Clone, Copy, Default)]
pub(crate) struct Order {
    pub inserted: u64,
    pub armed: u64,
    pub active: u64,
}

/// `struct event *`.
pub(crate) struct EventEntry {
    /// `ev_base`: None after `event_set` with no current base, until `event_base_set`.
    pub base: Option<usize>,
    /// The engine's event: None without a base, for a bufferevent's event before it has a
    /// socket, and once its base is freed.
    pub id: Option<EventId>,
    pub fd: c_int,
    pub what: c_short,
    pub cb: Option<EventCb>,
    pub arg: usize,
    pub home: Home,
    /// What its struct shows now (the values last written).
    pub shown: EventShown,
    pub order: Order,
    /// Its base was freed (an `event_new` event the program has not freed yet): only
    /// `event_free`, `event_base_set` and the getters still work.
    pub orphan: bool,
    /// Made by `event_base_once`: the library frees it after its callback.
    pub once: bool,
    /// Last added with a common timeout (`event_base_init_common_timeout`): the magic and
    /// index bits its `ev_timeout.tv_usec` carries, as libevent's does.
    pub common: Option<libc::suseconds_t>,
}

/// The moment an event's struct is brought up to date.
#[derive(Clone, Copy)]
pub(crate) enum Moment {
    /// A call the program made on this event returns.
    Call,
    /// Its callback is about to run for `What`.
    Callback(What),
    /// Any other time: the program's memory is written only while the event is on a list.
    Look,
}

/// Whether a bufferevent exists in the engine yet. It is made at the first call that needs it
/// (usually `bufferevent_setcb`, right after `bufferevent_socket_new`), so that it can be
/// labeled with its callbacks' names from its first trace record on.
#[derive(Clone, Copy)]
pub(crate) enum BevState {
    Unborn {
        fd: Option<RawFd>,
        options: BevOptions,
    },
    Live(BevId),
}

/// The C callbacks of a bufferevent (`bufferevent_getcb`).
#[derive(Clone, Copy, Default)]
pub(crate) struct BevCbs {
    pub read: Option<BevDataCb>,
    pub write: Option<BevDataCb>,
    pub event: Option<BevEventCb>,
    pub arg: usize,
}

/// `struct bufferevent *`.
pub(crate) struct BevEntry {
    pub base: usize,
    pub state: BevState,
    /// A `bufferevent_pair_new` end (no socket, no read and write events of its own).
    pub pair: bool,
    /// The keys of its two `struct evbuffer *`, stable for its life.
    pub input: usize,
    pub output: usize,
    pub cbs: BevCbs,
    /// `bufferevent_set_timeouts`, as given.
    pub timeouts: [Tv; 2],
    /// What its struct shows now.
    pub shown: BevShown,
    /// Its C callbacks running now: libevent holds a reference while each runs.
    pub running: u32,
    /// `bufferevent_free` was called inside one of its callbacks: the handle lasts until they
    /// return, with its callbacks cleared.
    pub freed: bool,
    pub mem: BevMem,
}

impl BevEntry {
    /// Forgets the program's callbacks and shows them cleared in its struct (libevent's
    /// `bufferevent_setcb(bev, NULL, NULL, NULL, NULL)`, as `bufferevent_free` begins).
    pub(crate) fn clear_callbacks(&mut self) {
        self.cbs = BevCbs::default();
        let shown = BevShown {
            readcb: None,
            writecb: None,
            errorcb: None,
            cbarg: 0,
            ..self.shown
        };
        self.mem.show(&shown);
        self.shown = shown;
    }

    /// The key of `&bev->ev_read` (or `&bev->ev_write`).
    pub(crate) fn event_key(&self, write: bool) -> usize {
        self.mem.event_addr(write)
    }
}

/// What a `struct evbuffer *` is.
pub(crate) enum BufData {
    /// Made by `evbuffer_new`: the bytes live here.
    Owned(Evbuffer),
    /// A bufferevent's input or output: the bytes live in the engine. `frozen`: libevent's
    /// `evbuffer_freeze` of a bufferevent's buffers (the program may not add to its input nor
    /// take from its output), which lasts until `bufferevent_socket_connect`.
    OfBev {
        bev: usize,
        output: bool,
        frozen: bool,
    },
}

/// `struct evbuffer *`.
pub(crate) struct BufEntry {
    pub data: BufData,
    /// Its callbacks, freezing and flags (see buffer_cb.rs).
    pub ext: crate::buffer_cb::BufExt,
    pub _token: Token,
}

/// `struct evconnlistener *`.
pub(crate) struct LevEntry {
    pub base: usize,
    pub id: ListenerId,
    pub cb: Option<ListenerCb>,
    pub errcb: Option<ListenerErrCb>,
    pub arg: usize,
    pub _token: Token,
}

/// Every live handle of the process.
#[derive(Default)]
pub(crate) struct Handles {
    pub bases: HashMap<usize, BaseEntry>,
    pub events: HashMap<usize, EventEntry>,
    pub bevs: HashMap<usize, BevEntry>,
    pub bufs: HashMap<usize, BufEntry>,
    pub levs: HashMap<usize, LevEntry>,
    /// Counts the changes [`Order`] records.
    pub seq: u64,
}

static HANDLES: LazyLock<Mutex<Handles>> = LazyLock::new(Mutex::default);

thread_local! {
    /// This thread is inside [`with`]: a nested call (or a signal handler that interrupted it)
    /// must not wait for the lock it holds itself. No destructor, so a signal handler may look.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// A base whose `event_base_loopbreak` came from a signal handler that interrupted table work
/// on its own thread; whoever finishes table work next breaks it (0: none).
static LATE_BREAK: AtomicUsize = AtomicUsize::new(0);

/// Clears [`INSIDE`] as the lock is released.
struct Inside;

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|i| i.set(false));
    }
}

/// Brings the struct of the event `key` up to date with the engine `b` (see
/// [`Handles::sync_event`]). Used from inside a base's frame; if the tables are out of reach
/// (the process is exiting) the struct is simply left as it was.
pub(crate) fn sync(key: usize, b: &EventBase, moment: Moment) {
    // Nothing follows from it: an out-of-reach table only leaves the struct as it was.
    let _ = with(|h| {
        h.sync_event(key, b, moment);
        Ok(())
    });
}

/// Runs `f` on the process's tables, holding their lock. Never call into the engine in a way
/// that may call C inside `f` (queries are fine), nor `with_base`.
pub(crate) fn with<R>(f: impl FnOnce(&mut Handles) -> Result<R>) -> Result<R> {
    if INSIDE.with(Cell::get) {
        return Err(CError::Busy);
    }
    let r = {
        let mut h = HANDLES.lock().unwrap_or_else(PoisonError::into_inner);
        INSIDE.with(|i| i.set(true));
        let _inside = Inside;
        f(&mut h)
    };
    if LATE_BREAK.load(Ordering::Acquire) != 0 {
        let late = LATE_BREAK.swap(0, Ordering::AcqRel);
        if late != 0 {
            // Stale by now, or broken: nothing else is owed to the signal handler.
            let _ = loopbreak(late);
        }
    }
    r
}

/// `event_base_loopbreak` of the base `key`: only sets its break flag, without waiting for the
/// base or, for more than a moment, for the tables — a signal handler may call it.
pub(crate) fn loopbreak(key: usize) -> Result<()> {
    non_null(key, "event_base")?;
    if INSIDE.with(Cell::get) {
        // A signal handler interrupted table work on this thread: the break is made as that
        // work ends.
        LATE_BREAK.store(key, Ordering::Release);
        return Ok(());
    }
    // Another thread holds the tables for a few microseconds at most.
    for _ in 0..100_000 {
        match HANDLES.try_lock() {
            Ok(h) => return break_in(&h, key),
            Err(TryLockError::Poisoned(p)) => return break_in(&p.into_inner(), key),
            Err(TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
    Err(CError::Busy)
}

fn break_in(h: &Handles, key: usize) -> Result<()> {
    let entry = h.bases.get(&key).ok_or(CError::Stale("event_base"))?;
    entry.breaker.loopbreak();
    Ok(())
}

/// Rejects NULL, naming the C type.
pub(crate) fn non_null(key: usize, ty: &'static str) -> Result<usize> {
    if key == 0 {
        Err(CError::Null(ty))
    } else {
        Ok(key)
    }
}

/// Stores `shown` in the struct of the event `home` (a bufferevent's, through its entry).
fn write_event(bevs: &HashMap<usize, BevEntry>, home: &Home, shown: &EventShown) {
    match home {
        Home::Mem(mem) => mem.show(shown),
        Home::InBev { bev, write } => {
            if let Some(b) = bevs.get(bev) {
                b.mem.show_event(*write, shown);
            }
        }
    }
}

impl Handles {
    pub(crate) fn base(&self, key: usize) -> Result<Arc<SharedBase>> {
        non_null(key, "event_base")?;
        self.bases
            .get(&key)
            .map(|b| b.base.clone())
            .ok_or(CError::Stale("event_base"))
    }

    pub(crate) fn event(&self, key: usize) -> Result<&EventEntry> {
        non_null(key, "event")?;
        self.events.get(&key).ok_or(CError::Stale("event"))
    }

    pub(crate) fn event_mut(&mut self, key: usize) -> Result<&mut EventEntry> {
        non_null(key, "event")?;
        self.events.get_mut(&key).ok_or(CError::Stale("event"))
    }

    pub(crate) fn bev(&self, key: usize) -> Result<&BevEntry> {
        non_null(key, "bufferevent")?;
        self.bevs.get(&key).ok_or(CError::Stale("bufferevent"))
    }

    pub(crate) fn bev_mut(&mut self, key: usize) -> Result<&mut BevEntry> {
        non_null(key, "bufferevent")?;
        self.bevs.get_mut(&key).ok_or(CError::Stale("bufferevent"))
    }

    pub(crate) fn buf_mut(&mut self, key: usize) -> Result<&mut BufEntry> {
        non_null(key, "evbuffer")?;
        self.bufs.get_mut(&key).ok_or(CError::Stale("evbuffer"))
    }

    pub(crate) fn lev(&self, key: usize) -> Result<&LevEntry> {
        non_null(key, "evconnlistener")?;
        self.levs.get(&key).ok_or(CError::Stale("evconnlistener"))
    }

    pub(crate) fn lev_mut(&mut self, key: usize) -> Result<&mut LevEntry> {
        non_null(key, "evconnlistener")?;
        self.levs
            .get_mut(&key)
            .ok_or(CError::Stale("evconnlistener"))
    }

    /// Brings the struct of the event `key` up to date with the engine `b`, at `moment`.
    /// The program's own memory is written during its calls on the event, before its
    /// callback, and while libevent would have the event on a list; the library's always.
    pub(crate) fn sync_event(&mut self, key: usize, b: &EventBase, moment: Moment) {
        let Handles {
            events, bevs, seq, ..
        } = self;
        let Some(e) = events.get_mut(&key) else {
            return;
        };
        let Some(id) = e.id else {
            return;
        };
        let Some(mut now) = EventShown::of(b, id, &e.shown) else {
            return;
        };
        if let Moment::Callback(fired) = moment {
            now.res = fields::bits(fired);
        }
        if let (Some(bits), Some(t)) = (e.common, now.timeout.as_mut()) {
            t.usec = (t.usec & fields::MICROSECONDS_MASK) | bits;
        }
        let became = |bit: c_short| now.flags & bit != 0 && e.shown.flags & bit == 0;
        let mut next = || {
            *seq += 1;
            *seq
        };
        if became(evlist::INSERTED) {
            e.order.inserted = next();
        }
        if became(evlist::TIMEOUT) {
            e.order.armed = next();
        }
        if became(evlist::ACTIVE) {
            e.order.active = next();
        }
        let writable = match (&e.home, moment) {
            (Home::Mem(mem), Moment::Look) if !mem.owned() => e.shown.listed() || now.listed(),
            _ => true,
        };
        if writable && now != e.shown {
            write_event(bevs, &e.home, &now);
            e.shown = now;
        }
    }

    /// Sets what the event `key`'s struct shows to `shown` (a call on it changed it).
    pub(crate) fn show_event(&mut self, key: usize, shown: EventShown) {
        let Handles { events, bevs, .. } = self;
        if let Some(e) = events.get_mut(&key) {
            write_event(bevs, &e.home, &shown);
            e.shown = shown;
        }
    }

    /// Writes what `event_base_set` changes into the struct of the event `key`, now on `base`
    /// as the engine's `id`.
    pub(crate) fn rebase(&mut self, key: usize, base: usize, id: EventId, pri: u8) {
        if let Some(e) = self.events.get_mut(&key) {
            if let Home::Mem(mem) = &e.home {
                mem.set_base(base, pri);
            }
            e.base = Some(base);
            e.id = Some(id);
            e.orphan = false;
            e.shown.pri = Some(pri);
        }
    }

    /// Registers the event `key` living at `home`, set up as `setup` says.
    pub(crate) fn insert_event(
        &mut self,
        key: usize,
        home: Home,
        setup: &EventSetup,
        id: Option<EventId>,
        cb: Option<EventCb>,
    ) {
        match &home {
            Home::Mem(mem) => mem.setup(setup),
            Home::InBev { bev, write } => {
                if let Some(b) = self.bevs.get(bev) {
                    b.mem.setup_event(*write, setup);
                }
            }
        }
        self.events.insert(
            key,
            EventEntry {
                base: (setup.base != 0).then_some(setup.base),
                id,
                fd: setup.fd,
                what: setup.events,
                cb,
                arg: setup.arg,
                home,
                shown: setup.shown(),
                order: Order::default(),
                orphan: false,
                once: false,
                common: None,
            },
        );
    }

    /// Registers a bufferevent on `base` with fresh input and output buffer handles and its
    /// two events, set up as `setup(bev, write)` says; returns its key.
    pub(crate) fn insert_bev(
        &mut self,
        base: usize,
        state: BevState,
        pair: bool,
        setup: impl Fn(usize, bool) -> EventSetup,
    ) -> usize {
        let mem = BevMem::alloc();
        let key = mem.addr();
        let mut buf = |output| {
            let t = Token::new();
            let k = t.key();
            self.bufs.insert(
                k,
                BufEntry {
                    data: BufData::OfBev {
                        bev: key,
                        output,
                        frozen: true,
                    },
                    ext: Default::default(),
                    _token: t,
                },
            );
            k
        };
        let (input, output) = (buf(false), buf(true));
        let shown = BevShown {
            base,
            input,
            output,
            wm_read: Default::default(),
            wm_write: Default::default(),
            readcb: None,
            writecb: None,
            errorcb: None,
            cbarg: 0,
            timeout_read: Tv::ZERO,
            timeout_write: Tv::ZERO,
            enabled: fields::EV_WRITE,
        };
        mem.show(&shown);
        let entry = BevEntry {
            base,
            state,
            pair,
            input,
            output,
            cbs: BevCbs::default(),
            timeouts: [Tv::ZERO; 2],
            shown,
            running: 0,
            freed: false,
            mem,
        };
        let keys = [entry.event_key(false), entry.event_key(true)];
        self.bevs.insert(key, entry);
        for (write, ev_key) in [false, true].into_iter().zip(keys) {
            let setup = setup(key, write);
            let cb = setup.callback;
            self.insert_event(ev_key, Home::InBev { bev: key, write }, &setup, None, cb);
        }
        key
    }

    /// Forgets a bufferevent, its two buffer handles and its two events.
    pub(crate) fn remove_bev(&mut self, key: usize) -> Option<BevEntry> {
        let entry = self.bevs.remove(&key)?;
        self.bufs.remove(&entry.input);
        self.bufs.remove(&entry.output);
        self.events.remove(&entry.event_key(false));
        self.events.remove(&entry.event_key(true));
        Some(entry)
    }

    /// Forgets a base and every handle that belongs to it; returns the base for dropping
    /// outside the tables. Its events are deleted, as `event_base_free` does; an `event_new`
    /// event stays allocated (an orphan) until the program frees it.
    pub(crate) fn remove_base(&mut self, key: usize) -> Option<BaseEntry> {
        let entry = self.bases.remove(&key)?;
        ORPHANS.fetch_sub(entry.orphans.len(), Ordering::AcqRel);
        self.levs.retain(|_, l| l.base != key);
        let bevs: Vec<usize> = self
            .bevs
            .iter()
            .filter(|(_, b)| b.base == key)
            .map(|(k, _)| *k)
            .collect();
        for bev in bevs {
            self.remove_bev(bev);
        }
        let Handles { events, bevs, .. } = self;
        events.retain(|_, e| {
            if e.base != Some(key) || e.orphan {
                return true;
            }
            if e.shown.listed() {
                let deleted = e.shown.deleted();
                write_event(bevs, &e.home, &deleted);
                e.shown = deleted;
            }
            match &e.home {
                Home::Mem(mem) if mem.owned() && !e.once => {
                    e.id = None;
                    e.orphan = true;
                    true
                }
                _ => false,
            }
        });
        Some(entry)
    }
}
