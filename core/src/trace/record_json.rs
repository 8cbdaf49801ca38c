//! [`Record`]'s JSON through serde: one flat object `{"seq":…,"t_us":…,"kind":…, fields…}`, the
//! body's fields as the schema (`schema.rs`) says.
//!
//! Reading is one pass over the object: the envelope's fields, then, once `kind` is known, the
//! kind's own fields straight into their types (borrowing keys where it can). A field that comes
//! before `kind` (never in what evscope writes) is kept as JSON until the kind says what it is.
//! A missing field is reported by name and kind; unknown fields are ignored, so a later minor
//! addition to a kind still reads.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::record::Record;
use super::schema::Body;
use super::wire::{bit, Absent, Str};

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("seq", &self.seq)?;
        m.serialize_entry("t_us", &self.t_us)?;
        if self.base != 0 {
            m.serialize_entry("base", &self.base)?;
        }
        m.serialize_entry("kind", self.body.kind())?;
        self.body.ser_fields(&mut m)?;
        m.end()
    }
}

/// The fields every record has besides its body.
#[derive(Default)]
struct Envelope {
    seq: Option<u64>,
    t_us: Option<u64>,
    base: Option<u32>,
}

impl Envelope {
    /// Reads `key`'s value if it is an envelope field (true).
    fn take<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "seq" => put(&mut self.seq, "seq", map),
            "t_us" => put(&mut self.t_us, "t_us", map),
            "base" => put(&mut self.base, "base", map),
            "kind" => Err(de::Error::duplicate_field("kind")),
            _ => Ok(false),
        }
    }
}

/// Reads the value of field `name` into `slot`, which must be empty.
fn put<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    name: &'static str,
    map: &mut A,
) -> Result<bool, A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(true)
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record, D::Error> {
        d.deserialize_map(RecordVisitor(Absent::default()))
            .map(|(rec, _)| rec)
    }
}

/// A line of version 3, 4 or 5 read as it is: the record, with the implied fields it leaves
/// out at their stand-in values, and which those are. `Implied::fill` completes it.
pub struct Lenient(pub Record, pub Absent);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient, D::Error> {
        d.deserialize_map(RecordVisitor(Absent::lenient()))
            .map(|(rec, absent)| Lenient(rec, absent))
    }
}

/// Reads a record; with a lenient [`Absent`], `seq`, `t_us` and the implied fields may be left
/// out.
struct RecordVisitor(Absent);

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = (Record, Absent);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a trace record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(Record, Absent), A::Error> {
        let mut absent = self.0;
        let mut env = Envelope::default();
        let mut kept: Vec<(Cow<'de, str>, serde_json::Value)> = Vec::new();
        let kind = loop {
            let Some(Str(key)) = map.next_key::<Str<'de>>()? else {
                return Err(de::Error::missing_field("kind"));
            };
            if key == "kind" {
                break map.next_value::<Str<'de>>()?.0;
            }
            if !env.take(&key, &mut map)? {
                kept.push((key, map.next_value()?));
            }
        };
        let body = Body::read_fields(
            &kind,
            kept,
            &mut map,
            |key, map| env.take(key, map),
            &mut absent,
        )?
        .map_err(de::Error::custom)?;
        let mut envelope = |value: Option<u64>, name: &'static str| match value {
            Some(v) => Ok(v),
            None if absent.lenient => {
                absent.req |= bit(name);
                Ok(0)
            }
            None => Err(de::Error::missing_field(name)),
        };
        let seq = envelope(env.seq, "seq")?;
        let t_us = envelope(env.t_us, "t_us")?;
        let rec = Record {
            seq,
            t_us,
            base: env.base.unwrap_or(0),
            body,
        };
        Ok((rec, absent))
    }
}
