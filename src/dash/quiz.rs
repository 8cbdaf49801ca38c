//! Quiz mode (`evscope quiz FILE`): questions drawn from the trace itself, so any recording
//! works. At a question the replay stops before the record that answers it; the answer key
//! says right or wrong, with that record's explanation. Pure: no drawing, no clock.
//!
//! Three kinds of question:
//! - [`Kind::State`]: an event is in some state; which state does its next transition reach?
//! - [`Kind::Buffer`]: a `buffer` record is next in which exactly one of a bufferevent's two
//!   buffers grows: input (`i`) or output (`o`)?
//! - [`Kind::Callback`]: two or more events are active; whose callback runs next?

use std::collections::HashMap;

use super::model::{Lang, Timeline};
use crate::ev::State;
use crate::trace::{state_term_zh, Body, Explainer};

/// What a question asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Which state next.
    State,
    /// Which buffer grows.
    Buffer,
    /// Whose callback runs next.
    Callback,
}

impl Kind {
    /// Every kind, in the order scores are shown.
    pub const ALL: [Kind; 3] = [Kind::State, Kind::Buffer, Kind::Callback];

    fn index(self) -> usize {
        match self {
            Kind::State => 0,
            Kind::Buffer => 1,
            Kind::Callback => 2,
        }
    }

    /// The kind's name in `lang`, for the score.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Kind::State, Lang::En) => "next state",
            (Kind::State, Lang::Zh) => "下一个状态",
            (Kind::Buffer, Lang::En) => "which buffer grows",
            (Kind::Buffer, Lang::Zh) => "哪个缓冲区增长",
            (Kind::Callback, Lang::En) => "whose callback runs",
            (Kind::Callback, Lang::Zh) => "谁的回调函数先运行",
        }
    }
}

/// Text in English and in Chinese (`l` switches at any time, even mid-question).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Both {
    /// English.
    pub en: String,
    /// Chinese.
    pub zh: String,
}

impl Both {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// One possible answer: the key that chooses it and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// `1`…`9`, `i`, `o`.
    pub key: char,
    /// What it says.
    pub label: Both,
}

/// One question, asked with the cursor at `pos` (records `..pos` shown), answered by record
/// `pos`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// What it asks.
    pub kind: Kind,
    /// Index of the record that answers it; the replay stops just before it.
    pub pos: usize,
    /// The question.
    pub text: Both,
    /// The choices, each with its key.
    pub choices: Vec<Choice>,
    /// The right choice's key.
    pub answer: char,
    /// The answering record in plain words.
    pub explain: Both,
}

/// Where the quiz is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The replay runs towards the next question.
    Playing,
    /// Question `n` is shown, waiting for a choice.
    Asking(usize),
    /// Question `n` was answered with `chosen`.
    Answered {
        /// The question.
        n: usize,
        /// The key pressed.
        chosen: char,
    },
}

/// Questions asked and answered right, per [`Kind`] (in [`Kind::ALL`] order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Questions asked.
    pub asked: [u32; 3],
    /// Answered right.
    pub right: [u32; 3],
}

impl Score {
    /// All questions asked.
    pub fn total_asked(&self) -> u32 {
        self.asked.iter().sum()
    }
    /// All right answers.
    pub fn total_right(&self) -> u32 {
        self.right.iter().sum()
    }
    /// `(asked, right)` of one kind.
    pub fn of(&self, kind: Kind) -> (u32, u32) {
        (self.asked[kind.index()], self.right[kind.index()])
    }
}

/// The questions of one trace and how far the quiz is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quiz {
    /// The questions, in trace order.
    pub questions: Vec<Question>,
    /// The next question not yet asked.
    pub next: usize,
    /// Where the quiz is.
    pub stage: Stage,
    /// The score so far.
    pub score: Score,
}

/// How many questions a quiz over a trace aims at when `--every` is not given.
pub const AIM: usize = 10;

impl Quiz {
    /// The quiz over `timeline`: every `every`-th eligible record (default: so that about
    /// [`AIM`] questions are asked), starting at an offset chosen by `seed`.
    pub fn new(timeline: &Timeline, every: Option<usize>, seed: u64) -> Quiz {
        let all = eligible(timeline);
        let every = every.unwrap_or_else(|| all.len().div_ceil(AIM)).max(1);
        let offset = (seed % every as u64) as usize;
        let questions = all.into_iter().skip(offset).step_by(every).collect();
        Quiz {
            questions,
            next: 0,
            stage: Stage::Playing,
            score: Score::default(),
        }
    }

    /// Where the next question is asked (the cursor position), if any is left.
    pub fn next_pos(&self) -> Option<usize> {
        self.questions.get(self.next).map(|q| q.pos)
    }

    /// The question shown (asked or answered).
    pub fn current(&self) -> Option<&Question> {
        match self.stage {
            Stage::Playing => None,
            Stage::Asking(n) | Stage::Answered { n, .. } => self.questions.get(n),
        }
    }

    /// The cursor is at `pos`: asks the question there, skipping those the cursor jumped past.
    /// True when a question is now asked.
    pub fn arrive(&mut self, pos: usize) -> bool {
        if self.stage != Stage::Playing {
            return false;
        }
        while self.next_pos().is_some_and(|p| p < pos) {
            self.next += 1;
        }
        if self.next_pos() == Some(pos) {
            self.stage = Stage::Asking(self.next);
            self.next += 1;
            return true;
        }
        false
    }

    /// `key` pressed while asking: `Some(right)` when it is one of the choices (scored), else
    /// `None` (ignored).
    pub fn answer(&mut self, key: char) -> Option<bool> {
        let Stage::Asking(n) = self.stage else {
            return None;
        };
        let q = &self.questions[n];
        if !q.choices.iter().any(|c| c.key == key) {
            return None;
        }
        let right = key == q.answer;
        let i = q.kind.index();
        self.score.asked[i] += 1;
        if right {
            self.score.right[i] += 1;
        }
        self.stage = Stage::Answered { n, chosen: key };
        Some(right)
    }

    /// After an answer: back to playing.
    pub fn resume(&mut self) {
        if matches!(self.stage, Stage::Answered { .. }) {
            self.stage = Stage::Playing;
        }
    }

    /// No question is left to ask.
    pub fn finished(&self) -> bool {
        self.stage == Stage::Playing && self.next >= self.questions.len()
    }
}

fn state_label(s: State) -> Both {
    let en = match s {
        State::NonPending => "non-pending",
        s => s.as_str(),
    };
    Both {
        en: en.into(),
        zh: state_term_zh(s).into(),
    }
}

fn key_of(i: usize) -> char {
    char::from_digit(i as u32 + 1, 10).unwrap_or('?')
}

/// Every question the trace can ask, in trace order.
pub fn eligible(timeline: &Timeline) -> Vec<Question> {
    let mut en = Explainer::new(Lang::En);
    let mut zh = Explainer::new(Lang::Zh);
    en.learn_header(timeline.header());
    zh.learn_header(timeline.header());
    // State of each (base, event), and fill levels of each (base, bufferevent).
    let mut states: HashMap<(u32, u64), State> = HashMap::new();
    let mut levels: HashMap<(u32, u64), (u64, u64)> = HashMap::new();
    let mut out = Vec::new();
    let explain = |i| Both {
        en: timeline
            .record(i)
            .map_or_else(String::new, |r| timeline.explain(&r, Lang::En)),
        zh: timeline
            .record(i)
            .map_or_else(String::new, |r| timeline.explain(&r, Lang::Zh)),
    };
    for (i, r) in timeline.records().enumerate() {
        let r = &*r;
        en.learn(r);
        zh.learn(r);
        let b = r.base;
        let name = |ev| Both {
            en: en.event_name_in(b, ev),
            zh: zh.event_name_in(b, ev),
        };
        match &r.body {
            Body::Transition { ev, from, to, .. } if from != to => {
                if *to == State::Callback {
                    // Whose callback runs next: the active events of this base, in id order.
                    let mut active: Vec<u64> = states
                        .iter()
                        .filter(|(&(base, _), &s)| base == b && s == State::Active)
                        .map(|(&(_, e), _)| e)
                        .collect();
                    active.sort_unstable();
                    active.truncate(9);
                    if active.len() >= 2 {
                        if let Some(at) = active.iter().position(|e| e == ev) {
                            let choices = active
                                .iter()
                                .enumerate()
                                .map(|(k, &e)| Choice {
                                    key: key_of(k),
                                    label: name(e),
                                })
                                .collect();
                            out.push(Question {
                                kind: Kind::Callback,
                                pos: i,
                                text: Both {
                                    en: format!(
                                        "{} events are active: which event's callback runs next?",
                                        active.len()
                                    ),
                                    zh: format!(
                                        "有 {} 个事件处于激活状态：接下来运行哪个事件的回调函数？",
                                        active.len()
                                    ),
                                },
                                choices,
                                answer: key_of(at),
                                explain: explain(i),
                            });
                        }
                    }
                }
                if *from == State::New {
                    // A new event can only be added (or freed): too easy to ask every time.
                    states.insert((b, *ev), *to);
                    continue;
                }
                let n = name(*ev);
                let st = state_label(*from);
                out.push(Question {
                    kind: Kind::State,
                    pos: i,
                    text: Both {
                        en: format!("{} is {}: which state next?", n.en, st.en),
                        zh: format!("{} 处于「{}」：下一个状态是？", n.zh, st.zh),
                    },
                    choices: State::ALL
                        .iter()
                        .enumerate()
                        .map(|(k, &s)| Choice {
                            key: key_of(k),
                            label: state_label(s),
                        })
                        .collect(),
                    answer: key_of(State::ALL.iter().position(|s| s == to).unwrap_or(0)),
                    explain: explain(i),
                });
                states.insert((b, *ev), *to);
            }
            Body::Transition { ev, to, .. } => {
                states.insert((b, *ev), *to);
            }
            Body::Buffer {
                bev,
                levels: crate::ev::Levels { input, output, .. },
            } => {
                let (was_in, was_out) = levels
                    .insert((b, *bev), (*input, *output))
                    .unwrap_or((0, 0));
                let answer = match (*input > was_in, *output > was_out) {
                    (true, false) => Some('i'),
                    (false, true) => Some('o'),
                    _ => None,
                };
                if let Some(answer) = answer {
                    let bev_en = en.bev_name_in(b, *bev);
                    let bev_zh = zh.bev_name_in(b, *bev);
                    out.push(Question {
                        kind: Kind::Buffer,
                        pos: i,
                        text: Both {
                            en: format!("{bev_en} changes next: which buffer grows?"),
                            zh: format!("{bev_zh} 即将变化：哪个缓冲区增长？"),
                        },
                        choices: vec![
                            Choice {
                                key: 'i',
                                label: Both {
                                    en: format!("input (now {was_in} B)"),
                                    zh: format!("输入缓冲区（现在 {was_in} 字节）"),
                                },
                            },
                            Choice {
                                key: 'o',
                                label: Both {
                                    en: format!("output (now {was_out} B)"),
                                    zh: format!("输出缓冲区（现在 {was_out} 字节）"),
                                },
                            },
                        ],
                        answer,
                        explain: explain(i),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Header, Record};
    use std::borrow::Cow;

    fn rec(seq: u64, body: Body) -> Record {
        Record {
            seq,
            t_us: seq,
            base: 0,
            body,
        }
    }

    fn tr(seq: u64, ev: u64, from: State, to: State) -> Record {
        rec(
            seq,
            Body::Transition {
                ev,
                fd: None,
                from,
                to,
                cause: Cow::Borrowed("event_add"),
            },
        )
    }

    fn buffer(seq: u64, input: u64, output: u64) -> Record {
        rec(
            seq,
            Body::Buffer {
                bev: 0,
                levels: crate::ev::Levels {
                    input,
                    output,
                    read_low: 0,
                    read_high: 0,
                    write_low: 0,
                    write_high: 0,
                    enabled: Default::default(),
                    kernel_in: None,
                    kernel_out: None,
                },
            },
        )
    }

    fn timeline(records: Vec<Record>) -> Timeline {
        Timeline::from_records(Header::new("epoll", "test"), records)
    }

    #[test]
    fn a_transition_asks_its_target_state() {
        use State::*;
        let t = timeline(vec![tr(1, 0, New, Pending), tr(2, 0, Pending, Active)]);
        let qs = eligible(&t);
        assert_eq!(qs.len(), 1, "leaving new is not asked");
        assert_eq!(qs[0].kind, Kind::State);
        assert_eq!(qs[0].pos, 1);
        assert_eq!(qs[0].answer, '3', "active is the third state");
        assert!(qs[0].text.en.contains("is pending"), "{}", qs[0].text.en);
        assert!(qs[0].text.zh.contains("未决"), "{}", qs[0].text.zh);
    }

    #[test]
    fn a_buffer_question_only_when_one_side_grows() {
        let t = timeline(vec![
            buffer(1, 5, 0),
            buffer(2, 5, 3),
            buffer(3, 0, 0),
            buffer(4, 2, 2),
        ]);
        let qs = eligible(&t);
        let answers: Vec<(usize, char)> = qs.iter().map(|q| (q.pos, q.answer)).collect();
        assert_eq!(answers, vec![(0, 'i'), (1, 'o')]);
    }

    #[test]
    fn two_active_events_ask_whose_callback_runs() {
        use State::*;
        let t = timeline(vec![
            tr(1, 0, Pending, Active),
            tr(2, 1, Pending, Active),
            tr(3, 1, Active, Callback),
        ]);
        let qs = eligible(&t);
        let q = qs.iter().find(|q| q.kind == Kind::Callback).expect("asked");
        assert_eq!(q.pos, 2);
        assert_eq!(q.choices.len(), 2);
        assert_eq!(q.answer, '2');
    }

    #[test]
    fn answers_score_and_every_and_seed_choose_the_questions() {
        use State::*;
        let recs: Vec<Record> = (0..10).map(|i| tr(i + 1, i, Pending, Active)).collect();
        let t = timeline(recs);
        let q = Quiz::new(&t, Some(3), 1);
        let pos: Vec<usize> = q.questions.iter().map(|q| q.pos).collect();
        assert_eq!(pos, vec![1, 4, 7]);
        assert_eq!(Quiz::new(&t, Some(3), 1), q, "the same seed, the same quiz");
        let mut q = q;
        assert!(!q.arrive(0));
        assert!(q.arrive(1));
        assert_eq!(q.answer('x'), None, "not a choice");
        assert_eq!(q.answer('3'), Some(true));
        q.resume();
        assert!(q.arrive(4));
        assert_eq!(q.answer('1'), Some(false));
        q.resume();
        // Jumping past question 3 skips it.
        assert!(!q.arrive(9));
        assert!(q.finished());
        assert_eq!((q.score.total_asked(), q.score.total_right()), (2, 1));
    }
}
