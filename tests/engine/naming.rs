//! The Rust API's one naming rule, checked against libevent's own headers: a method is the
//! libevent function it mirrors, less the prefix its receiver already says — `event_base_` on an
//! `EventBase` (`base.dispatch()` for `event_base_dispatch`), `evbuffer_` on an `Evbuffer`
//! (`buf.add(…)` for `evbuffer_add`). Calls about one event, bufferevent or listener keep their
//! prefix (`base.event_add`, `base.bufferevent_enable`, `base.evconnlistener_free`), because the
//! base holds all three. evscope's own additions are listed below, each with why it has no
//! libevent name; an addition about an object carries that object's prefix.
//!
//! The names are read from the source (`pub fn` inside `impl EventBase` / `impl Evbuffer`) and
//! from `/usr/include/event2/*.h`, so a method renamed to a short name, or given a name libevent
//! does not have, fails here until it follows the rule or is listed with its reason.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Prefixes that name one object the base holds, or a libevent header's family.
const OBJECT_PREFIXES: &[&str] = &[
    "event_",
    "evtimer_",
    "evsignal_",
    "bufferevent_",
    "evconnlistener_",
    "evthread_",
];

/// `EventBase` methods libevent has no function for: the base's own (no prefix), and
/// additions about one object (with its prefix). Each is (name, why).
const BASE_ADDITIONS: &[(&str, &str)] = &[
    (
        "with_backend",
        "a base on one named backend (event_config_avoid_method, in one call)",
    ),
    (
        "observed_from_env",
        "a base with the EVSCOPE_TRACE observer attached",
    ),
    (
        "break_handle",
        "a Send handle that breaks the loop from another thread",
    ),
    ("signal_fd", "the signalfd the base reads signals from"),
    ("started", "when the base was made (the trace's time zero)"),
    (
        "info",
        "the backend, features and priorities, for the trace header",
    ),
    ("set_observer", "attaches an observer (the trace)"),
    ("take_observer", "detaches the observer"),
    ("note", "a line of text in the trace"),
    ("iteration", "how many loop iterations ran"),
    ("now", "the loop's cached clock as an Instant"),
    (
        "labeled",
        "names what the next constructor makes, for the dashboard",
    ),
    ("remote", "the cross-thread handle of a notifiable base"),
    (
        "notify_fd",
        "the eventfd other threads wake the loop through",
    ),
    (
        "set_dispatch_limits",
        "event_config_set_max_dispatch_interval, after the base is made",
    ),
    ("dispatch_limits", "the limits set above"),
    (
        "defer_call",
        "libevent's internal event_deferred_cb_schedule_",
    ),
    (
        "cancel_deferred_call",
        "libevent's internal event_deferred_cb_cancel_",
    ),
    (
        "run_finalizers",
        "runs queued finalizers outside a loop (event_base_free does)",
    ),
    (
        "event_lists",
        "an event's EVLIST_* flags apart, for struct event's fields",
    ),
    ("event_state", "an event's state in the state machine"),
    ("event_label", "an event's label"),
    ("event_is_live", "whether a handle still names an event"),
    ("event_ids", "every live event, in slot order"),
    ("event_is_finalizing", "EVLIST_FINALIZING"),
    (
        "bufferevent_refs",
        "a bufferevent's reference count (libevent's refcnt)",
    ),
    (
        "bufferevent_reset_priority",
        "the priority back to the base's default",
    ),
    (
        "bufferevent_is_socket",
        "whether it is a socket bufferevent",
    ),
    (
        "bufferevent_lookup_started",
        "a connect_hostname's DNS lookup began",
    ),
    (
        "bufferevent_lookup_failed",
        "a connect_hostname's DNS lookup failed",
    ),
    ("bufferevent_buffers", "input and output borrowed together"),
    (
        "bufferevent_shutdown_write",
        "shutdown(SHUT_WR) once the output is sent",
    ),
    (
        "bufferevent_close_after_flush",
        "free once the output is sent",
    ),
    (
        "bufferevent_get_error",
        "the socket error behind BEV_EVENT_ERROR",
    ),
    (
        "bufferevent_levels",
        "fill levels and watermarks, as the trace records them",
    ),
    ("bufferevent_events", "the internal read and write events"),
    (
        "bufferevent_is_live",
        "whether a handle still names a bufferevent",
    ),
    ("bufferevent_ids", "every live bufferevent"),
    ("evconnlistener_local_addr", "the address it is bound to"),
    ("evconnlistener_ids", "every live listener"),
];

/// `Evbuffer` methods with no `evbuffer_` function of the same name, and why.
const BUFFER_ADDITIONS: &[(&str, &str)] = &[
    ("len", "evbuffer_get_length: Rust's name, with is_empty"),
    ("is_empty", "Rust's pair of len"),
    ("contiguous_space", "evbuffer_get_contiguous_space"),
    ("read_from", "evbuffer_read: `read` is io::Read's"),
    ("write_to", "evbuffer_write: `write` is io::Write's"),
    (
        "add_segment",
        "evbuffer_add_file_segment, on a file held open",
    ),
    ("chains", "the chunk sizes, for the dashboard"),
    ("to_vec", "a copy of every byte"),
    (
        "watch",
        "starts counting changes (evbuffer_add_cb, as one record)",
    ),
    ("is_watched", "whether changes are counted"),
    ("take_changes", "the counted changes, reset"),
    ("has_changes", "whether any change was counted"),
];

/// Rust keywords a libevent name would be, less its prefix; such a method ends in `_`.
const KEYWORDS: &[&str] = &["loop"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every function name declared in libevent's public headers.
fn libevent_functions() -> BTreeSet<String> {
    let dir = Path::new("/usr/include/event2");
    let mut names = BTreeSet::new();
    let entries = fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the libevent-dev headers are needed)",
            dir.display()
        )
    });
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "h") {
            continue;
        }
        let text = fs::read(&path).expect("a header");
        let text = String::from_utf8_lossy(&text);
        let mut word = String::new();
        let mut last = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                last = std::mem::take(&mut word);
            }
            if c == '(' && !last.is_empty() {
                names.insert(std::mem::take(&mut last));
            } else if !c.is_whitespace() {
                last.clear();
            }
        }
    }
    assert!(
        names.contains("event_base_dispatch") && names.contains("evbuffer_add"),
        "libevent's headers were not read"
    );
    names
}

/// The `pub fn`s of every `impl TYPE {` block in the `.rs` files under `dir`, with the file each
/// is in.
fn methods_of(ty: &str, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("the source directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    let opening = format!("impl {ty} {{");
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "sys") {
                methods_of(ty, &path, out);
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = fs::read_to_string(&path).expect("a source file");
        let mut inside = false;
        for line in src.lines() {
            if line.starts_with(&opening) {
                inside = true;
            } else if inside && line.starts_with('}') {
                inside = false;
            } else if let Some(rest) = line.strip_prefix("    pub fn ").filter(|_| inside) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push((name, path.clone()));
            }
        }
    }
}

/// The methods of `ty` that break the rule: neither `receiver_prefix` + name nor (for an object
/// prefix) the name itself is a libevent function, and `additions` does not list it. Also the
/// listed additions that no longer exist, so the list cannot go stale.
fn breaches(
    ty: &str,
    receiver_prefix: &str,
    object_prefixes: &[&str],
    additions: &[(&str, &str)],
) -> Vec<String> {
    let libevent = libevent_functions();
    let mut methods = Vec::new();
    methods_of(ty, &root().join("core/src/ev"), &mut methods);
    assert!(
        methods.len() > 20,
        "found only {} methods of {ty}: has the source moved?",
        methods.len()
    );
    let listed: BTreeSet<&str> = additions.iter().map(|(n, _)| *n).collect();
    let mut bad = Vec::new();
    for (name, file) in &methods {
        let bare = name.strip_suffix('_').filter(|b| KEYWORDS.contains(b));
        let mirrored = libevent.contains(&format!("{receiver_prefix}{}", bare.unwrap_or(name)))
            || (object_prefixes.iter().any(|p| name.starts_with(p)) && libevent.contains(name));
        if mirrored {
            if listed.contains(name.as_str()) {
                bad.push(format!(
                    "{name} is listed as an addition but libevent has it"
                ));
            }
            continue;
        }
        if !listed.contains(name.as_str()) {
            bad.push(format!(
                "{ty}::{name} ({}) has no libevent name: call it as libevent does less \
                 `{receiver_prefix}`, or list it as an addition with its reason",
                file.strip_prefix(root()).unwrap_or(file).display()
            ));
        }
    }
    let present: BTreeSet<&str> = methods.iter().map(|(n, _)| n.as_str()).collect();
    for name in listed {
        if !present.contains(name) {
            bad.push(format!(
                "{name} is listed as an addition of {ty} but does not exist"
            ));
        }
    }
    bad
}

#[test]
fn event_base_methods_are_libevent_names_less_event_base() {
    let bad = breaches("EventBase", "event_base_", OBJECT_PREFIXES, BASE_ADDITIONS);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn event_base_additions_about_an_object_carry_its_prefix() {
    let libevent = libevent_functions();
    for (name, why) in BASE_ADDITIONS {
        let about_object = OBJECT_PREFIXES.iter().any(|p| name.starts_with(p));
        // A short addition must not shadow a libevent call on an object: `add` would read as
        // `event_add` but be something else.
        for p in OBJECT_PREFIXES {
            assert!(
                about_object || !libevent.contains(&format!("{p}{name}")),
                "the addition {name} ({why}) reads as libevent's {p}{name}"
            );
        }
    }
}

#[test]
fn evbuffer_methods_are_libevent_names_less_evbuffer() {
    let bad = breaches("Evbuffer", "evbuffer_", &[], BUFFER_ADDITIONS);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
