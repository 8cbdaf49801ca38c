//! Trace ids as the screen shows them.

use crate::ev::EventId;

/// A trace id as shown: its slot, with `v<generation>` once the slot was reused (`3`, `3v1`),
/// as the trace layer's explanations write it.
pub fn id_text(id: u64) -> String {
    let h = EventId::from_trace_id(id);
    if h.generation() > 0 {
        format!("{}v{}", h.index(), h.generation())
    } else {
        h.index().to_string()
    }
}
