//! Typed, versioned handles: a freed or stale handle is an error, never a dangling reference.

use std::fmt;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            index: u32,
            generation: u32,
        }

        impl $name {
            #[allow(dead_code)] // not every handle type is made inside the crate yet
            pub(crate) const fn new(index: u32, generation: u32) -> Self {
                Self { index, generation }
            }

            /// The slot number: small, reused after free, shown to users as the id.
            pub const fn index(self) -> u32 {
                self.index
            }

            /// How many times the slot had been reused when this handle was made.
            pub const fn generation(self) -> u32 {
                self.generation
            }

            /// A number unique over the base's lifetime for traces: the index, with the
            /// generation in the high bits once a slot is reused.
            pub const fn trace_id(self) -> u64 {
                ((self.generation as u64) << 32) | self.index as u64
            }

            /// The handle for a trace id (inverse of [`Self::trace_id`]).
            pub const fn from_trace_id(id: u64) -> Self {
                Self { index: id as u32, generation: (id >> 32) as u32 }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.index)?;
                if self.generation > 0 {
                    write!(f, "v{}", self.generation)?;
                }
                Ok(())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

handle!(
    /// An event (libevent's `struct event *`), returned by `EventBase::event_new`.
    EventId,
    "ev"
);
handle!(
    /// A bufferevent (libevent's `struct bufferevent *`).
    BevId,
    "bev"
);
handle!(
    /// A bufferevent rate-limit group (libevent's `struct bufferevent_rate_limit_group *`).
    RateGroupId,
    "rlg"
);
handle!(
    /// A connection listener (libevent's `struct evconnlistener *`).
    ListenerId,
    "lev"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_id_round_trips_and_separates_generations() {
        let a = EventId::new(3, 0);
        let b = EventId::new(3, 1);
        assert_eq!(a.trace_id(), 3);
        assert_ne!(a.trace_id(), b.trace_id());
        assert_eq!(EventId::from_trace_id(b.trace_id()), b);
        assert_eq!(format!("{a} {b}"), "ev3 ev3v1");
    }
}
