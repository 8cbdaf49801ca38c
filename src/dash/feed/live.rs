//! What a live feed delivers to the dashboard.

use crate::trace::{Header, LinkMsg, Record, Status};

/// One item from a live feed: what the live link carries, and its end.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveItem {
    /// The observed base's header (first).
    Header(Header),
    /// One record.
    Record(Record),
    /// The step gate paused (at a pause, breakpoint or new iteration) or runs again, or the
    /// program refused a control.
    Status(Status),
    /// The feed ended (the program exited or closed the link), with the reason if it failed.
    Ended(Option<String>),
}

impl From<LinkMsg> for LiveItem {
    fn from(msg: LinkMsg) -> LiveItem {
        match msg {
            LinkMsg::Header(h) => LiveItem::Header(h),
            LinkMsg::Record(r) => LiveItem::Record(r),
            LinkMsg::Status(s) => LiveItem::Status(s),
        }
    }
}
