//! [`Labeled`]: libevent's constructors, giving what they make a name the dashboard shows.
//!
//! `base.labeled("ticker").evtimer_new(cb)` makes what `base.evtimer_new(cb)` makes, and the
//! trace calls it `ticker` instead of its handle's name (`ev3`). A label is evscope's only
//! addition to a libevent call, so it is said before the call rather than as an argument of a
//! second constructor.

use super::base::EventBase;

/// The constructors of [`EventBase`] with a label; made by [`EventBase::labeled`].
///
/// An empty label means the handle's name, as with the unlabelled constructor.
#[must_use = "a label names what the constructor called on it makes"]
pub struct Labeled<'b> {
    pub(super) base: &'b mut EventBase,
    pub(super) label: &'b str,
}

impl EventBase {
    /// Names what the next constructor called on the result makes: `event_new`,
    /// `evtimer_new`, `evsignal_new`, `bufferevent_socket_new`, `evconnlistener_new` or
    /// `evconnlistener_new_bind`.
    pub fn labeled<'b>(&'b mut self, label: &'b str) -> Labeled<'b> {
        Labeled { base: self, label }
    }
}
