//! Timelines made up for the model's tests.

use super::Timeline;
use crate::ev::{Levels, State, What};
use crate::trace::{Body, Header, Record};

/// `n` records touching every kind of row: 400 events made in two waves (the second halfway),
/// bufferevents made and filled, transitions (many of them odd, from a state the event is not
/// in), callbacks and loop iterations, a skip of 7 records a third of the way and a note at
/// two thirds. Its snapshots are too big for a checkpoint every block.
pub(crate) fn varied(n: usize) -> Timeline {
    let mut t = Timeline::new(Header::new("epoll", "test"));
    for i in 0..n {
        let ev = (i % 400) as u64;
        let bev = 1000 + (i % 50) as u64;
        let wave = i / (n / 2);
        let body = match i % (n / 2) {
            j if j < 200 => Body::EventNew {
                ev: (j + 200 * wave) as u64,
                fd: Some(j as i32),
                what: What::READ,
                label: format!("ev{j}"),
            },
            j if j < 225 => Body::BevNew {
                bev: (1000 + j - 200 + 25 * wave) as u64,
                fd: None,
                label: String::new(),
            },
            _ if i == n / 3 => Body::Dropped { count: 7 },
            _ if i == 2 * n / 3 => Body::Note {
                text: "here".into(),
            },
            _ if i % 3 == 0 => Body::Buffer {
                bev,
                levels: Levels {
                    input: i as u64 % 77,
                    ..Levels::default()
                },
            },
            _ if i % 5 == 0 => Body::CallbackEnd {
                ev,
                what: What::READ,
                dur_us: i as u64,
            },
            _ if i % 11 == 0 => Body::LoopIteration {
                n: i as u64,
                thread: None,
            },
            _ => Body::Transition {
                ev,
                fd: None,
                from: State::Pending,
                to: State::Active,
                cause: "test".to_string().into(),
            },
        };
        t.push(Record {
            seq: i as u64 + 1,
            t_us: i as u64,
            base: 0,
            body,
        });
    }
    t
}
