//! [`TraceSpec`]: where a trace goes, as `EVSCOPE_TRACE` says it, so any program built on the
//! library is observable with no code change.
//!
//! - `file:PATH` — JSON Lines to PATH.
//! - `unix:PATH` — live link: connect to a viewer listening on PATH (`evscope run` does this).
//! - `tcp:127.0.0.1:PORT` — live link: listen for a viewer (`evscope attach`); port 0 picks one,
//!   printed on stderr. Loopback only unless `EVSCOPE_TRACE_FORCE_REMOTE=1`. A viewer must show
//!   the link's token: a random one written to a file only this user can read, or the one in
//!   `EVSCOPE_TRACE_TOKEN` (see [`LinkToken`]). Many viewers may follow read-only: they show
//!   the follower token (random too, or `EVSCOPE_TRACE_FOLLOW_TOKEN`).
//!
//! `EVSCOPE_TRACE_LOSSY=1` makes a file recorder drop records (and say how many) rather than
//! ever slow the loop.
//!
//! Every base the process makes is traced, into one trace: the first opens it (its header
//! describes base 0), each later one joins it as base 1, 2, … ([`Recorder::lane`]). The trace
//! ends when the last of them is dropped; a base made after that is not traced. A forked child
//! that calls `event_reinit` goes on in a trace of its own, which the child's later bases join.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use super::link_token::{LinkToken, FOLLOW_TOKEN_ENV};
use super::recorder::{Lanes, Recorder};
use crate::ev::{self, BaseInfo, Observer};

/// Where to send a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceSpec {
    /// A JSON Lines file.
    File(PathBuf),
    /// A viewer listening on a Unix socket.
    Unix(PathBuf),
    /// Listen on TCP for a viewer.
    Tcp(SocketAddr),
}

impl FromStr for TraceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<TraceSpec, String> {
        let bad = |why: &str| {
            format!(
                "EVSCOPE_TRACE={s:?} {why}; expected file:PATH, unix:PATH or tcp:127.0.0.1:PORT"
            )
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| bad("has no scheme"))?;
        if rest.is_empty() {
            return Err(bad("names no path or address"));
        }
        match scheme {
            "file" => Ok(TraceSpec::File(rest.into())),
            "unix" => Ok(TraceSpec::Unix(rest.into())),
            "tcp" => rest
                .parse()
                .map(TraceSpec::Tcp)
                .map_err(|_| bad("is not an IP address and port")),
            _ => Err(bad(&format!("has the unknown scheme {scheme:?}"))),
        }
    }
}

impl fmt::Display for TraceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceSpec::File(p) => write!(f, "file:{}", p.display()),
            TraceSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            TraceSpec::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

impl TraceSpec {
    /// The recorder this spec asks for. `force_remote` allows a non-loopback TCP address.
    pub fn recorder(&self, force_remote: bool) -> std::io::Result<Recorder> {
        self.recorder_with_token(force_remote, None)
    }

    /// [`TraceSpec::recorder`], with the token a TCP link's viewers must show (`None`: a random
    /// one).
    pub fn recorder_with_token(
        &self,
        force_remote: bool,
        token: Option<LinkToken>,
    ) -> std::io::Result<Recorder> {
        self.recorder_with_tokens(force_remote, token, None)
    }

    /// [`TraceSpec::recorder_with_token`], with the follower token of a TCP link too (`None`:
    /// a random one).
    pub fn recorder_with_tokens(
        &self,
        force_remote: bool,
        token: Option<LinkToken>,
        follow: Option<LinkToken>,
    ) -> std::io::Result<Recorder> {
        match self {
            // Streamed to PATH as it is recorded (not renamed into place at the end), so a
            // program killed while its loop sleeps leaves a complete trace behind.
            TraceSpec::File(p) => Recorder::to_file(p),
            TraceSpec::Unix(p) => Recorder::connect_unix(p),
            TraceSpec::Tcp(a) => {
                Recorder::listen_tcp_with_tokens(*a, force_remote, token, follow).map(|(r, _)| r)
            }
        }
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The process's trace, once its first base opened it: (the process it belongs to, how later
/// bases join it).
static PROCESS_TRACE: Mutex<Option<(u32, Lanes)>> = Mutex::new(None);

/// Writes out what every base of the process's trace has handed over so far (for a process
/// about to exit while some of its bases are still running on other threads). Records a base
/// still holds in its batch are written when it is dropped, or at its next wait.
pub fn flush_process_trace() {
    let process = PROCESS_TRACE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((pid, lanes)) = process.as_ref() {
        if *pid == std::process::id() {
            lanes.flush();
        }
    }
}

/// After a fork, `recorder` (the base that called `event_reinit`) is the child's trace: the
/// bases the child makes later join it.
pub(crate) fn adopt_after_fork(recorder: &mut Recorder) {
    let lanes = recorder.lanes(recorder.started());
    *PROCESS_TRACE.lock().unwrap_or_else(PoisonError::into_inner) =
        Some((std::process::id(), lanes));
}

/// The observer `EVSCOPE_TRACE` asks for, for a base the process makes (the first opens the
/// trace, later ones join it); `Ok(None)` when unset or when the trace is already over. A
/// malformed value, or a sink that cannot be opened, is an error.
pub(crate) fn observer_from_env(info: &BaseInfo) -> ev::Result<Option<Box<dyn Observer>>> {
    let value = match std::env::var("EVSCOPE_TRACE") {
        Ok(v) if !v.is_empty() => v,
        Ok(_) | Err(std::env::VarError::NotPresent) => return Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(ev::Error::Invalid(
                "EVSCOPE_TRACE is not valid UTF-8".to_string(),
            ))
        }
    };
    let spec: TraceSpec = value.parse().map_err(ev::Error::Invalid)?;
    let (token, follow) = match spec {
        TraceSpec::Tcp(_) => (
            LinkToken::from_env().map_err(ev::Error::Invalid)?,
            LinkToken::from_var(FOLLOW_TOKEN_ENV).map_err(ev::Error::Invalid)?,
        ),
        _ => (None, None),
    };
    let mut process = PROCESS_TRACE.lock().unwrap_or_else(PoisonError::into_inner);
    match process.as_mut() {
        Some((pid, lanes)) if *pid == std::process::id() => {
            // A later base joins the trace; none once the trace is over.
            return Ok(lanes.next_lane().map(|r| Box::new(r) as Box<dyn Observer>));
        }
        // The parent's trace, in a forked child that has not called event_reinit: the child's
        // own bases are not traced (the parent's file and link stay the parent's).
        Some(_) => return Ok(None),
        None => {}
    }
    let mut recorder = spec
        .recorder_with_tokens(env_flag("EVSCOPE_TRACE_FORCE_REMOTE"), token, follow)
        .map_err(|source| ev::Error::Trace {
            spec: value.clone(),
            source,
        })?
        .lossy(env_flag("EVSCOPE_TRACE_LOSSY"));
    *process = Some((std::process::id(), recorder.lanes(info.started)));
    Ok(Some(Box::new(recorder)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme_and_prints_it_back() {
        for s in [
            "file:/tmp/t.jsonl",
            "unix:/tmp/s.sock",
            "tcp:127.0.0.1:4000",
            "tcp:[::1]:0",
        ] {
            let spec: TraceSpec = s.parse().unwrap();
            assert_eq!(spec.to_string(), s);
        }
        assert_eq!(
            "file:a:b".parse::<TraceSpec>().unwrap(),
            TraceSpec::File("a:b".into())
        );
    }

    #[test]
    fn rejects_malformed_values_with_the_expected_forms() {
        for bad in [
            "",
            "file:",
            "nothing",
            "http:x",
            "tcp:127.0.0.1",
            "tcp:host:1",
        ] {
            let e = bad.parse::<TraceSpec>().unwrap_err();
            assert!(
                e.contains("expected file:PATH, unix:PATH or tcp:127.0.0.1:PORT"),
                "{e}"
            );
        }
    }
}
