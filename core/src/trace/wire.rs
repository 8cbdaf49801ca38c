//! The machinery behind the one definition of the record kinds (`schema.rs`): how a field's
//! value is written by the fast encoder and by serde and read back ([`Wire`]), a group of
//! fields written flat into its record ([`Group`]), and the macros that turn the definition into
//! the types, the kind list, both writers and the reader.
//!
//! A field is declared `mode name: Type`, the mode saying what happens when it is missing or at
//! its default:
//!
//! - `req`: read: must be there (and not null), else "a KIND record needs the field `name`";
//! - `opt`: read: missing or null gives the type's default; always written;
//! - `omit`: like `opt`, but not written when it equals its default (`None`);
//! - `flat`: a [`Group`] whose fields are written into the record itself, as if they were its
//!   own (the buffer record's [`Levels`](super::Levels)).

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::encode::{Enc, Short};
use super::record::{bev_event_names, what_names};
use crate::ev::{BevEvents, State, What};

/// A field value's JSON: how the fast encoder writes it, how serde writes it, and what serde
/// reads (`De`, turned into the value by `from_de`). Both writers give the same bytes.
pub(crate) trait Wire: Sized {
    /// What is read from the JSON.
    type De<'de>: Deserialize<'de>;
    /// The value read.
    fn from_de(d: Self::De<'_>) -> Self;
    /// Appends the value's JSON.
    fn encode(&self, e: &mut Enc<'_>);
    /// The value through serde.
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// A stand-in for a value a line of version 3, 4 or 5 left out, until the trace so far
    /// supplies it (`implied.rs`).
    fn absent() -> Self;
}

/// A value as serde writes it ([`Wire::ser`]).
pub(crate) struct Ser<'a, T>(pub &'a T);

impl<T: Wire> Serialize for Ser<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.ser(s)
    }
}

macro_rules! wire_int {
    ($($ty:ty => $enc:ident, $ser:ident;)*) => {$(
        impl Wire for $ty {
            type De<'de> = $ty;
            fn from_de(d: $ty) -> $ty {
                d
            }
            fn encode(&self, e: &mut Enc<'_>) {
                e.$enc((*self).into());
            }
            fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.$ser(*self)
            }
            fn absent() -> $ty {
                0
            }
        }
    )*};
}

wire_int! {
    u64 => num, serialize_u64;
    u32 => num, serialize_u32;
    u8 => num, serialize_u8;
    i32 => int, serialize_i32;
}

impl Wire for String {
    type De<'de> = String;
    fn from_de(d: String) -> String {
        d
    }
    fn encode(&self, e: &mut Enc<'_>) {
        e.string(self);
    }
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
    fn absent() -> Self {
        Self::default()
    }
}

/// A string the library usually writes from a fixed set (a transition's `cause`).
impl Wire for Cow<'static, str> {
    type De<'de> = String;
    fn from_de(d: String) -> Self {
        Cow::Owned(d)
    }
    fn encode(&self, e: &mut Enc<'_>) {
        e.string(self);
    }
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
    fn absent() -> Self {
        Self::default()
    }
}

impl Wire for State {
    type De<'de> = State;
    fn from_de(d: State) -> State {
        d
    }
    fn encode(&self, e: &mut Enc<'_>) {
        /// Each state's name in quotes, in the order of `State::ALL` (its variants' order).
        static QUOTED: [Short<16>; State::ALL.len()] = {
            let mut quoted = [Short::EMPTY; State::ALL.len()];
            let mut i = 0;
            while i < quoted.len() {
                quoted[i] = Short::EMPTY
                    .then("\"")
                    .then(State::ALL[i].as_str())
                    .then("\"");
                i += 1;
            }
            quoted
        };
        e.short(&QUOTED[*self as usize]);
    }
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
    fn absent() -> State {
        State::New
    }
}

/// The longest list of flag names written, `["READ",…]` with every flag (at most 64 bytes).
const NAME_LIST: usize = 64;

/// A flags type written as a list of names: `$names` reads and writes it, and `$de` carries it
/// through serde. The fast encoder writes the list of any flags in the low 8 bits (all there
/// are) from a table made at compile time from the type's `NAMES`.
macro_rules! wire_names {
    ($ty:ty, $de:ident, $names:ident, $absent:expr, $doc:literal) => {
        #[doc = $doc]
        pub(crate) struct $de($ty);

        impl<'de> Deserialize<'de> for $de {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $names::deserialize(d).map($de)
            }
        }

        impl Wire for $ty {
            type De<'de> = $de;
            fn from_de(d: $de) -> $ty {
                d.0
            }
            fn encode(&self, e: &mut Enc<'_>) {
                /// The JSON list of names of the flags in each value of the low 8 bits, as
                /// `Enc::names` of `iter_names` writes it.
                static LISTS: [Short<NAME_LIST>; 256] = {
                    let mut lists = [Short::EMPTY; 256];
                    let mut bits = 0;
                    while bits < lists.len() {
                        let mut list = Short::EMPTY.then("[");
                        let mut sep = "\"";
                        let mut i = 0;
                        while i < <$ty>::NAMES.len() {
                            let (flag, name) = <$ty>::NAMES[i];
                            if bits as u16 & flag.bits() == flag.bits() {
                                list = list.then(sep).then(name).then("\"");
                                sep = ",\"";
                            }
                            i += 1;
                        }
                        lists[bits] = list.then("]");
                        bits += 1;
                    }
                    lists
                };
                match LISTS.get(usize::from(self.bits())) {
                    Some(list) => e.short(list),
                    None => e.names(self.iter_names()),
                }
            }
            fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $names::serialize(self, s)
            }
            fn absent() -> $ty {
                $absent
            }
        }
    };
}

wire_names!(
    What,
    WhatNames,
    what_names,
    What::NONE,
    "`What` as a list of names, read with [`what_names`]."
);
wire_names!(
    BevEvents,
    BevEventNames,
    bev_event_names,
    BevEvents::empty(),
    "`BevEvents` as a list of names, read with [`bev_event_names`]."
);

/// A value that may be absent: `null` (or, with the `omit` mode, no field at all).
impl<T: Wire> Wire for Option<T> {
    type De<'de> = Option<T::De<'de>>;
    fn from_de(d: Option<T::De<'_>>) -> Self {
        d.map(T::from_de)
    }
    fn encode(&self, e: &mut Enc<'_>) {
        match self {
            Some(v) => v.encode(e),
            None => e.raw("null"),
        }
    }
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => s.serialize_some(&Ser(v)),
            None => s.serialize_none(),
        }
    }
    fn absent() -> Self {
        None
    }
}

/// Where a field's value is read from: the record's map, or a value kept from before its
/// `kind` was known. Errors are the map's.
pub(crate) trait Source<'de> {
    /// The map's error type.
    type Error: de::Error;
    /// Reads the value of the key just read.
    fn value<T: Deserialize<'de>>(&mut self) -> Result<T, Self::Error>;
}

/// The value of the key just read from a map.
pub(crate) struct FromMap<'a, A>(pub &'a mut A);

impl<'de, A: MapAccess<'de>> Source<'de> for FromMap<'_, A> {
    type Error = A::Error;
    fn value<T: Deserialize<'de>>(&mut self) -> Result<T, A::Error> {
        self.0.next_value()
    }
}

/// A value read before the record's `kind` (kept as JSON until the kind says what it is).
pub(crate) struct Kept<E>(pub serde_json::Value, pub PhantomData<E>);

impl<'de, E: de::Error> Source<'de> for Kept<E> {
    type Error = E;
    fn value<T: Deserialize<'de>>(&mut self) -> Result<T, E> {
        T::deserialize(self.0.take()).map_err(E::custom)
    }
}

/// A key or a `kind`, borrowed from the input when it can be.
pub(crate) struct Str<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Several fields that travel together, written flat into the record that holds them (a
/// `flat` field). Made by [`group!`].
pub(crate) trait Group: Sized {
    /// The JSON names of its fields, in the order they are written.
    const FIELDS: &'static [&'static str];
    /// What has been read of it so far.
    type Partial<'de>: Default;
    /// Appends its fields (`,"name":value` each), leaving out those whose [`bit`] is in `skip`
    /// (a line of version 3, 4 or 5; None writes them all).
    fn encode(&self, e: &mut Enc<'_>, skip: Option<u32>);
    /// Its fields through serde.
    fn ser<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error>;
    /// Reads `key`'s value if `key` is one of its fields (true), else leaves it (false).
    fn take<'de, S: Source<'de>>(
        p: &mut Self::Partial<'de>,
        key: &str,
        src: &mut S,
        absent: &mut Absent,
    ) -> Result<bool, S::Error>;
    /// The group read, or which required field a `kind` record lacks.
    fn finish(p: Self::Partial<'_>, kind: &str, absent: &mut Absent) -> Result<Self, String>;
    /// The [`bit`]s of the fields whose value is `prev`'s.
    fn same_as(&self, prev: &Self) -> u32;
    /// Takes `prev`'s value for each field whose [`bit`] is in `absent`.
    fn fill_from(&mut self, prev: &Self, absent: u32);
}

/// The fields a line of version 3, 4 or 5 may leave out when the lines before it imply their
/// value (`implied.rs` says when, and which a version 3 line never leaves out), each one bit of
/// a mask ([`bit`]).
pub(crate) const IMPLIED: [&str; 15] = [
    "seq",
    "t_us",
    "fd",
    "what",
    "from",
    "cause",
    "input",
    "output",
    "read_low",
    "read_high",
    "write_low",
    "write_high",
    "enabled",
    "kernel_in",
    "kernel_out",
];

/// The bit of field `name` in a mask of [`IMPLIED`] fields (0 for a field never left out).
pub(crate) const fn bit(name: &str) -> u32 {
    let mut i = 0;
    while i < IMPLIED.len() {
        let (a, b) = (IMPLIED[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return 1 << i;
            }
        }
        i += 1;
    }
    0
}

/// Which `IMPLIED` fields a line holds and which it leaves out, noted while reading it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Absent {
    /// Reading version 3, 4 or 5: a required field that may be implied is no error when absent.
    pub(crate) lenient: bool,
    /// The fields the line holds (null included).
    pub(crate) present: u32,
    /// Required fields it leaves out (only when `lenient`; else they are errors).
    pub(crate) req: u32,
    /// Optional fields it leaves out.
    pub(crate) opt: u32,
}

impl Absent {
    /// For reading a line of version 3, 4 or 5, where implied fields may be left out.
    pub(crate) fn lenient() -> Absent {
        Absent {
            lenient: true,
            ..Absent::default()
        }
    }
}

/// The error for a required field that is missing (or null).
pub(crate) fn needs(kind: &str, field: &str) -> String {
    format!("a {kind} record needs the field `{field}`")
}

/// One field's share of the generated code, by mode (see the module's documentation).
macro_rules! field {
    // Appends `,"name":value` with the fast encoder (the key as one static slice), unless the
    // field's bit is in `$skip` (`Some(mask)`: a line of version 3, 4 or 5, which leaves implied
    // fields out). In such a line an `omit` field that is None and not left out is written as
    // null: it became None.
    (@encode flat $f:ident $e:ident $skip:ident) => {
        $crate::trace::wire::Group::encode($f, $e, $skip);
    };
    (@encode omit $f:ident $e:ident $skip:ident) => {
        match ($f, $skip) {
            (_, Some(m)) if m & const { $crate::trace::wire::bit(stringify!($f)) } != 0 => {}
            (Some(v), _) => {
                $e.raw(concat!(",\"", stringify!($f), "\":"));
                $crate::trace::wire::Wire::encode(v, $e);
            }
            (None, Some(_)) => {
                $e.raw(concat!(",\"", stringify!($f), "\":"));
                $e.raw("null");
            }
            (None, None) => {}
        }
    };
    (@encode $mode:ident $f:ident $e:ident $skip:ident) => {
        if $skip.is_none_or(|m| m & const { $crate::trace::wire::bit(stringify!($f)) } == 0) {
            $e.raw(concat!(",\"", stringify!($f), "\":"));
            $crate::trace::wire::Wire::encode($f, $e);
        }
    };
    // The same through serde (whole records only).
    (@ser flat $f:ident $m:ident) => {
        $crate::trace::wire::Group::ser($f, $m)?;
    };
    (@ser omit $f:ident $m:ident) => {
        if let Some(v) = $f {
            $m.serialize_entry(stringify!($f), &$crate::trace::wire::Ser(v))?;
        }
    };
    (@ser $mode:ident $f:ident $m:ident) => {
        $m.serialize_entry(stringify!($f), &$crate::trace::wire::Ser($f))?;
    };
    // What is kept while reading.
    (@partial flat $f:ident $t:ty) => {
        let mut $f = <<$t as $crate::trace::wire::Group>::Partial<'_> as Default>::default();
    };
    (@partial $mode:ident $f:ident $t:ty) => {
        let mut $f: Option<<$t as $crate::trace::wire::Wire>::De<'_>> = None;
    };
    // Reads `key`'s value into the field if it is the field's, and breaks out of the loop
    // around the fields with `true`.
    (@take flat $f:ident $t:ty, $key:ident $src:ident $absent:expr) => {
        if <$t as $crate::trace::wire::Group>::take(&mut $f, $key, &mut *$src, &mut $absent)? {
            break true;
        }
    };
    (@take $mode:ident $f:ident $t:ty, $key:ident $src:ident $absent:expr) => {
        if $key == stringify!($f) {
            if $f.is_some() {
                return Err(serde::de::Error::duplicate_field(stringify!($f)));
            }
            $f = $crate::trace::wire::Source::value::<
                Option<<$t as $crate::trace::wire::Wire>::De<'_>>,
            >(&mut *$src)?;
            $absent.present |= const { $crate::trace::wire::bit(stringify!($f)) };
            break true;
        }
    };
    // The field's value once the record is read. A field that may be implied and is not in
    // the line is noted in `$absent` (a required one is an error unless reading leniently).
    (@finish flat $f:ident $t:ty, $kind:expr, $absent:expr) => {
        <$t as $crate::trace::wire::Group>::finish($f, $kind, &mut $absent)?
    };
    (@finish req $f:ident $t:ty, $kind:expr, $absent:expr) => {
        match $f {
            Some(v) => <$t as $crate::trace::wire::Wire>::from_de(v),
            None if $absent.lenient
                && $absent.present & const { $crate::trace::wire::bit(stringify!($f)) } == 0
                && const { $crate::trace::wire::bit(stringify!($f)) } != 0 =>
            {
                $absent.req |= const { $crate::trace::wire::bit(stringify!($f)) };
                <$t as $crate::trace::wire::Wire>::absent()
            }
            None => return Err($crate::trace::wire::needs($kind, stringify!($f))),
        }
    };
    (@finish $mode:ident $f:ident $t:ty, $kind:expr, $absent:expr) => {
        match $f {
            Some(v) => <$t as $crate::trace::wire::Wire>::from_de(v),
            None => {
                $absent.opt |=
                    const { $crate::trace::wire::bit(stringify!($f)) } & !$absent.present;
                Default::default()
            }
        }
    };
    // The field's JSON names.
    (@names flat $f:ident $t:ty, $out:ident) => {
        $out.extend_from_slice(<$t as $crate::trace::wire::Group>::FIELDS);
    };
    (@names $mode:ident $f:ident $t:ty, $out:ident) => {
        $out.push(stringify!($f));
    };
}
pub(crate) use field;

/// A struct of fields that a record holds as one `flat` field: the struct, and its [`Group`]
/// impl. At most 12 fields (the partial read is a tuple).
macro_rules! group {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* $mode:ident $f:ident : $t:ty, )*
        }
    ) => {
        $(#[$m])*
        pub struct $name {
            $( $(#[$fm])* pub $f: $t, )*
        }

        impl $crate::trace::wire::Group for $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($f)),*];
            type Partial<'de> = ($(Option<<$t as $crate::trace::wire::Wire>::De<'de>>,)*);

            fn encode(&self, e: &mut $crate::trace::encode::Enc<'_>, skip: Option<u32>) {
                let $name { $($f),* } = self;
                $( $crate::trace::wire::field!(@encode $mode $f e skip); )*
            }

            fn ser<M: serde::ser::SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
                let $name { $($f),* } = self;
                $( $crate::trace::wire::field!(@ser $mode $f m); )*
                Ok(())
            }

            fn take<'de, S: $crate::trace::wire::Source<'de>>(
                p: &mut Self::Partial<'de>,
                key: &str,
                src: &mut S,
                absent: &mut $crate::trace::wire::Absent,
            ) -> Result<bool, S::Error> {
                let ($($f,)*) = p;
                $(
                    if key == stringify!($f) {
                        if $f.is_some() {
                            return Err(serde::de::Error::duplicate_field(stringify!($f)));
                        }
                        *$f = src.value()?;
                        absent.present |= const { $crate::trace::wire::bit(stringify!($f)) };
                        return Ok(true);
                    }
                )*
                Ok(false)
            }

            fn finish(
                p: Self::Partial<'_>,
                kind: &str,
                absent: &mut $crate::trace::wire::Absent,
            ) -> Result<Self, String> {
                let ($($f,)*) = p;
                Ok($name {
                    $( $f: $crate::trace::wire::field!(@finish $mode $f $t, kind, (*absent)), )*
                })
            }

            fn same_as(&self, prev: &Self) -> u32 {
                let mut same = 0;
                $(
                    if self.$f == prev.$f {
                        same |= const { $crate::trace::wire::bit(stringify!($f)) };
                    }
                )*
                same
            }

            #[allow(clippy::clone_on_copy)]
            fn fill_from(&mut self, prev: &Self, absent: u32) {
                $(
                    if absent & const { $crate::trace::wire::bit(stringify!($f)) } != 0 {
                        self.$f = prev.$f.clone();
                    }
                )*
            }
        }
    };
}
pub(crate) use group;

/// The record kinds: `kind_name => Variant { fields }` each. Makes [`Body`](super::Body) with
/// its variants, `Body::KINDS`, `Body::kind`, `Body::fields_of`, and the body's share of the
/// fast encoder (`encode_fields`), of serde's writer (`ser_fields`) and of the reader
/// (`read_fields`).
macro_rules! records {
    (
        $(#[$m:meta])*
        pub enum $body:ident {
            $(
                $(#[$vm:meta])*
                $kind:ident => $v:ident {
                    $( $(#[$fm:meta])* $mode:ident $f:ident : $t:ty, )*
                },
            )*
        }
    ) => {
        $(#[$m])*
        pub enum $body {
            $(
                $(#[$vm])*
                $v { $( $(#[$fm])* $f: $t, )* },
            )*
        }

        impl $body {
            /// Every `kind` name, in the order of the variants.
            pub const KINDS: [&'static str; [$(stringify!($kind)),*].len()] =
                [$(stringify!($kind)),*];

            /// The record's `kind` as written in the trace.
            pub const fn kind(&self) -> &'static str {
                match self {
                    $( $body::$v { .. } => stringify!($kind), )*
                }
            }

            /// `"kind":"NAME"` for the record's kind, as the fast encoder writes it.
            pub(crate) const fn kind_field(&self) -> $crate::trace::encode::Short<32> {
                match self {
                    $(
                        $body::$v { .. } => const {
                            $crate::trace::encode::Short::EMPTY
                                .then(concat!("\"kind\":\"", stringify!($kind), "\""))
                        },
                    )*
                }
            }

            /// The JSON names of a kind's fields, in the order they are written (None for a
            /// kind that does not exist).
            #[allow(clippy::vec_init_then_push)]
            pub fn fields_of(kind: &str) -> Option<Vec<&'static str>> {
                match kind {
                    $(
                        stringify!($kind) => {
                            #[allow(unused_mut)]
                            let mut out: Vec<&'static str> = Vec::new();
                            $( $crate::trace::wire::field!(@names $mode $f $t, out); )*
                            Some(out)
                        }
                    )*
                    _ => None,
                }
            }

            /// Appends the body's fields (`,"name":value` each) with the fast encoder, leaving
            /// out those whose `wire::bit` is in `skip` (`Some`: a line of version 3, 4 or 5; None
            /// writes every field).
            pub(crate) fn encode_fields(
                &self,
                e: &mut $crate::trace::encode::Enc<'_>,
                skip: Option<u32>,
            ) {
                match self {
                    $(
                        $body::$v { $($f),* } => {
                            $( $crate::trace::wire::field!(@encode $mode $f e skip); )*
                        }
                    )*
                }
            }

            /// The body's fields through serde.
            pub(crate) fn ser_fields<M: serde::ser::SerializeMap>(
                &self,
                m: &mut M,
            ) -> Result<(), M::Error> {
                match self {
                    $(
                        $body::$v { $($f),* } => {
                            $( $crate::trace::wire::field!(@ser $mode $f m); )*
                        }
                    )*
                }
                Ok(())
            }

            /// Reads the fields of a `kind` record: first those `kept` from before the kind
            /// was read, then the rest of `map`, giving the keys that are not the body's to
            /// `other` (false: not its either, skipped), and noting in `absent` the fields that
            /// may be implied which the line holds and which it leaves out. The outer `Err` is
            /// the map's error; the inner one names the unknown kind or the missing field.
            pub(crate) fn read_fields<'de, A: serde::de::MapAccess<'de>>(
                kind: &str,
                kept: Vec<(std::borrow::Cow<'de, str>, serde_json::Value)>,
                map: &mut A,
                mut other: impl FnMut(&str, &mut A) -> Result<bool, A::Error>,
                absent: &mut $crate::trace::wire::Absent,
            ) -> Result<Result<$body, String>, A::Error> {
                use $crate::trace::wire::{FromMap, Kept, Str};
                match kind {
                    $(
                        stringify!($kind) => {
                            $( $crate::trace::wire::field!(@partial $mode $f $t); )*
                            for (key, value) in kept {
                                let key: &str = &key;
                                let src = &mut Kept::<A::Error>(value, std::marker::PhantomData);
                                // Offered to each field in turn: `true` when one took it.
                                #[allow(unreachable_code)]
                                let _took: bool = loop {
                                    $( $crate::trace::wire::field!(@take $mode $f $t, key src (*absent)); )*
                                    break false;
                                };
                            }
                            while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                                let key: &str = &key;
                                let src = &mut FromMap(&mut *map);
                                #[allow(unreachable_code)]
                                let took: bool = loop {
                                    $( $crate::trace::wire::field!(@take $mode $f $t, key src (*absent)); )*
                                    break false;
                                };
                                if !took && !other(key, map)? {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                            #[allow(unused_mut)]
                            let mut finish = || -> Result<$body, String> {
                                Ok($body::$v {
                                    $( $f: $crate::trace::wire::field!(@finish $mode $f $t, stringify!($kind), (*absent)), )*
                                })
                            };
                            Ok(finish())
                        }
                    )*
                    unknown => {
                        Ok(Err(format!(
                            "unknown kind {unknown:?} (known kinds: {})",
                            $body::KINDS.join(", ")
                        )))
                    }
                }
            }
        }
    };
}
pub(crate) use records;
