//! One bufferevent as the trace has shown it: fill levels, watermarks, directions, condition.

use std::sync::Arc;

use super::id_text;
use crate::ev::{BevEvents, Levels};

/// A bufferevent's last known levels (libevent's `struct bufferevent`, seen from outside).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BevRow {
    /// The trace id (`bev`).
    pub id: u64,
    /// Its label, or empty.
    pub label: Arc<str>,
    /// Its socket, once it has one.
    pub fd: Option<i32>,
    /// Fill levels, watermarks and enabled directions, as the last `buffer` record told them.
    pub levels: Levels,
    /// `CONNECTED` was reported.
    pub connected: bool,
    /// `EOF` was reported.
    pub eof: bool,
    /// `ERROR` was reported.
    pub error: bool,
    /// The last events its event callback was told.
    pub last_events: BevEvents,
    /// `bufferevent_free` was called.
    pub freed: bool,
    /// The most the input buffer has held so far.
    pub input_peak: u64,
    /// The most the output buffer has held so far.
    pub output_peak: u64,
}

impl BevRow {
    /// The label as the screen shows it in `lang`, or `bev N`.
    pub fn name_in(&self, lang: super::Lang) -> String {
        super::shown_label(&self.name(), lang).into_owned()
    }

    /// The label, or `bev N`.
    pub fn name(&self) -> String {
        if self.label.is_empty() {
            format!("bev {}", id_text(self.id))
        } else {
            self.label.to_string()
        }
    }

    /// The largest number a gauge for this bufferevent should show: watermarks when set,
    /// otherwise the most it has held so far (at least 1).
    pub fn input_scale(&self) -> u64 {
        let l = &self.levels;
        if l.read_high > 0 {
            l.read_high.max(l.input)
        } else {
            self.input_peak.max(l.input).max(1)
        }
    }

    /// Like [`BevRow::input_scale`], for the output buffer.
    pub fn output_scale(&self) -> u64 {
        let l = &self.levels;
        if l.write_high > 0 {
            l.write_high.max(l.output)
        } else {
            self.output_peak.max(l.output).max(1)
        }
    }
}
