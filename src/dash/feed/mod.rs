//! Where records come from: a trace file read whole for replay ([`load`]), or a live [`Feed`]
//! — a loop in this process (a demo: its recorder's messages and its step gate) or a program
//! over the live link (a [`crate::trace::LinkClient`]). A live feed's thread delivers
//! [`LiveItem`]s to the dashboard; [`Controls`] take step controls back to the observed loop.
//!
//! Reading, checking and the wire protocol are the trace layer's; this module only connects them
//! to the dashboard.

mod controls;
mod file;
mod live;
mod source;

pub use controls::Controls;
pub use file::{load, parse};
pub use live::LiveItem;
pub use source::Feed;
