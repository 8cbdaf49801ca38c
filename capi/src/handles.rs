//! The handle tables: what each pointer handed to C stands for.
//!
//! A pointer the library gives out is the address of a small box it owns (a [`Token`]), or,
//! for `event_assign`, of the program's own `struct event`. The address is the key of an entry
//! here, and the entry holds evscope's typed id. The library never dereferences these pointers:
//! a freed or foreign pointer is simply not in the table, and the call is refused with a
//! message instead of crashing. The tables are per thread, like an unlocked libevent base.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::os::raw::{c_int, c_short};
use std::rc::Rc;

use evscope::ev::{BevId, BevOptions, Evbuffer, EventBase, EventId, ListenerId};

use crate::error::{CError, Result};
use crate::sys::call::{BevDataCb, BevEventCb, EventCb, ListenerCb, ListenerErrCb};

/// A unique address for a handle, alive as long as its entry.
pub(crate) struct Token(Box<u64>);

impl Token {
    pub(crate) fn new() -> Token {
        Token(Box::new(0x0065_7673_636f_7065))
    }

    /// The address C sees.
    pub(crate) fn key(&self) -> usize {
        &*self.0 as *const u64 as usize
    }
}

/// `struct event_base *`.
pub(crate) struct BaseEntry {
    pub base: Rc<RefCell<EventBase>>,
    pub _token: Token,
}

/// `struct event *`.
pub(crate) struct EventEntry {
    pub base: usize,
    pub id: EventId,
    pub fd: c_int,
    pub what: c_short,
    pub cb: Option<EventCb>,
    pub arg: usize,
    /// None for `event_assign`: the key is the program's own memory.
    pub _token: Option<Token>,
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
    /// The keys of its two `struct evbuffer *`, stable for its life.
    pub input: usize,
    pub output: usize,
    pub cbs: BevCbs,
    pub _token: Token,
}

/// What a `struct evbuffer *` is.
pub(crate) enum BufData {
    /// Made by `evbuffer_new`: the bytes live here.
    Owned(Evbuffer),
    /// A bufferevent's input or output: the bytes live in the engine.
    OfBev { bev: usize, output: bool },
}

/// `struct evbuffer *`.
pub(crate) struct BufEntry {
    pub data: BufData,
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

/// Every live handle of this thread.
#[derive(Default)]
pub(crate) struct Handles {
    pub bases: HashMap<usize, BaseEntry>,
    pub events: HashMap<usize, EventEntry>,
    pub bevs: HashMap<usize, BevEntry>,
    pub bufs: HashMap<usize, BufEntry>,
    pub levs: HashMap<usize, LevEntry>,
}

thread_local! {
    static HANDLES: RefCell<Handles> = RefCell::new(Handles::default());
}

/// Runs `f` on this thread's tables. Never call into the engine (which may call C) inside `f`.
pub(crate) fn with<R>(f: impl FnOnce(&mut Handles) -> Result<R>) -> Result<R> {
    HANDLES
        .try_with(|h| match h.try_borrow_mut() {
            Ok(mut h) => f(&mut h),
            Err(_) => Err(CError::Busy),
        })
        .unwrap_or(Err(CError::Gone))
}

/// Rejects NULL, naming the C type.
pub(crate) fn non_null(key: usize, ty: &'static str) -> Result<usize> {
    if key == 0 {
        Err(CError::Null(ty))
    } else {
        Ok(key)
    }
}

impl Handles {
    pub(crate) fn base(&self, key: usize) -> Result<Rc<RefCell<EventBase>>> {
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

    /// Registers a bufferevent with fresh input and output buffer handles; returns its key.
    pub(crate) fn insert_bev(&mut self, base: usize, state: BevState) -> usize {
        let token = Token::new();
        let key = token.key();
        let mut buf = |output| {
            let t = Token::new();
            let k = t.key();
            self.bufs.insert(
                k,
                BufEntry {
                    data: BufData::OfBev { bev: key, output },
                    _token: t,
                },
            );
            k
        };
        let (input, output) = (buf(false), buf(true));
        self.bevs.insert(
            key,
            BevEntry {
                base,
                state,
                input,
                output,
                cbs: BevCbs::default(),
                _token: token,
            },
        );
        key
    }

    /// Forgets a bufferevent and its two buffer handles.
    pub(crate) fn remove_bev(&mut self, key: usize) -> Option<BevEntry> {
        let entry = self.bevs.remove(&key)?;
        self.bufs.remove(&entry.input);
        self.bufs.remove(&entry.output);
        Some(entry)
    }

    /// Forgets a base and every handle that belongs to it; returns the base for dropping
    /// outside the tables.
    pub(crate) fn remove_base(&mut self, key: usize) -> Option<BaseEntry> {
        let entry = self.bases.remove(&key)?;
        self.events.retain(|_, e| e.base != key);
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
        Some(entry)
    }
}
