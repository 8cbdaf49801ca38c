//! Keys to messages, and nothing else.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::msg::Msg;

/// The message a key press means, if any.
pub fn map_key(key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') | KeyCode::Char('d') => Some(Msg::Quit),
            _ => None,
        };
    }
    let msg = match key.code {
        KeyCode::Char('q') => Msg::Quit,
        KeyCode::Char('n') | KeyCode::Right => Msg::Forward,
        KeyCode::Char('p') | KeyCode::Left => Msg::Back,
        KeyCode::Char(' ') => Msg::PlayPause,
        KeyCode::Char('+') | KeyCode::Char('=') => Msg::Faster,
        KeyCode::Char('-') | KeyCode::Char('_') => Msg::Slower,
        KeyCode::Home | KeyCode::Char('g') => Msg::Home,
        KeyCode::End | KeyCode::Char('G') => Msg::End,
        KeyCode::Char(']') => Msg::NextIteration,
        KeyCode::Char('b') => Msg::Breakpoint,
        KeyCode::Tab => Msg::NextPanel,
        KeyCode::BackTab => Msg::PrevPanel,
        KeyCode::Up | KeyCode::Char('k') => Msg::Up,
        KeyCode::Down | KeyCode::Char('j') => Msg::Down,
        KeyCode::Enter => Msg::Enter,
        KeyCode::Esc => Msg::Close,
        KeyCode::Char('?') | KeyCode::F(1) => Msg::Help,
        KeyCode::Char('l') => Msg::Lang,
        KeyCode::Char('B') => Msg::NextBase,
        KeyCode::Char(c @ ('1'..='9' | 'i' | 'o')) => Msg::Answer(c),
        _ => return None,
    };
    Some(msg)
}
