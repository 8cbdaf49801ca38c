//! Quiz mode over real recordings: questions come from the trace and their answers match it;
//! `update` stops the replay at each question, scores right answers and not wrong ones; the
//! overlay shows the question in English and in Chinese.

use crate::util;
use crate::util::dash as dash_util;

use std::path::PathBuf;

use evscope::dash::feed;
use evscope::dash::model::{Lang, Session, Timeline};
use evscope::dash::msg::Msg;
use evscope::dash::quiz::{eligible, Kind, Quiz, Stage};
use evscope::dash::ui::Ui;
use evscope::dash::update::update;
use evscope::dash::view;
use evscope::ev::State;
use evscope::trace::{id_text, Body};
use util::TestResult;

const RECORDINGS: [&str; 9] = [
    "backends",
    "client",
    "echo",
    "half-close",
    "pipe",
    "priority",
    "signal",
    "timer",
    "watermark",
];

fn recording(name: &str) -> Result<Timeline, Box<dyn std::error::Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("recordings")
        .join(format!("{name}.jsonl"));
    Ok(feed::load(&path)?)
}

#[test]
fn every_question_of_every_recording_is_answered_by_its_record() -> TestResult {
    let mut kinds = [0usize; 3];
    for name in RECORDINGS {
        let t = recording(name)?;
        let qs = eligible(&t);
        assert!(!qs.is_empty(), "{name}: no question");
        for q in &qs {
            assert!(
                q.choices.iter().any(|c| c.key == q.answer),
                "{name}: the answer is a choice"
            );
            let r = t.record(q.pos).ok_or("a record")?;
            match (q.kind, &r.body) {
                (Kind::State, Body::Transition { from, to, .. }) => {
                    kinds[0] += 1;
                    let i = q.answer.to_digit(10).ok_or("a digit")? as usize - 1;
                    assert_eq!(State::ALL[i], *to, "{name} #{}", r.seq);
                    assert!(q
                        .text
                        .en
                        .contains(&format!(" is {}", from.as_str().replace('_', "-"))));
                }
                (
                    Kind::Buffer,
                    Body::Buffer {
                        bev,
                        levels: evscope::ev::Levels { input, output, .. },
                    },
                ) => {
                    kinds[1] += 1;
                    // The previous levels of this bufferevent, before the record.
                    let (was_in, was_out) = t
                        .range(0..q.pos)
                        .filter_map(|p| match &p.body {
                            Body::Buffer {
                                bev: b,
                                levels: evscope::ev::Levels { input, output, .. },
                            } if b == bev && p.base == r.base => Some((*input, *output)),
                            _ => None,
                        })
                        .last()
                        .unwrap_or((0, 0));
                    let want = if q.answer == 'i' {
                        *input > was_in && *output <= was_out
                    } else {
                        *output > was_out && *input <= was_in
                    };
                    assert!(want, "{name} #{}: {}", r.seq, q.answer);
                }
                (Kind::Callback, Body::Transition { ev, to, .. }) => {
                    kinds[2] += 1;
                    assert_eq!(*to, State::Callback);
                    let right = q
                        .choices
                        .iter()
                        .find(|c| c.key == q.answer)
                        .ok_or("answer")?;
                    assert!(
                        right
                            .label
                            .en
                            .starts_with(&format!("event {}", id_text(*ev))),
                        "{name} #{}: {}",
                        r.seq,
                        right.label.en
                    );
                    assert!(q.choices.len() >= 2);
                }
                (k, b) => panic!("{name}: a {k:?} question answered by {}", b.kind()),
            }
            assert!(!q.explain.en.is_empty() && !q.explain.zh.is_empty());
        }
    }
    assert!(
        kinds.iter().all(|&n| n > 0),
        "every kind is asked somewhere: {kinds:?}"
    );
    Ok(())
}

#[test]
fn the_default_asks_about_ten_questions() -> TestResult {
    for name in RECORDINGS {
        let t = recording(name)?;
        let n = Quiz::new(&t, None, 0).questions.len();
        assert!((5..=12).contains(&n), "{name}: {n} questions");
        assert_eq!(
            Quiz::new(&t, None, 3),
            Quiz::new(&t, None, 3),
            "deterministic"
        );
    }
    Ok(())
}

/// Ticks until a question is asked or the replay ends.
fn play_to_question(s: &mut Session, ui: &mut Ui) {
    for _ in 0..100_000 {
        let asking = ui
            .quiz
            .as_ref()
            .is_some_and(|q| matches!(q.stage, Stage::Asking(_)));
        if asking || !ui.playing {
            return;
        }
        update(s, ui, Msg::Tick);
    }
    panic!("the replay never stopped");
}

#[test]
fn update_stops_at_questions_and_scores_right_answers_only() -> TestResult {
    for name in ["timer", "echo"] {
        let t = recording(name)?;
        let mut ui = Ui::quiz(&t, name, Lang::En, None, 0);
        let total = ui.quiz.as_ref().ok_or("quiz")?.questions.len();
        let mut s = Session::new(t);
        assert!(ui.playing, "a quiz starts playing");
        let mut right = 0;
        for n in 0..total {
            play_to_question(&mut s, &mut ui);
            let q = ui.quiz.as_ref().ok_or("quiz")?;
            assert_eq!(q.stage, Stage::Asking(n), "{name}: question {n} asked");
            let question = q.questions[n].clone();
            assert_eq!(s.pos(), question.pos, "stopped before the answering record");
            assert!(!ui.playing);
            // A question holds the cursor.
            update(&mut s, &mut ui, Msg::Forward);
            update(&mut s, &mut ui, Msg::End);
            assert_eq!(s.pos(), question.pos);
            let key = if n % 2 == 0 {
                question.answer
            } else {
                question
                    .choices
                    .iter()
                    .map(|c| c.key)
                    .find(|&k| k != question.answer)
                    .ok_or("a wrong choice")?
            };
            update(&mut s, &mut ui, Msg::Answer(key));
            if n % 2 == 0 {
                right += 1;
            }
            let q = ui.quiz.as_ref().ok_or("quiz")?;
            assert_eq!(q.stage, Stage::Answered { n, chosen: key });
            assert_eq!(q.score.total_asked() as usize, n + 1);
            assert_eq!(q.score.total_right(), right, "{name}: after question {n}");
            // A second key does not answer again: it goes on.
            update(&mut s, &mut ui, Msg::Answer(question.answer));
            let q = ui.quiz.as_ref().ok_or("quiz")?;
            assert_eq!(q.score.total_right(), right);
            assert!(ui.playing || s.at_end());
        }
        play_to_question(&mut s, &mut ui);
        assert!(
            s.at_end(),
            "{name}: plays to the end after the last question"
        );
        let q = ui.quiz.as_ref().ok_or("quiz")?;
        assert!(q.finished());
        let per_kind: u32 = Kind::ALL.iter().map(|&k| q.score.of(k).1).sum();
        assert_eq!(per_kind, right);
    }
    Ok(())
}

#[test]
fn the_overlay_shows_the_question_in_english_and_chinese() -> TestResult {
    let t = recording("timer")?;
    for (lang, words, keys) in [
        (Lang::En, "is pending: which state", "press a choice's key"),
        (Lang::Zh, "处于「未决」", "按选项前的键作答"),
    ] {
        let mut ui = Ui::quiz(&t, "timer.jsonl", lang, None, 0);
        let mut s = Session::new(t.clone());
        play_to_question(&mut s, &mut ui);
        let buf = dash_util::draw(120, 34, &s, &ui, view::render);
        let screen = dash_util::text(&buf);
        assert!(screen.contains(words), "{lang:?}:\n{screen}");
        assert!(screen.contains(keys), "{lang:?}:\n{screen}");
        let score = if lang == Lang::Zh {
            "得分 0/0"
        } else {
            "score 0/0"
        };
        assert!(screen.contains(score), "header score:\n{screen}");
        let q = ui.quiz.as_ref().ok_or("quiz")?;
        let answer = q.current().ok_or("asked")?.answer;
        update(&mut s, &mut ui, Msg::Answer(answer));
        let buf = dash_util::draw(120, 34, &s, &ui, view::render);
        let screen = dash_util::text(&buf);
        let right = if lang == Lang::Zh {
            "答对了"
        } else {
            "Right!"
        };
        assert!(screen.contains(right), "{lang:?}:\n{screen}");
        let score = if lang == Lang::Zh {
            "得分 1/1"
        } else {
            "score 1/1"
        };
        assert!(screen.contains(score), "header score:\n{screen}");
    }
    Ok(())
}

#[test]
fn the_command_tells_bad_input_in_one_sentence() -> TestResult {
    let bin = env!("CARGO_BIN_EXE_evscope");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output();
    // Piped stdout: no terminal to draw on.
    let timer = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/timer.jsonl");
    let out = run(&["quiz", timer])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
    let out = run(&["quiz", "/nonexistent/trace.jsonl"])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/trace.jsonl"));
    let out = run(&["quiz", timer, "--every", "0"])?;
    assert_eq!(out.status.code(), Some(2), "--every 0 is a usage error");
    Ok(())
}
