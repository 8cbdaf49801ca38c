//! libevent's `event_base_dump_events`, word for word (event.c `dump_inserted_event_fn`,
//! `dump_active_event_fn`): each event by the address of its `struct event`, in the order
//! libevent's `event_base_foreach_event` walks its lists.

use std::fmt::Write as _;
use std::os::raw::c_short;

use evscope_core::ev::EventBase;

use crate::error::Result;
use crate::fields::EventSetup;
use crate::fields::{self, EventShown};
use crate::handles::{self, BaseEntry, Handles, Moment, Order};
use crate::sys::cstruct::EventMem;
use crate::types::evlist;

/// One event as the dump sees it.
struct Row {
    /// libevent's own signal event: made with the base, so its fd comes before the program's.
    internal: bool,
    key: usize,
    fd: i32,
    what: c_short,
    shown: EventShown,
    order: Order,
    /// The common-timeout bits of its timeout, if it was added with one.
    common: Option<libc::suseconds_t>,
}

const EV_TIMEOUT: c_short = 0x01;
const EV_READ: c_short = 0x02;
const EV_WRITE: c_short = 0x04;
const EV_SIGNAL: c_short = 0x08;
const EV_PERSIST: c_short = 0x10;
const EV_ET: c_short = 0x20;
const EV_CLOSED: c_short = 0x80;

impl Row {
    /// Where libevent's walk meets the event: inserted fd events by fd, each fd's newest
    /// first (evmap's lists); inserted signal events by signal number; timeouts of events not
    /// inserted, earliest first (the timer heap); those of events added with a common
    /// timeout, by common timeout, in the order they were armed (its queue); then events that
    /// are only active, by priority in the order they were activated (the active queues).
    fn walk_order(&self) -> (u8, i64, i64, i64) {
        let flags = self.shown.flags;
        if self.internal {
            return (0, -1, 0, 0);
        }
        if flags & evlist::INSERTED != 0 {
            let group = if self.what & EV_SIGNAL != 0 { 1 } else { 0 };
            return (group, i64::from(self.fd), -(self.order.inserted as i64), 0);
        }
        if flags & evlist::TIMEOUT != 0 {
            if let Some(bits) = self.common {
                let index = ((bits & !fields::MICROSECONDS_MASK) >> 20) & 0xff;
                return (3, index, self.order.armed as i64, 0);
            }
            let t = self.shown.timeout.unwrap_or_default();
            return (2, t.sec, t.usec, self.order.armed as i64);
        }
        let pri = i64::from(self.shown.pri.unwrap_or(0));
        (4, pri, self.order.active as i64, 0)
    }

    /// `  0x… [fd  7]` or `  0x… [sig 2]`, before the details.
    fn head(&self) -> String {
        let gloss = if self.what & EV_SIGNAL != 0 {
            "sig"
        } else {
            "fd "
        };
        format!("  0x{:x} [{gloss} {}", self.key, self.fd)
    }
}

fn word(set: bool, w: &str) -> &str {
    if set {
        w
    } else {
        ""
    }
}

/// The events of the base `key` (`b`) in the order libevent's `event_base_foreach_event`
/// visits them, each brought up to date on the way.
fn walk(h: &mut Handles, key: usize, b: &EventBase) -> Vec<Row> {
    let keys: Vec<usize> = h
        .events
        .iter()
        .filter(|(_, e)| e.base == Some(key) && !e.orphan && e.id.is_some())
        .map(|(k, _)| *k)
        .collect();
    let mut rows = Vec::with_capacity(keys.len());
    for k in keys {
        h.sync_event(k, b, Moment::Look);
        if let Some(e) = h.events.get(&k) {
            rows.push(Row {
                internal: false,
                key: k,
                fd: e.fd,
                what: e.what,
                shown: e.shown,
                order: e.order,
                common: e.common,
            });
        }
    }
    if let Some(row) = signal_row(h, key, b) {
        rows.push(row);
    }
    if let Some(row) = notify_row(h, key, b) {
        rows.push(row);
    }
    let timers = common_timer_rows(key, &rows);
    rows.extend(timers);
    rows.sort_by_key(Row::walk_order);
    rows
}

/// The keys of the `struct event`s `event_base_foreach_event` visits on the base `key`
/// (`b`), in its order: those inserted, armed or active, libevent's internal signal event
/// among them.
pub(crate) fn foreach_keys(key: usize, b: &EventBase) -> Result<Vec<usize>> {
    handles::with(|h| {
        let rows = walk(h, key, b);
        Ok(rows
            .iter()
            .filter(|r| r.shown.listed())
            .map(|r| r.key)
            .collect())
    })
}

/// The text `event_base_dump_events` writes for the base `key` (`b`). Every event's struct is
/// brought up to date on the way.
pub(crate) fn dump(key: usize, b: &EventBase) -> Result<String> {
    handles::with(|h| {
        let rows = walk(h, key, b);
        let mut out = String::from("Inserted events:\n");
        for r in &rows {
            let (flags, ev) = (r.shown.flags, r.what);
            if flags & (evlist::INSERTED | evlist::TIMEOUT) == 0 {
                continue;
            }
            let _ = write!(
                out,
                "{}]{}{}{}{}{}{}{}",
                r.head(),
                word(ev & EV_READ != 0, " Read"),
                word(ev & EV_WRITE != 0, " Write"),
                word(ev & EV_CLOSED != 0, " EOF"),
                word(ev & EV_SIGNAL != 0, " Signal"),
                word(ev & EV_PERSIST != 0, " Persist"),
                word(ev & EV_ET != 0, " ET"),
                word(flags & evlist::INTERNAL != 0, " Internal"),
            );
            if flags & evlist::TIMEOUT != 0 {
                let at = fields::wall_of_monotonic(r.shown.timeout.unwrap_or_default());
                let _ = write!(out, " Timeout={}.{:06}", at.sec, at.usec);
            }
            out.push('\n');
        }
        out.push_str("Active events:\n");
        for r in &rows {
            let (flags, res) = (r.shown.flags, r.shown.res);
            if flags & evlist::ACTIVE == 0 {
                continue;
            }
            let _ = writeln!(
                out,
                "{}, priority={}]{}{}{}{}{} active{}",
                r.head(),
                r.shown.pri.unwrap_or(0),
                word(res & EV_READ != 0, " Read"),
                word(res & EV_WRITE != 0, " Write"),
                word(res & EV_CLOSED != 0, " EOF"),
                word(res & EV_SIGNAL != 0, " Signal"),
                word(res & EV_TIMEOUT != 0, " Timeout"),
                word(flags & evlist::INTERNAL != 0, " [Internal]"),
            );
        }
        Ok(out)
    })
}

/// libevent's internal timer of each common timeout whose queue holds events: in the timer
/// heap (so walked with the other timeouts), due when the queue's first event is.
fn common_timer_rows(key: usize, rows: &[Row]) -> Vec<Row> {
    let mut heads: Vec<(i64, &Row)> = Vec::new();
    for r in rows {
        let Some(bits) = r.common else { continue };
        if r.shown.flags & evlist::TIMEOUT == 0 {
            continue;
        }
        let index = ((bits & !fields::MICROSECONDS_MASK) >> 20) & 0xff;
        match heads.iter_mut().find(|(i, _)| *i == index) {
            Some((_, head)) if head.order.armed > r.order.armed => *head = r,
            Some(_) => {}
            None => heads.push((index, r)),
        }
    }
    let setup = EventSetup {
        flags: evlist::INIT | evlist::TIMEOUT | evlist::INTERNAL,
        pri: Some(0),
        ..EventSetup::assign(Some(key), None, -1, 0, None, 0)
    };
    heads
        .into_iter()
        .filter_map(|(index, head)| {
            let at = crate::base_extra::common_timer(key, index as usize, |mem| mem.setup(&setup))?;
            let timeout = head.shown.timeout.map(|t| fields::Tv {
                usec: t.usec & fields::MICROSECONDS_MASK,
                ..t
            });
            Some(Row {
                internal: false,
                key: at,
                fd: -1,
                what: 0,
                shown: EventShown {
                    timeout,
                    ..setup.shown()
                },
                order: Order::default(),
                common: None,
            })
        })
        .collect()
}

/// libevent's internal signal event, added with the first signal event and kept until the
/// base is freed: `Read Persist Internal` on the signal descriptor, priority 0.
fn signal_row(h: &mut Handles, key: usize, b: &EventBase) -> Option<Row> {
    internal_row(h, key, b.signal_fd()?, true, |e| &mut e.sig_event)
}

/// libevent's internal notify event, added when the base is made notifiable and kept until it
/// is freed: `Read Persist Internal` on the eventfd, priority 0. libevent walks it with the
/// program's fd events, by its descriptor.
fn notify_row(h: &mut Handles, key: usize, b: &EventBase) -> Option<Row> {
    internal_row(h, key, b.notify_fd()?, false, |e| &mut e.notify_event)
}

/// One of libevent's internal events of base `key`: `Read Persist Internal` on `fd`, priority
/// 0, its `struct event` kept in the base's entry where `slot` says; `internal` sorts it
/// before the program's events (the signal event), or among them by fd (the notify event).
fn internal_row(
    h: &mut Handles,
    key: usize,
    fd: i32,
    internal: bool,
    slot: fn(&mut BaseEntry) -> &mut Option<EventMem>,
) -> Option<Row> {
    let entry = h.bases.get_mut(&key)?;
    let setup = EventSetup {
        flags: evlist::INIT | evlist::INSERTED | evlist::INTERNAL,
        pri: Some(0),
        ..EventSetup::assign(Some(key), None, fd, EV_READ | EV_PERSIST, None, 0)
    };
    let mem = slot(entry).get_or_insert_with(|| {
        let mem = EventMem::alloc();
        mem.setup(&setup);
        mem
    });
    Some(Row {
        internal,
        key: mem.addr(),
        fd,
        what: setup.events,
        shown: setup.shown(),
        order: Order::default(),
        common: None,
    })
}
