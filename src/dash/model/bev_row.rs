//! One bufferevent as the trace has shown it: fill levels, watermarks, directions, condition.

use std::sync::Arc;

use super::id_text;
use crate::ev::{BevEvents, What};

/// A bufferevent's last known levels (libevent's `struct bufferevent`, seen from outside).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BevRow {
    /// The trace id (`bev`).
    pub id: u64,
    /// Its label, or empty.
    pub label: Arc<str>,
    /// Its socket, once it has one.
    pub fd: Option<i32>,
    /// Bytes in the input buffer.
    pub input: u64,
    /// Bytes in the output buffer.
    pub output: u64,
    /// Read low watermark (0: none).
    pub read_low: u64,
    /// Read high watermark (0: unlimited).
    pub read_high: u64,
    /// Write low watermark.
    pub write_low: u64,
    /// Write high watermark (0: unlimited).
    pub write_high: u64,
    /// Enabled directions (`READ`, `WRITE`).
    pub enabled: What,
    /// Bytes the kernel holds unread, when the trace has it.
    pub kernel_in: Option<u64>,
    /// Bytes the kernel holds unsent, when the trace has it.
    pub kernel_out: Option<u64>,
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
        if self.read_high > 0 {
            self.read_high.max(self.input)
        } else {
            self.input_peak.max(self.input).max(1)
        }
    }

    /// Like [`BevRow::input_scale`], for the output buffer.
    pub fn output_scale(&self) -> u64 {
        if self.write_high > 0 {
            self.write_high.max(self.output)
        } else {
            self.output_peak.max(self.output).max(1)
        }
    }
}
