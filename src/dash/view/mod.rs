//! Drawing: one file per panel. Views read the session and the view state and draw into a
//! buffer; they change nothing and read no clock, so a screen is a pure function of
//! (records, cursor, view state).

pub mod buffers;
pub mod diagram;
pub mod events;
pub mod footer;
pub mod header;
pub mod help;
pub mod history;
mod layout;
pub mod micros;
pub mod phase;
mod popup;
pub mod quiz;
pub mod timeline;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, Borders, Widget};
use ratatui::Frame;

pub use layout::Areas;

use super::model::Session;
use super::theme::Theme;
use super::ui::{Focus, Ui};

/// What every panel draws from.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The records and the cursor.
    pub session: &'a Session,
    /// The view state.
    pub ui: &'a Ui,
    /// The colours.
    pub theme: &'a Theme,
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, ctx: Ctx) {
    let area = frame.area();
    render(area, frame.buffer_mut(), ctx);
}

/// Draws the whole screen into `buf` over `area`.
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    buf.set_style(area, ctx.theme.screen);
    let a = Areas::new(area, ctx.session.snapshot().bevs.len());
    header::render(a.header, buf, ctx);
    phase::render(a.phase, buf, ctx);
    events::render(a.events, buf, ctx);
    diagram::render(a.diagram, buf, ctx);
    buffers::render(a.buffers, buf, ctx);
    timeline::render(a.timeline, buf, ctx);
    footer::render(a.footer, buf, ctx);
    if ctx.ui.history.is_some() {
        history::render(area, buf, ctx);
    }
    if quiz::shown(ctx) {
        quiz::render(area, buf, ctx);
    }
    if ctx.ui.help {
        help::render(area, buf, ctx);
    }
}

/// A panel's frame: rounded borders, highlighted when the panel has focus.
pub(crate) fn panel<'a>(title: String, focus: Option<Focus>, ctx: Ctx) -> Block<'a> {
    let focused = focus.is_some_and(|f| f == ctx.ui.focus);
    let style = if focused {
        ctx.theme.focus
    } else {
        ctx.theme.border
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(style)
        .title(format!(" {title} "))
        .title_style(if focused {
            ctx.theme.focus
        } else {
            ctx.theme.text
        })
}

/// Renders `block` and returns the area inside it (nothing when there is no room).
pub(crate) fn framed(block: Block, area: Rect, buf: &mut Buffer) -> Rect {
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}
