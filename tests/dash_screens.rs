//! Whole screens through TestBackend, against committed snapshots, at fixed positions of the
//! fixture and at the sizes that matter (80×24 classroom minimum, 100×30, a large 160×48).

#[path = "util/dash.rs"]
mod dash_util;
mod util;

use dash_util::at;
use evscope::dash::model::Lang;
use evscope::dash::model::Session;
use evscope::dash::theme::Theme;
use evscope::dash::ui::Ui;
use evscope::dash::view::{self, Ctx};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use util::TestResult;

fn screen(
    w: u16,
    h: u16,
    s: &Session,
    ui: &Ui,
) -> Result<Terminal<TestBackend>, Box<dyn std::error::Error>> {
    let mut term = Terminal::new(TestBackend::new(w, h))?;
    let theme = Theme::default();
    term.draw(|f| {
        view::draw(
            f,
            Ctx {
                session: s,
                ui,
                theme: &theme,
            },
        )
    })?;
    Ok(term)
}

#[test]
fn start_80x24() -> TestResult {
    let (s, ui) = at(0)?;
    insta::assert_snapshot!(screen(80, 24, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn event_active_80x24() -> TestResult {
    let (s, ui) = at(28)?;
    insta::assert_snapshot!(screen(80, 24, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn event_active_100x30() -> TestResult {
    let (s, ui) = at(28)?;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn echo_in_flight_100x30() -> TestResult {
    let (s, ui) = at(150)?;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn echo_in_flight_160x48() -> TestResult {
    let (s, ui) = at(150)?;
    insta::assert_snapshot!(screen(160, 48, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn end_100x30() -> TestResult {
    let (s, ui) = at(usize::MAX)?;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn chinese_100x30() -> TestResult {
    let (s, mut ui) = at(150)?;
    ui.lang = Lang::Zh;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn help_overlay_100x30() -> TestResult {
    let (s, mut ui) = at(28)?;
    ui.help = true;
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn history_overlay_100x30() -> TestResult {
    let (s, mut ui) = at(150)?;
    ui.history = Some(1);
    insta::assert_snapshot!(screen(100, 30, &s, &ui)?.backend());
    Ok(())
}

#[test]
fn a_tiny_terminal_does_not_panic() -> TestResult {
    for (w, h) in [(1, 1), (10, 5), (40, 10), (79, 23), (20, 40)] {
        for pos in [0, 28, 150, usize::MAX] {
            let (s, mut ui) = at(pos)?;
            screen(w, h, &s, &ui)?;
            ui.help = true;
            ui.history = Some(1);
            screen(w, h, &s, &ui)?;
        }
    }
    Ok(())
}

#[test]
fn every_theme_draws_the_same_text() -> TestResult {
    let (s, ui) = at(150)?;
    let mut term = Terminal::new(TestBackend::new(100, 30))?;
    let mut screens = Vec::new();
    for theme in [Theme::DARK, Theme::LIGHT, Theme::CONTRAST] {
        term.draw(|f| {
            view::draw(
                f,
                Ctx {
                    session: &s,
                    ui: &ui,
                    theme: &theme,
                },
            )
        })?;
        screens.push(format!("{}", term.backend()));
    }
    assert_eq!(screens[0], screens[1]);
    assert_eq!(screens[0], screens[2]);
    Ok(())
}
