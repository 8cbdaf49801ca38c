//! Showing a live link as a text timeline (`run --print`, `attach --print`), with stepping driven by
//! lines typed on stdin.

use std::io::{BufRead, Write};

use evscope::trace::explain::timeline_line;
use evscope::trace::{
    escape_text, trimmed_history, Control, ControlSender, Explainer, Lang, LinkClient, LinkMsg,
    Status,
};

use super::Failure;

const STEP_HELP: &str = "evscope: stepping — Enter: one record, c: continue, p: pause, \
                         i: to the next loop iteration, b N: break on event N, u N: remove it";

/// Prints every message of `client` until the program closes the link. With `step`, reads
/// commands from stdin; at the end of stdin the program runs on freely.
pub fn show(mut client: LinkClient, step: bool, lang: Lang) -> Result<(), Failure> {
    if step {
        tell!("{STEP_HELP}");
        let sender = client.sender();
        std::thread::Builder::new()
            .name("evscope-stdin".into())
            .spawn(move || read_commands(sender))?;
    }
    let mut explainer = Explainer::new(lang);
    // Records received so far: a late viewer's first one may stand for a trimmed history.
    let mut records = 0;
    let stdout = std::io::stdout();
    loop {
        let msg = match client.recv() {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(()),
            Err(e) => {
                client.sender().close();
                return Err(Failure::from(format!("live link {e}")));
            }
        };
        let line = match msg {
            LinkMsg::Header(h) => {
                explainer.learn_header(&h);
                match lang {
                    Lang::En => format!(
                        "# live: {} backend, program {:?}, pid {}",
                        h.backend, h.program, h.pid
                    ),
                    Lang::Zh => format!(
                        "# 实时：后端 {}，程序 {:?}（进程 {}）",
                        h.backend, h.program, h.pid
                    ),
                }
            }
            LinkMsg::Record(rec) => {
                let line = match trimmed_history(&rec, records, lang) {
                    Some(text) => timeline_line(&rec, &text),
                    None => explainer.line(&rec),
                };
                records += 1;
                line
            }
            LinkMsg::Status(s) => status_line(&s),
        };
        // Text from the program never reaches the terminal with its control codes.
        if writeln!(stdout.lock(), "{}", escape_text(&line)).is_err() {
            // Nobody reads our output any more: let the program run on.
            client.sender().close();
            return Ok(());
        }
    }
}

fn status_line(s: &Status) -> String {
    match s {
        Status::Paused {
            reason,
            ev: Some(ev),
        } => format!("-- paused ({reason} on event {ev}) --"),
        Status::Paused { reason, ev: None } => format!("-- paused ({reason}) --"),
        Status::Running => "-- running --".to_string(),
        Status::Error { message } => format!("-- the program says: {message} --"),
    }
}

fn read_commands(sender: ControlSender) {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let ctl = match words.as_slice() {
            [] | ["n"] | ["s"] => Control::Step { n: 1 },
            ["c"] => Control::Continue,
            ["p"] => Control::Pause,
            ["i"] => Control::NextIteration,
            ["b", ev] | ["u", ev] => match ev.parse() {
                Ok(ev) if words[0] == "b" => Control::Break { ev },
                Ok(ev) => Control::Unbreak { ev },
                Err(_) => {
                    tell!("evscope: {ev:?} is not an event number");
                    continue;
                }
            },
            _ => {
                tell!("{STEP_HELP}");
                continue;
            }
        };
        if sender.send(&ctl).is_err() {
            return;
        }
    }
    // No more commands can come: never leave the program paused.
    let _ = sender.send(&Control::Continue);
}
