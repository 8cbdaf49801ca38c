//! [`Record`]'s JSON, by hand: one flat object `{"seq":…,"t_us":…,"kind":…, fields…}`.
//!
//! Reading goes through one flat struct holding every field any kind uses (borrowing strings
//! where it can), then builds the [`Body`] the `kind` names, so a record costs one pass over its
//! bytes and a missing field is reported by name and kind.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::record::{bev_event_names, what_names, Body, Record};
use crate::ev::{BevEvents, State, What};

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("seq", &self.seq)?;
        m.serialize_entry("t_us", &self.t_us)?;
        if self.base != 0 {
            m.serialize_entry("base", &self.base)?;
        }
        m.serialize_entry("kind", self.body.kind())?;
        match &self.body {
            Body::EventNew {
                ev,
                fd,
                what,
                label,
            } => {
                m.serialize_entry("ev", ev)?;
                m.serialize_entry("fd", fd)?;
                m.serialize_entry("what", &WhatNames(*what))?;
                m.serialize_entry("label", label)?;
            }
            Body::Transition {
                ev,
                fd,
                from,
                to,
                cause,
            } => {
                m.serialize_entry("ev", ev)?;
                m.serialize_entry("fd", fd)?;
                m.serialize_entry("from", from)?;
                m.serialize_entry("to", to)?;
                m.serialize_entry("cause", cause)?;
            }
            Body::CallbackBegin { ev, what } => {
                m.serialize_entry("ev", ev)?;
                m.serialize_entry("what", &WhatNames(*what))?;
            }
            Body::CallbackEnd { ev, what, dur_us } => {
                m.serialize_entry("ev", ev)?;
                m.serialize_entry("what", &WhatNames(*what))?;
                m.serialize_entry("dur_us", dur_us)?;
            }
            Body::LoopIteration { n, thread } => {
                m.serialize_entry("n", n)?;
                if let Some(t) = thread {
                    m.serialize_entry("thread", t)?;
                }
            }
            Body::PollBegin {
                backend,
                timeout_us,
            } => {
                m.serialize_entry("backend", backend)?;
                m.serialize_entry("timeout_us", timeout_us)?;
            }
            Body::PollEnd { ready } => m.serialize_entry("ready", ready)?,
            Body::TimersExpired { n } => m.serialize_entry("n", n)?,
            Body::RunActive { priority, queued } => {
                m.serialize_entry("priority", priority)?;
                m.serialize_entry("queued", queued)?;
            }
            Body::BevNew { bev, fd, label } => {
                m.serialize_entry("bev", bev)?;
                m.serialize_entry("fd", fd)?;
                m.serialize_entry("label", label)?;
            }
            Body::Buffer {
                bev,
                input,
                output,
                read_low,
                read_high,
                write_low,
                write_high,
                enabled,
                kernel_in,
                kernel_out,
            } => {
                m.serialize_entry("bev", bev)?;
                m.serialize_entry("input", input)?;
                m.serialize_entry("output", output)?;
                m.serialize_entry("read_low", read_low)?;
                m.serialize_entry("read_high", read_high)?;
                m.serialize_entry("write_low", write_low)?;
                m.serialize_entry("write_high", write_high)?;
                m.serialize_entry("enabled", &WhatNames(*enabled))?;
                if let Some(k) = kernel_in {
                    m.serialize_entry("kernel_in", k)?;
                }
                if let Some(k) = kernel_out {
                    m.serialize_entry("kernel_out", k)?;
                }
            }
            Body::BevEvent { bev, events } => {
                m.serialize_entry("bev", bev)?;
                m.serialize_entry("events", &BevEventNames(*events))?;
            }
            Body::BevFree { bev } => m.serialize_entry("bev", bev)?,
            Body::Accept { listener, fd, peer } => {
                m.serialize_entry("listener", listener)?;
                m.serialize_entry("fd", fd)?;
                m.serialize_entry("peer", peer)?;
            }
            Body::Note { text } => m.serialize_entry("text", text)?,
            Body::Dropped { count } => m.serialize_entry("count", count)?,
            Body::BaseNew { backend, thread } => {
                m.serialize_entry("backend", backend)?;
                m.serialize_entry("thread", thread)?;
            }
        }
        m.end()
    }
}

/// `What` as a list of names, for serializing and reading.
struct WhatNames(What);

impl Serialize for WhatNames {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        what_names::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for WhatNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        what_names::deserialize(d).map(WhatNames)
    }
}

/// `BevEvents` as a list of names.
struct BevEventNames(BevEvents);

impl Serialize for BevEventNames {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        bev_event_names::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for BevEventNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bev_event_names::deserialize(d).map(BevEventNames)
    }
}

/// Every field any kind uses. Unknown fields are ignored, so a later minor addition to a kind
/// still reads.
#[derive(Deserialize)]
struct Flat<'a> {
    seq: u64,
    t_us: u64,
    #[serde(default)]
    base: u32,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    ev: Option<u64>,
    fd: Option<i32>,
    what: Option<WhatNames>,
    #[serde(borrow)]
    label: Option<Cow<'a, str>>,
    from: Option<State>,
    to: Option<State>,
    #[serde(borrow)]
    cause: Option<Cow<'a, str>>,
    dur_us: Option<u64>,
    n: Option<u64>,
    #[serde(borrow)]
    backend: Option<Cow<'a, str>>,
    timeout_us: Option<u64>,
    ready: Option<u64>,
    priority: Option<u8>,
    queued: Option<u64>,
    bev: Option<u64>,
    input: Option<u64>,
    output: Option<u64>,
    read_low: Option<u64>,
    read_high: Option<u64>,
    write_low: Option<u64>,
    write_high: Option<u64>,
    enabled: Option<WhatNames>,
    kernel_in: Option<u64>,
    kernel_out: Option<u64>,
    events: Option<BevEventNames>,
    listener: Option<u64>,
    #[serde(borrow)]
    peer: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    count: Option<u64>,
    thread: Option<u64>,
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record, D::Error> {
        let flat = Flat::deserialize(d)?;
        flat.into_record().map_err(de::Error::custom)
    }
}

impl Flat<'_> {
    fn into_record(self) -> Result<Record, String> {
        let kind: &str = &self.kind;
        let need = |field: &str| format!("a {kind} record needs the field `{field}`");
        macro_rules! req {
            ($field:ident) => {
                self.$field.ok_or_else(|| need(stringify!($field)))?
            };
        }
        let string = |s: Option<Cow<'_, str>>| s.map(Cow::into_owned).unwrap_or_default();
        let body = match kind {
            "event_new" => Body::EventNew {
                ev: req!(ev),
                fd: self.fd,
                what: req!(what).0,
                label: string(self.label),
            },
            "transition" => Body::Transition {
                ev: req!(ev),
                fd: self.fd,
                from: req!(from),
                to: req!(to),
                cause: Cow::Owned(string(self.cause)),
            },
            "callback_begin" => Body::CallbackBegin {
                ev: req!(ev),
                what: req!(what).0,
            },
            "callback_end" => Body::CallbackEnd {
                ev: req!(ev),
                what: req!(what).0,
                dur_us: req!(dur_us),
            },
            "loop_iteration" => Body::LoopIteration {
                n: req!(n),
                thread: self.thread,
            },
            "poll_begin" => Body::PollBegin {
                backend: string(self.backend),
                timeout_us: self.timeout_us,
            },
            "poll_end" => Body::PollEnd { ready: req!(ready) },
            "timers_expired" => Body::TimersExpired { n: req!(n) },
            "run_active" => Body::RunActive {
                priority: req!(priority),
                queued: req!(queued),
            },
            "bev_new" => Body::BevNew {
                bev: req!(bev),
                fd: self.fd,
                label: string(self.label),
            },
            "buffer" => Body::Buffer {
                bev: req!(bev),
                input: req!(input),
                output: req!(output),
                read_low: self.read_low.unwrap_or(0),
                read_high: self.read_high.unwrap_or(0),
                write_low: self.write_low.unwrap_or(0),
                write_high: self.write_high.unwrap_or(0),
                enabled: self.enabled.map_or(What::NONE, |w| w.0),
                kernel_in: self.kernel_in,
                kernel_out: self.kernel_out,
            },
            "bev_event" => Body::BevEvent {
                bev: req!(bev),
                events: req!(events).0,
            },
            "bev_free" => Body::BevFree { bev: req!(bev) },
            "accept" => Body::Accept {
                listener: req!(listener),
                fd: req!(fd),
                peer: self.peer.map(Cow::into_owned),
            },
            "note" => Body::Note {
                text: string(self.text),
            },
            "dropped" => Body::Dropped { count: req!(count) },
            "base_new" => Body::BaseNew {
                backend: string(self.backend),
                thread: req!(thread),
            },
            other => {
                return Err(format!(
                    "unknown kind {other:?} (known kinds: {})",
                    Body::KINDS.join(", ")
                ))
            }
        };
        Ok(Record {
            seq: self.seq,
            t_us: self.t_us,
            base: self.base,
            body,
        })
    }
}
