//! Unmodified libevent C programs (`tests/c/*.c`) run on evscope's libevent.so with the same
//! output as on the system's libevent, on every backend, and their traces validate and show
//! what the programs did, under their callbacks' own names.

pub mod util;

use evscope::trace::{Body, Record};
use util::{count, event_labeled, same_as_system, transitions, TestResult};

fn path(records: &[Record], ev: u64) -> Vec<String> {
    transitions(records, ev)
        .into_iter()
        .map(|(from, to, _)| format!("{from}->{to}"))
        .collect()
}

#[test]
fn timers_persistent_one_shot_and_once() -> TestResult {
    same_as_system("timers", None, |_, records| {
        let oneshot = event_labeled(records, "oneshot_cb")?;
        assert_eq!(
            path(records, oneshot),
            [
                "new->pending",
                "pending->active",
                "active->callback",
                "callback->non_pending",
                "non_pending->freed"
            ]
        );
        let tick = event_labeled(records, "tick_cb")?;
        // Persistent: pending again after the first two ticks; deleted in the third.
        assert_eq!(count(records, tick, "callback", "pending"), 2);
        assert_eq!(count(records, tick, "pending", "active"), 3);
        assert_eq!(
            path(records, tick).last().map(String::as_str),
            Some("non_pending->freed")
        );
        let once = event_labeled(records, "once_cb")?;
        assert_eq!(count(records, once, "callback", "freed"), 1);
        Ok(())
    })
}

#[test]
fn stdin_reader_fed_through_a_pipe() -> TestResult {
    let mut input = String::new();
    for i in 0..60 {
        input.push_str(&format!("line {i} {}\n", "x".repeat(i * 37)));
    }
    input.push_str("a tail without a newline");
    same_as_system("stdin", Some(input.into_bytes()), |_, records| {
        let ev = event_labeled(records, "stdin_cb")?;
        let new = records.iter().find_map(|r| match &r.body {
            Body::EventNew {
                ev: e, fd, what, ..
            } if *e == ev => Some((*fd, what.names())),
            _ => None,
        });
        assert_eq!(new, Some((Some(0), vec!["READ", "PERSIST"])));
        assert!(count(records, ev, "callback", "pending") >= 2);
        let causes: Vec<_> = transitions(records, ev).into_iter().map(|t| t.2).collect();
        assert!(causes.iter().any(|c| c == "fd_readable"), "{causes:?}");
        assert_eq!(
            path(records, ev).last().map(|t| t.ends_with("->freed")),
            Some(true)
        );
        Ok(())
    })
}

#[test]
fn signal_event_catches_three_signals() -> TestResult {
    same_as_system("signal", None, |_, records| {
        let ev = event_labeled(records, "signal_cb")?;
        let signalled = transitions(records, ev)
            .iter()
            .filter(|(f, t, c)| f == "pending" && t == "active" && c == "signal")
            .count();
        assert_eq!(signalled, 3);
        assert_eq!(count(records, ev, "callback", "pending"), 2);
        event_labeled(records, "raise_cb")?;
        Ok(())
    })
}

#[test]
fn echo_server_and_client_exchange_a_mebibyte() -> TestResult {
    same_as_system("echo", None, |_, records| {
        let bevs: Vec<(u64, String)> = records
            .iter()
            .filter_map(|r| match &r.body {
                Body::BevNew { bev, label, .. } => Some((*bev, label.clone())),
                _ => None,
            })
            .collect();
        let labels: Vec<&str> = bevs.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "client_read_cb/client_write_cb/client_event_cb",
                "echo_read_cb/echo_event_cb"
            ]
        );
        event_labeled(records, "listener_cb accept")?;
        event_labeled(records, "echo_read_cb/echo_event_cb read")?;
        let accepts = records
            .iter()
            .filter(|r| matches!(r.body, Body::Accept { .. }))
            .count();
        assert_eq!(accepts, 1);
        let told = |bev: u64, name: &str| {
            records.iter().any(|r| match &r.body {
                Body::BevEvent { bev: b, events } => *b == bev && events.names().contains(&name),
                _ => false,
            })
        };
        assert!(told(bevs[0].0, "CONNECTED"), "the client hears CONNECTED");
        assert!(told(bevs[1].0, "EOF"), "the server hears EOF");
        let most_queued = records
            .iter()
            .filter_map(|r| match &r.body {
                Body::Buffer {
                    bev,
                    levels: evscope::ev::Levels { output, .. },
                } if *bev == bevs[0].0 => Some(*output),
                _ => None,
            })
            .max();
        assert!(
            most_queued.is_some_and(|n| n > 0),
            "the client's output filled"
        );
        let freed = records
            .iter()
            .filter(|r| matches!(r.body, Body::BevFree { .. }))
            .count();
        assert_eq!(freed, 2);
        Ok(())
    })
}

#[test]
fn misuse_is_refused_with_a_message_not_a_crash() -> TestResult {
    let Some(p) = util::program("misuse")? else {
        return Ok(());
    };
    let out = util::run(&p.evscope, &[], &[], None)?;
    let stdout = util::stdout_of(&out, "misuse")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "event_add on a freed event: -1",
        "event_initialized on a freed event: 0",
        "event_add(NULL): -1",
        "evbuffer_add on a freed evbuffer: -1",
        "refused, length still 0",
        "bufferevent_write on a freed bufferevent: -1",
        "evbuffer_add on its old output buffer: -1",
        "bufferevent_socket_new on a closed fd: NULL",
        "still running after event_base_free inside a callback",
        "dispatch: 1",
        "dispatch on a freed base: -1",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
    for said in [
        "evscope: event_add: the pointer is not a live struct event",
        "evscope: event_add: the struct event pointer is NULL",
        "evscope: evbuffer_free: this evbuffer belongs to a bufferevent",
        "evscope: bufferevent_write: the pointer is not a live struct bufferevent",
        "evscope: event_base_free: called inside one of the base's own callbacks",
        "evscope: event_base_dispatch: the pointer is not a live struct event_base",
    ] {
        assert!(stderr.contains(said), "{said:?} missing from:\n{stderr}");
    }
    Ok(())
}

#[test]
fn pre_2_0_api_event_init_and_event_set() -> TestResult {
    same_as_system("compat", None, |_, records| {
        let reader = event_labeled(records, "read_cb")?;
        // Three reads wait again; the fourth sees the pipe closed and deletes it.
        assert_eq!(count(records, reader, "callback", "pending"), 3);
        assert_eq!(count(records, reader, "callback", "non_pending"), 1);
        // event_base_set moves the timer to the base: the first one is freed, a second made.
        let tickers = util::events_labeled(records, "tick_cb");
        assert_eq!(tickers.len(), 2);
        assert_eq!(path(records, tickers[0]), ["new->freed"]);
        let ticker = tickers[1];
        // Re-added inside its callback twice: pending again each time.
        assert_eq!(count(records, ticker, "pending", "active"), 3);
        assert_eq!(count(records, ticker, "callback", "pending"), 2);
        Ok(())
    })
}

#[test]
fn public_structs_read_as_on_libevent() -> TestResult {
    same_as_system("structs", None, |_, records| {
        // event_set before any base: the event reaches the engine at event_base_set, under its
        // callback's name, and runs once.
        let early = event_labeled(records, "early_cb")?;
        assert_eq!(
            path(records, early),
            [
                "new->pending",
                "pending->active",
                "active->callback",
                "callback->non_pending"
            ]
        );
        // Both socket bufferevents were freed inside their own callbacks, once each.
        for label in ["bev_read_cb/bev_event_cb", "bev_event_cb"] {
            let bev = records
                .iter()
                .find_map(|r| match &r.body {
                    Body::BevNew { bev, label: l, .. } if l == label => Some(*bev),
                    _ => None,
                })
                .ok_or(format!("no bufferevent labeled {label:?}"))?;
            let freed = records
                .iter()
                .filter(|r| matches!(r.body, Body::BevFree { bev: b } if b == bev))
                .count();
            assert_eq!(freed, 1, "{label}");
        }
        Ok(())
    })
}

#[test]
fn backend_chosen_as_libevent_chooses() -> TestResult {
    let Some(p) = util::program("methods")? else {
        return Ok(());
    };
    // libevent's own switches, read unless the configuration says EVENT_BASE_FLAG_IGNORE_ENV;
    // an empty value counts, as for libevent.
    let cases: [&[(&str, &str)]; 5] = [
        &[],
        &[("EVENT_NOEPOLL", "1")],
        &[("EVENT_NOEPOLL", "1"), ("EVENT_NOPOLL", "")],
        &[
            ("EVENT_NOEPOLL", "1"),
            ("EVENT_NOPOLL", "1"),
            ("EVENT_NOSELECT", "1"),
        ],
        &[("EVENT_NOSELECT", "yes"), ("EVENT_SHOW_METHOD", "1")],
    ];
    for case in cases {
        let env: Vec<(&str, String)> = case.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let expected = util::run(&p.system, &[], &env, None)?;
        let got = util::run(&p.evscope, &[], &env, None)?;
        assert_eq!(
            util::stdout_of(&got, "methods on evscope")?,
            util::stdout_of(&expected, "methods on libevent")?,
            "{case:?}"
        );
        // The warnings too ("no event mechanism available", "libevent using: poll").
        assert_eq!(
            String::from_utf8_lossy(&got.stderr),
            String::from_utf8_lossy(&expected.stderr),
            "{case:?}"
        );
    }
    // EVSCOPE_BACKEND picks among the backends the configuration and environment allow.
    let env = [("EVSCOPE_BACKEND", "select".to_string())];
    let out = util::stdout_of(&util::run(&p.evscope, &[], &env, None)?, "methods")?;
    for line in [
        "event_base_new: select, features 0x4",
        "avoiding all three: no base",
        "requiring EV_FEATURE_O1|EV_FEATURE_ET: epoll, features 0xb",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    Ok(())
}
