//! One row of the events table: what the trace has told about one event so far.

use std::sync::Arc;

use super::id_text;
use crate::ev::{State, What};

/// An event as the dashboard knows it (libevent's `struct event`, seen from outside).
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// The trace id (`ev`).
    pub id: u64,
    /// The label given to `event_new`, or empty.
    pub label: Arc<str>,
    /// The fd, or signal number; `None` for a pure timer.
    pub fd: Option<i32>,
    /// The flags it was created with.
    pub what: What,
    /// Its current state.
    pub state: State,
    /// How many times it became active.
    pub activations: u64,
    /// How long its last callback ran, in microseconds.
    pub last_callback_us: Option<u64>,
    /// Index of the record of its last transition.
    pub changed_at: usize,
}

impl EventRow {
    /// The label as the screen shows it in `lang`, or `event N` (`事件 N`) when it has none.
    pub fn name_in(&self, lang: super::Lang) -> String {
        match (self.label.is_empty(), lang) {
            (true, super::Lang::Zh) => format!("事件 {}", id_text(self.id)),
            (false, lang) => super::shown_label(&self.label, lang).into_owned(),
            _ => self.name(),
        }
    }

    /// The label, or `event N` when it has none.
    pub fn name(&self) -> String {
        if self.label.is_empty() {
            format!("event {}", id_text(self.id))
        } else {
            self.label.to_string()
        }
    }
}
