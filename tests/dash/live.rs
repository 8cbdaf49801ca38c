//! Live feeds: a real loop in this process under the recorder's step gate, and the live link
//! over real Unix sockets (hand-written lines, and a real program), with controls going back.

use crate::util;
use crate::util::dash as dash_util;
use crate::util::trace as trace_util;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use evscope::dash::feed::{Feed, LiveItem};
use evscope::ev::{BackendKind, EventBase, What};
use evscope::trace::{Control, LinkClient, Record, Recorder, Status, Stream, ViewerListener};
use util::{each_backend, TestResult};

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The next item within `wait`.
fn next(rt: &tokio::runtime::Runtime, feed: &mut Feed, wait: Duration) -> Option<LiveItem> {
    rt.block_on(async { tokio::time::timeout(wait, feed.recv()).await.ok().flatten() })
}

/// A loop on its own thread (an `EventBase` is not `Send`: it is made there) whose persistent
/// timer ticks three times and then frees itself, recorded into an in-process feed.
fn ticking_loop(
    kind: BackendKind,
    step: bool,
) -> (Feed, std::sync::mpsc::Receiver<Result<u64, String>>) {
    let (recorder, messages) = Recorder::to_messages();
    let (feed, gate) = Feed::in_process("test loop", messages, step);
    let recorder = recorder.with_gate(gate).program("test loop");
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let run = || -> Result<u64, evscope::ev::Error> {
            let mut base = EventBase::with_backend(kind)?;
            base.set_observer(Box::new(recorder));
            let mut ticks = 0u64;
            let t = base
                .labeled("tick")
                .event_new(None, What::PERSIST, move |base, id, _| {
                    ticks += 1;
                    if ticks == 3 {
                        base.event_free(id).ok();
                    }
                })?;
            base.event_add(t, Some(Duration::from_millis(1)))?;
            base.dispatch()?;
            Ok(base.iteration())
        };
        let _ = done_tx.send(run().map_err(|e| e.to_string()));
    });
    (feed, done)
}

#[test]
fn a_real_loop_in_process_is_held_stepped_and_released_through_its_gate() {
    each_backend(|kind| {
        let rt = runtime()?;
        let (mut feed, done) = ticking_loop(kind, true);
        // The header comes when the recorder is installed; event_new is held.
        let first = next(&rt, &mut feed, Duration::from_secs(5));
        assert!(
            matches!(&first, Some(LiveItem::Header(h)) if h.program == "test loop"),
            "{first:?}"
        );
        assert_eq!(next(&rt, &mut feed, Duration::from_millis(300)), None);
        assert_eq!(feed.controls.send(&Control::Step { n: 1 })?, None);
        let one = next(&rt, &mut feed, Duration::from_secs(5));
        assert!(
            matches!(one, Some(LiveItem::Record(Record { seq: 1, .. }))),
            "{one:?}"
        );
        assert_eq!(
            next(&rt, &mut feed, Duration::from_millis(200)),
            None,
            "one step, one record"
        );
        assert_eq!(
            feed.controls.send(&Control::Continue)?,
            Some(Status::Running),
            "the gate answers at once"
        );
        let mut last = 1;
        loop {
            match next(&rt, &mut feed, Duration::from_secs(5)) {
                Some(LiveItem::Record(r)) => {
                    assert_eq!(r.seq, last + 1);
                    last = r.seq;
                }
                Some(LiveItem::Ended(None)) => break,
                other => return Err(format!("after record {last}: {other:?}").into()),
            }
        }
        // event_new, add, then 3 × (active, callback, pending/freed) and the loop's phases.
        assert!(last >= 11, "the loop ran free: {last} records");
        let iterations = done.recv_timeout(Duration::from_secs(5))??;
        assert!(iterations >= 3);
        Ok(())
    });
}

#[test]
fn releasing_the_controls_of_a_paused_loop_lets_it_run_to_its_end() {
    each_backend(|kind| {
        let rt = runtime()?;
        let (mut feed, done) = ticking_loop(kind, true);
        assert!(matches!(
            next(&rt, &mut feed, Duration::from_secs(5)),
            Some(LiveItem::Header(_))
        ));
        assert_eq!(next(&rt, &mut feed, Duration::from_millis(200)), None);
        assert!(done.try_recv().is_err(), "held: the loop has not finished");
        // What the dashboard does when the user quits.
        feed.controls.release();
        let iterations = done.recv_timeout(Duration::from_secs(10))??;
        assert!(iterations >= 3, "the loop ran on after the viewer left");
        Ok(())
    });
}

#[test]
fn the_link_feed_reads_records_and_statuses_and_writes_controls_as_lines() -> TestResult {
    let (program, viewer) = UnixStream::pair()?;
    let fixture = dash_util::fixture()?;
    let header = fixture.header().clone();
    let records: Vec<Record> = fixture.range(0..5).map(|r| r.clone()).collect();
    let program = std::thread::spawn(move || -> std::io::Result<String> {
        let mut s = program;
        writeln!(s, "{}", serde_json::to_string(&header)?)?;
        for r in &records {
            writeln!(s, "{}", serde_json::to_string(r)?)?;
        }
        writeln!(
            s,
            "{{\"status\":\"paused\",\"reason\":\"breakpoint\",\"ev\":1}}"
        )?;
        let mut line = String::new();
        BufReader::new(&s).read_line(&mut line)?;
        Ok(line)
    });
    let mut feed = Feed::link("pair", LinkClient::new(Stream::Unix(viewer))?);
    assert_eq!(feed.source, "pair");
    let rt = runtime()?;
    let wait = Duration::from_secs(5);
    let first = next(&rt, &mut feed, wait);
    assert!(
        matches!(&first, Some(LiveItem::Header(h)) if h.backend == "epoll"),
        "{first:?}"
    );
    for seq in 1..=5 {
        let item = next(&rt, &mut feed, wait);
        assert!(
            matches!(&item, Some(LiveItem::Record(r)) if r.seq == seq),
            "{item:?}"
        );
    }
    assert_eq!(
        next(&rt, &mut feed, wait),
        Some(LiveItem::Status(Status::Paused {
            reason: "breakpoint".into(),
            ev: Some(1)
        }))
    );
    assert_eq!(feed.controls.send(&Control::Step { n: 1 })?, None);
    assert_eq!(next(&rt, &mut feed, wait), Some(LiveItem::Ended(None)));
    let line = program.join().map_err(|_| "program thread panicked")??;
    assert_eq!(line.trim_end(), "{\"cmd\":\"step\",\"n\":1}");
    Ok(())
}

#[test]
fn a_bad_line_on_the_link_ends_the_feed_with_its_line_number() -> TestResult {
    let (a, b) = UnixStream::pair()?;
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut a = a;
        writeln!(
            a,
            "{{\"format\":\"evscope-trace\",\"version\":1,\"backend\":\"poll\"}}"
        )?;
        writeln!(a, "{{\"seq\":1,\"t_us\":0,\"kind\":\"nonsense\"}}")?;
        Ok(())
    });
    let mut feed = Feed::link("pair", LinkClient::new(Stream::Unix(b))?);
    let rt = runtime()?;
    let wait = Duration::from_secs(5);
    assert!(matches!(
        next(&rt, &mut feed, wait),
        Some(LiveItem::Header(_))
    ));
    let end = next(&rt, &mut feed, wait);
    assert!(
        matches!(&end, Some(LiveItem::Ended(Some(why))) if why.contains("line 2") && why.contains("nonsense")),
        "{end:?}"
    );
    writer.join().map_err(|_| "writer panicked")??;
    Ok(())
}

#[test]
fn a_real_program_paused_over_the_link_runs_on_when_the_viewer_leaves() -> TestResult {
    let ticker = trace_util::example("ticker")?;
    let listener = ViewerListener::bind_private()?;
    let mut child = Command::new(ticker)
        .env("EVSCOPE_TRACE", listener.trace_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let start = Instant::now();
    let stream = listener
        .accept_while(|| start.elapsed() < Duration::from_secs(20))?
        .ok_or("the program never connected")?;
    let mut feed = Feed::link("ticker", LinkClient::new(stream)?);
    // The dashboard's first control: start paused (the program applies its first control
    // before its first record, and answers it with nothing: the viewer chose it).
    feed.controls.send(&Control::Pause)?;
    let rt = runtime()?;
    let wait = Duration::from_secs(5);
    let mut seen = Vec::new();
    while let Some(item) = next(&rt, &mut feed, Duration::from_millis(300)) {
        seen.push(item);
    }
    assert!(
        matches!(seen.first(), Some(LiveItem::Header(_))),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|i| matches!(i, LiveItem::Record(_))),
        "paused before the first record: {seen:?}"
    );
    for seq in 1..=3 {
        feed.controls.send(&Control::Step { n: 1 })?;
        let item = next(&rt, &mut feed, wait);
        assert!(
            matches!(&item, Some(LiveItem::Record(r)) if r.seq == seq),
            "step {seq}: {item:?}"
        );
        assert_eq!(next(&rt, &mut feed, Duration::from_millis(150)), None);
    }
    assert_eq!(
        child.try_wait()?,
        None,
        "held: the program has not finished"
    );
    // What the dashboard does when the user quits: the program must finish on its own.
    feed.controls.release();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() > deadline {
            child.kill()?;
            return Err("the program stayed stuck after the viewer left".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().ok_or("stdout")?, &mut out)?;
    assert!(out.contains("ticker: read 35 bytes in 5 ticks"), "{out}");
    Ok(())
}

/// Feeds a live dashboard from `feed` until `done` says stop (or fails after 10 s); the session
/// is made from the header.
fn pump(
    rt: &tokio::runtime::Runtime,
    feed: &mut Feed,
    s: &mut Option<evscope::dash::model::Session>,
    ui: &mut evscope::dash::ui::Ui,
    done: &dyn Fn(&LiveItem) -> bool,
) -> Result<(), String> {
    use evscope::dash::msg::Msg;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let item = next(rt, feed, left).ok_or("the feed went quiet")?;
        let stop = done(&item);
        match (&item, s.as_mut()) {
            (LiveItem::Header(h), None) => {
                let timeline = evscope::dash::model::Timeline::new(h.clone());
                *s = Some(evscope::dash::model::Session::new(timeline));
            }
            (_, Some(s)) => {
                evscope::dash::update::update(s, ui, Msg::Live(item));
            }
            (other, None) => return Err(format!("before the header: {other:?}")),
        }
        if stop {
            return Ok(());
        }
    }
}

#[test]
fn a_followers_pause_is_refused_in_its_footer_and_it_steps_back_on_its_own() -> TestResult {
    use evscope::dash::model::Session;
    use evscope::dash::msg::{Cmd, Msg};
    use evscope::dash::ui::{Mode, Ui};
    use evscope::dash::update::update;
    use evscope::dash::Lang;
    use evscope::trace::{LinkMsg, LinkToken};

    let (owner_token, follow_token) = (LinkToken::random()?, LinkToken::random()?);
    let program =
        crate::util::TickingProgram::start(&owner_token, &follow_token, Duration::from_millis(2))?;
    let addr = program.addr;
    // The owner is there first (and says nothing); the dashboard follows.
    let mut owner = LinkClient::attach_with_token(addr, false, &owner_token)?;
    assert!(matches!(owner.recv()?, Some(LinkMsg::Header(_))));
    let client = LinkClient::attach_with_token(addr, false, &follow_token)?;
    let mut feed = Feed::link("attach --follow", client);
    let rt = runtime()?;
    let mut s: Option<Session> = None;
    let mut ui = Ui::new(Mode::Live, "attach --follow", Lang::En);
    pump(
        &rt,
        &mut feed,
        &mut s,
        &mut ui,
        &|i| matches!(i, LiveItem::Record(r) if r.seq >= 20),
    )?;
    let session = s.as_mut().ok_or("no header")?;

    // Space asks to pause; the program refuses, and the footer says why.
    let cmds = update(session, &mut ui, Msg::PlayPause);
    assert_eq!(cmds, vec![Cmd::Gate(Control::Pause)]);
    feed.controls.send(&Control::Pause)?;
    pump(&rt, &mut feed, &mut s, &mut ui, &|i| {
        matches!(i, LiveItem::Status(Status::Error { .. }))
    })?;
    pump(&rt, &mut feed, &mut s, &mut ui, &|i| {
        matches!(i, LiveItem::Status(_))
    })?;
    let session = s.as_mut().ok_or("no header")?;
    assert_eq!(
        ui.mode_word(),
        "LIVE",
        "the follower's view shows the loop running"
    );
    let screen = dash_util::text(&dash_util::draw(160, 40, session, &ui, |a, b, c| {
        evscope::dash::view::render(a, b, c)
    }));
    let footer = screen.lines().last().unwrap_or_default();
    assert!(
        footer.contains("pause refused") && footer.contains("read-only"),
        "{screen}"
    );
    // The program ran on.
    program.runs_on()?;

    // Stepping back is the follower's own: its cursor stays while records come on.
    update(session, &mut ui, Msg::Back);
    let here = session.pos();
    let len = session.timeline().len();
    pump(
        &rt,
        &mut feed,
        &mut s,
        &mut ui,
        &|i| matches!(i, LiveItem::Record(r) if r.seq as usize > len + 10),
    )?;
    let session = s.as_ref().ok_or("no header")?;
    assert_eq!(
        session.pos(),
        here,
        "the cursor stays where the follower looks"
    );
    assert!(session.timeline().len() > len + 10);
    feed.controls.release();
    owner.sender().close();
    Ok(())
}
