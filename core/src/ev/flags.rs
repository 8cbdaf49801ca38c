//! Event flags (`EV_READ`, `EV_WRITE`, …) with libevent 2.1's numeric values.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// What an event waits for, or what happened to it (libevent's `short what` / `short events`).
///
/// The bit values are libevent 2.1's, so a number printed by a C program means the same here.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct What(u16);

impl What {
    /// No flags.
    pub const NONE: What = What(0);
    /// `EV_TIMEOUT`: the event's timeout expired.
    pub const TIMEOUT: What = What(0x01);
    /// `EV_READ`: the fd is readable.
    pub const READ: What = What(0x02);
    /// `EV_WRITE`: the fd is writable.
    pub const WRITE: What = What(0x04);
    /// `EV_SIGNAL`: the "fd" is a signal number.
    pub const SIGNAL: What = What(0x08);
    /// `EV_PERSIST`: stay pending after the callback runs.
    pub const PERSIST: What = What(0x10);
    /// `EV_ET`: edge-triggered (epoll backend only).
    pub const ET: What = What(0x20);
    /// `EV_CLOSED`: the peer closed its end (epoll's `EPOLLRDHUP`; other backends report it as READ).
    pub const CLOSED: What = What(0x80);
    /// `EV_FINALIZE`: what a finalizing event is active for (`event_finalize`).
    pub const FINALIZE: What = What(0x40);

    pub(crate) const NAMES: [(What, &'static str); 7] = [
        (What::TIMEOUT, "TIMEOUT"),
        (What::READ, "READ"),
        (What::WRITE, "WRITE"),
        (What::SIGNAL, "SIGNAL"),
        (What::PERSIST, "PERSIST"),
        (What::ET, "ET"),
        (What::CLOSED, "CLOSED"),
    ];

    /// The raw bits, as libevent would see them.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Flags from raw bits; unknown bits are dropped.
    pub const fn from_bits_truncate(bits: u16) -> What {
        What(bits & 0xbf)
    }

    /// True when every flag of `other` is set here.
    pub const fn contains(self, other: What) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any flag of `other` is set here.
    pub const fn intersects(self, other: What) -> bool {
        self.0 & other.0 != 0
    }

    /// True when no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags' names in a fixed order, e.g. `["READ", "PERSIST"]` (the trace's `what` list).
    pub fn names(self) -> Vec<&'static str> {
        self.iter_names().collect()
    }

    /// [`What::names`] without allocating.
    pub fn iter_names(self) -> impl Iterator<Item = &'static str> {
        What::NAMES
            .iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
    }

    /// Parses one flag name as written by [`What::names`].
    pub fn from_name(name: &str) -> Option<What> {
        What::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(flag, _)| *flag)
    }
}

impl BitOr for What {
    type Output = What;
    fn bitor(self, rhs: What) -> What {
        What(self.0 | rhs.0)
    }
}

impl BitOrAssign for What {
    fn bitor_assign(&mut self, rhs: What) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for What {
    type Output = What;
    fn bitand(self, rhs: What) -> What {
        What(self.0 & rhs.0)
    }
}

impl Not for What {
    type Output = What;
    fn not(self) -> What {
        What(!self.0)
    }
}

impl fmt::Display for What {
    /// `READ|PERSIST`, or `-` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("-");
        }
        f.write_str(&self.names().join("|"))
    }
}

impl fmt::Debug for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "What({self})")
    }
}

/// Flags for [`EventBase::loop_`](crate::ev::EventBase::loop_) (libevent's `EVLOOP_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct LoopFlags(u8);

impl LoopFlags {
    /// Run until no events are pending or active, or until exit / break.
    pub const NONE: LoopFlags = LoopFlags(0);
    /// `EVLOOP_ONCE`: block until something is active, run it, then return.
    pub const ONCE: LoopFlags = LoopFlags(0x01);
    /// `EVLOOP_NONBLOCK`: do not block; run what is ready now, then return.
    pub const NONBLOCK: LoopFlags = LoopFlags(0x02);
    /// `EVLOOP_NO_EXIT_ON_EMPTY`: keep looping with no events added (until exit / break).
    pub const NO_EXIT_ON_EMPTY: LoopFlags = LoopFlags(0x04);

    /// True when every flag of `other` is set here.
    pub const fn contains(self, other: LoopFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for LoopFlags {
    type Output = LoopFlags;
    fn bitor(self, rhs: LoopFlags) -> LoopFlags {
        LoopFlags(self.0 | rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_libevent() {
        assert_eq!(What::TIMEOUT.bits(), 0x01);
        assert_eq!(What::READ.bits(), 0x02);
        assert_eq!(What::WRITE.bits(), 0x04);
        assert_eq!(What::SIGNAL.bits(), 0x08);
        assert_eq!(What::PERSIST.bits(), 0x10);
        assert_eq!(What::ET.bits(), 0x20);
        assert_eq!(What::CLOSED.bits(), 0x80);
    }

    #[test]
    fn names_round_trip() {
        let w = What::READ | What::PERSIST;
        assert_eq!(w.names(), vec!["READ", "PERSIST"]);
        assert_eq!(w.to_string(), "READ|PERSIST");
        let back = w
            .names()
            .iter()
            .fold(What::NONE, |acc, n| acc | What::from_name(n).unwrap());
        assert_eq!(back, w);
        assert_eq!(What::from_name("BOGUS"), None);
        assert_eq!(What::NONE.to_string(), "-");
    }
}

/// What happened to a bufferevent (libevent's `BEV_EVENT_*`, same values).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BevEvents(u16);

impl BevEvents {
    /// `BEV_EVENT_READING`: the error or timeout happened while reading.
    pub const READING: BevEvents = BevEvents(0x01);
    /// `BEV_EVENT_WRITING`: the error or timeout happened while writing.
    pub const WRITING: BevEvents = BevEvents(0x02);
    /// `BEV_EVENT_EOF`: the peer closed its side.
    pub const EOF: BevEvents = BevEvents(0x10);
    /// `BEV_EVENT_ERROR`: an error; the errno is in the event callback's argument.
    pub const ERROR: BevEvents = BevEvents(0x20);
    /// `BEV_EVENT_TIMEOUT`: a read or write timeout expired.
    pub const TIMEOUT: BevEvents = BevEvents(0x40);
    /// `BEV_EVENT_CONNECTED`: a `bufferevent_socket_connect` finished.
    pub const CONNECTED: BevEvents = BevEvents(0x80);

    pub(crate) const NAMES: [(BevEvents, &'static str); 6] = [
        (BevEvents::READING, "READING"),
        (BevEvents::WRITING, "WRITING"),
        (BevEvents::EOF, "EOF"),
        (BevEvents::ERROR, "ERROR"),
        (BevEvents::TIMEOUT, "TIMEOUT"),
        (BevEvents::CONNECTED, "CONNECTED"),
    ];

    /// No flags.
    pub const fn empty() -> BevEvents {
        BevEvents(0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// True when every flag of `other` is set here.
    pub const fn contains(self, other: BevEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// These flags less those of `other`.
    pub const fn without(self, other: BevEvents) -> BevEvents {
        BevEvents(self.0 & !other.0)
    }

    /// The flags' names, e.g. `["TIMEOUT", "READING"]`.
    pub fn names(self) -> Vec<&'static str> {
        self.iter_names().collect()
    }

    /// [`BevEvents::names`] without allocating.
    pub fn iter_names(self) -> impl Iterator<Item = &'static str> {
        BevEvents::NAMES
            .iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
    }

    /// Parses one flag name as written by [`BevEvents::names`].
    pub fn from_name(name: &str) -> Option<BevEvents> {
        BevEvents::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(flag, _)| *flag)
    }
}

impl BitOr for BevEvents {
    type Output = BevEvents;
    fn bitor(self, rhs: BevEvents) -> BevEvents {
        BevEvents(self.0 | rhs.0)
    }
}

impl BitOrAssign for BevEvents {
    fn bitor_assign(&mut self, rhs: BevEvents) {
        self.0 |= rhs.0;
    }
}

impl fmt::Display for BevEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join("|"))
    }
}

impl fmt::Debug for BevEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BevEvents({self})")
    }
}
