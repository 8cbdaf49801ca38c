//! The quiz overlay: the question and its choices; after an answer, right or wrong with the
//! explanation; at the end of the replay, the score per kind of question.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use super::popup::centered;
use super::{framed, panel, Ctx};
use crate::dash::model::Lang;
use crate::dash::quiz::{Kind, Quiz, Stage};

/// Whether the overlay has something to show.
pub fn shown(ctx: Ctx) -> bool {
    ctx.ui
        .quiz
        .as_ref()
        .is_some_and(|q| q.current().is_some() || (q.finished() && ctx.session.at_end()))
}

/// The header's score: "score 3/5" or "得分 3/5".
pub fn score_text(quiz: &Quiz, lang: Lang) -> String {
    let (right, asked) = (quiz.score.total_right(), quiz.score.total_asked());
    match lang {
        Lang::En => format!("score {right}/{asked}"),
        Lang::Zh => format!("得分 {right}/{asked}"),
    }
}

/// Draws the overlay over `area` (the whole screen).
pub fn render(area: Rect, buf: &mut Buffer, ctx: Ctx) {
    let Some(quiz) = ctx.ui.quiz.as_ref() else {
        return;
    };
    let (t, lang) = (ctx.theme, ctx.ui.lang);
    let zh = lang == Lang::Zh;
    let mut lines: Vec<Line> = Vec::new();
    let title;
    match (quiz.current(), &quiz.stage) {
        (Some(q), stage) => {
            let n = quiz.questions.iter().position(|x| x == q).unwrap_or(0) + 1;
            title = if zh {
                format!("测验：第 {n} 题，共 {} 题", quiz.questions.len())
            } else {
                format!("Quiz: question {n} of {}", quiz.questions.len())
            };
            lines.push(Line::styled(q.text.get(lang).to_string(), t.hot));
            lines.push(Line::raw(""));
            let chosen = match stage {
                Stage::Answered { chosen, .. } => Some(*chosen),
                _ => None,
            };
            for c in &q.choices {
                let mark = match chosen {
                    Some(_) if c.key == q.answer => "✓",
                    Some(k) if k == c.key => "✗",
                    _ => " ",
                };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {mark} {} ", c.key), t.focus),
                    Span::styled(c.label.get(lang).to_string(), t.text),
                ]));
            }
            lines.push(Line::raw(""));
            match chosen {
                None => lines.push(Line::styled(
                    if zh {
                        "按选项前的键作答"
                    } else {
                        "press a choice's key to answer"
                    },
                    t.dim,
                )),
                Some(k) => {
                    let (word, style) = match (k == q.answer, zh) {
                        (true, false) => ("Right!", t.focus),
                        (true, true) => ("答对了！", t.focus),
                        (false, false) => ("Wrong.", t.warn),
                        (false, true) => ("答错了。", t.warn),
                    };
                    lines.push(Line::styled(word, style));
                    lines.push(Line::raw(q.explain.get(lang).to_string()));
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        if zh {
                            "按任意键继续"
                        } else {
                            "press any key to go on"
                        },
                        t.dim,
                    ));
                }
            }
        }
        (None, _) => {
            title = if zh {
                "测验结束".into()
            } else {
                "Quiz over".into()
            };
            lines.push(Line::styled(score_text(quiz, lang), t.hot));
            lines.push(Line::raw(""));
            for kind in Kind::ALL {
                let (asked, right) = quiz.score.of(kind);
                if asked > 0 {
                    lines.push(Line::raw(format!("  {}: {right}/{asked}", kind.name(lang))));
                }
            }
            if quiz.score.total_asked() == 0 {
                lines.push(Line::raw(if zh {
                    "没有回答任何题目"
                } else {
                    "no question was answered"
                }));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                if zh { "按 q 退出" } else { "q quits" },
                t.dim,
            ));
        }
    }
    let width = 76.min(area.width);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    // Rows after wrapping, roughly: each line's width over the inner width.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let pop = centered(area, width, rows as u16 + 2);
    Clear.render(pop, buf);
    buf.set_style(pop, t.screen);
    let inner = framed(panel(title, None, ctx).border_style(t.focus), pop, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}
