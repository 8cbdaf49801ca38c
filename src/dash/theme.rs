//! Colours: a dark theme by default, and light and high-contrast ones for projectors.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use crate::ev::State;

/// A named set of styles every panel draws with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// `dark`, `light` or `contrast`.
    pub name: &'static str,
    /// The whole screen's base (background).
    pub screen: Style,
    /// Ordinary text.
    pub text: Style,
    /// Secondary text (times, ids, hints).
    pub dim: Style,
    /// Panel borders.
    pub border: Style,
    /// The focused panel's border and titles.
    pub focus: Style,
    /// The header bar.
    pub bar: Style,
    /// What just happened: the taken arrow, the current record, the lit phase.
    pub hot: Style,
    /// The selected row.
    pub selected: Style,
    /// Warnings (anomalies, breakpoints, lost link).
    pub warn: Style,
    /// Input buffer fill.
    pub input: Style,
    /// Output buffer fill.
    pub output: Style,
    /// Watermark marks.
    pub mark: Style,
    state: [Color; 6],
}

impl Theme {
    /// Light text on a dark terminal (the default).
    pub const DARK: Theme = Theme {
        name: "dark",
        screen: Style::new(),
        text: Style::new().fg(Color::Gray),
        dim: Style::new().fg(Color::DarkGray),
        border: Style::new().fg(Color::DarkGray),
        focus: Style::new().fg(Color::Cyan),
        bar: Style::new().fg(Color::Black).bg(Color::Cyan),
        hot: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        selected: Style::new().bg(Color::Rgb(40, 48, 64)),
        warn: Style::new().fg(Color::LightRed),
        input: Style::new().fg(Color::Green),
        output: Style::new().fg(Color::Magenta),
        mark: Style::new().fg(Color::Yellow),
        state: [
            Color::Gray,
            Color::Cyan,
            Color::Yellow,
            Color::LightGreen,
            Color::Blue,
            Color::DarkGray,
        ],
    };

    /// Dark text on a light background.
    pub const LIGHT: Theme = Theme {
        name: "light",
        screen: Style::new().fg(Color::Black).bg(Color::White),
        text: Style::new().fg(Color::Black),
        dim: Style::new().fg(Color::Rgb(100, 100, 100)),
        border: Style::new().fg(Color::Rgb(120, 120, 120)),
        focus: Style::new().fg(Color::Blue),
        bar: Style::new().fg(Color::White).bg(Color::Blue),
        hot: Style::new()
            .fg(Color::Rgb(180, 60, 0))
            .add_modifier(Modifier::BOLD),
        selected: Style::new().bg(Color::Rgb(210, 225, 245)),
        warn: Style::new().fg(Color::Red),
        input: Style::new().fg(Color::Rgb(0, 120, 0)),
        output: Style::new().fg(Color::Rgb(140, 0, 140)),
        mark: Style::new().fg(Color::Rgb(180, 60, 0)),
        state: [
            Color::Black,
            Color::Blue,
            Color::Rgb(170, 100, 0),
            Color::Rgb(0, 130, 0),
            Color::Rgb(90, 90, 160),
            Color::Rgb(120, 120, 120),
        ],
    };

    /// Maximum contrast, bold: for projectors and poor eyesight.
    pub const CONTRAST: Theme = Theme {
        name: "contrast",
        screen: Style::new().fg(Color::White).bg(Color::Black),
        text: Style::new().fg(Color::White),
        dim: Style::new().fg(Color::White),
        border: Style::new().fg(Color::White),
        focus: Style::new()
            .fg(Color::LightYellow)
            .add_modifier(Modifier::BOLD),
        bar: Style::new()
            .fg(Color::Black)
            .bg(Color::White)
            .add_modifier(Modifier::BOLD),
        hot: Style::new()
            .fg(Color::Black)
            .bg(Color::LightYellow)
            .add_modifier(Modifier::BOLD),
        selected: Style::new().add_modifier(Modifier::REVERSED),
        warn: Style::new()
            .fg(Color::LightRed)
            .add_modifier(Modifier::BOLD),
        input: Style::new()
            .fg(Color::LightGreen)
            .add_modifier(Modifier::BOLD),
        output: Style::new()
            .fg(Color::LightMagenta)
            .add_modifier(Modifier::BOLD),
        mark: Style::new()
            .fg(Color::LightYellow)
            .add_modifier(Modifier::BOLD),
        state: [
            Color::White,
            Color::LightCyan,
            Color::LightYellow,
            Color::LightGreen,
            Color::LightBlue,
            Color::White,
        ],
    };

    /// The colour a state is drawn in.
    pub fn state(&self, s: State) -> Style {
        let st = Style::new().fg(self.state[crate::dash::model::state_index(s)]);
        if self.name == "contrast" {
            st.add_modifier(Modifier::BOLD)
        } else {
            st
        }
    }
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::DARK
    }
}

impl FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Theme, String> {
        match s {
            "dark" => Ok(Theme::DARK),
            "light" => Ok(Theme::LIGHT),
            "contrast" | "high-contrast" => Ok(Theme::CONTRAST),
            other => Err(format!(
                "unknown theme {other:?} (expected dark, light or contrast)"
            )),
        }
    }
}
