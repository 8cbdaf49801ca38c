//! Where each panel goes, for any terminal size: stacked on small terminals (80×24 shows every
//! panel, the diagram and buffers compacted); on wide ones the events and buffers sit side by
//! side.

use ratatui::layout::{Constraint, Layout, Rect};

/// The panels' rectangles (zero-sized when a panel has no room).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub phase: Rect,
    pub events: Rect,
    pub diagram: Rect,
    pub buffers: Rect,
    pub timeline: Rect,
    pub footer: Rect,
}

/// Height of the state diagram: boxes, arc and caption; or one line of counts and a caption.
pub const DIAGRAM_FULL: u16 = 7;
pub const DIAGRAM_COMPACT: u16 = 4;

impl Areas {
    /// Lays out a screen of `area` with `bevs` bufferevents to show.
    pub fn new(area: Rect, bevs: usize) -> Areas {
        let [header, phase, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        let bev_rows = bevs.max(1) as u16;
        if area.width >= 120 && area.height >= 30 {
            // Wide: the diagram across the top, events beside buffers, the timeline below.
            let timeline_h = (body.height / 3).clamp(6, 16);
            let [diagram, middle, timeline] = Layout::vertical([
                Constraint::Length(DIAGRAM_FULL),
                Constraint::Min(0),
                Constraint::Length(timeline_h),
            ])
            .areas(body);
            let [events, buffers] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(middle);
            return Areas {
                header,
                phase,
                events,
                diagram,
                buffers,
                timeline,
                footer,
            };
        }
        let tall = area.height >= 28;
        let diagram_h = if tall { DIAGRAM_FULL } else { DIAGRAM_COMPACT };
        let per_bev = if area.height >= 36 { 2 } else { 1 };
        let buffers_h = (2 + bev_rows * per_bev).min(body.height / 4).max(3);
        let timeline_h = match area.height {
            0..28 => 5,
            28..36 => 6,
            _ => 8,
        };
        let [diagram, events, buffers, timeline] = Layout::vertical([
            Constraint::Length(diagram_h),
            Constraint::Min(4),
            Constraint::Length(buffers_h),
            Constraint::Length(timeline_h),
        ])
        .areas(body);
        Areas {
            header,
            phase,
            events,
            diagram,
            buffers,
            timeline,
            footer,
        }
    }
}
