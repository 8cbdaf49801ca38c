//! Live feeds: the in-process channel driven by a real EventBase on its own thread, and the
//! socket link over a real Unix socket, with controls going back through the gate.

#[path = "util/dash.rs"]
mod dash_util;
mod util;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::time::Duration;

use evscope::dash::feed::{self, Control, Feed, LiveItem};
use evscope::ev::{EventBase, EventId, Observer, State, What};
use evscope::trace::{Body, Header, Record};
use tokio::sync::mpsc;
use util::TestResult;

/// Sends records and holds the loop while paused; like the link, it starts held until the
/// viewer's first control (a minimal step gate for the test: the real one is the trace layer's).
struct GateObserver {
    items: mpsc::Sender<LiveItem>,
    controls: mpsc::UnboundedReceiver<Control>,
    held: bool,
    seq: u64,
}

impl GateObserver {
    fn emit(&mut self, body: Body) {
        while let Ok(c) = self.controls.try_recv() {
            self.apply(c);
        }
        while self.held {
            match self.controls.blocking_recv() {
                Some(Control::Step) => break,
                Some(c) => self.apply(c),
                None => self.held = false, // the dashboard is gone: run on
            }
        }
        self.seq += 1;
        let r = Record {
            seq: self.seq,
            t_us: self.seq,
            body,
        };
        let _ = self.items.blocking_send(LiveItem::Record(r));
    }
    fn apply(&mut self, c: Control) {
        match c {
            Control::Pause => self.held = true,
            Control::Continue => self.held = false,
            _ => {}
        }
    }
}

impl Observer for GateObserver {
    fn event_new(&mut self, ev: EventId, fd: Option<i32>, what: What, label: &str) {
        self.emit(Body::EventNew {
            ev: ev.trace_id(),
            fd,
            what,
            label: label.into(),
        });
    }
    fn transition(
        &mut self,
        ev: EventId,
        fd: Option<i32>,
        from: State,
        to: State,
        c: evscope::ev::Cause,
    ) {
        self.emit(Body::Transition {
            ev: ev.trace_id(),
            fd,
            from,
            to,
            cause: c.as_str().into(),
        });
    }
}

async fn next(rx: &mut mpsc::Receiver<LiveItem>, wait: Duration) -> Option<LiveItem> {
    tokio::time::timeout(wait, rx.recv()).await.ok().flatten()
}

#[test]
fn a_real_loop_is_held_stepped_and_released_through_the_channel_feed() -> TestResult {
    let (feed, peer) = feed::channel("test loop", 16);
    let loop_thread = std::thread::spawn(move || -> Result<u64, evscope::ev::Error> {
        let mut base = EventBase::new()?;
        let (items, controls) = (peer.items, peer.controls);
        let _ = items.blocking_send(LiveItem::Header(Header::new(base.method(), "test loop")));
        base.set_observer(Box::new(GateObserver {
            items,
            controls,
            held: true,
            seq: 0,
        }));
        let mut ticks = 0u64;
        let t = base.event_new_labeled(None, What::PERSIST, "tick", move |base, id, _| {
            ticks += 1;
            if ticks == 3 {
                base.free(id).ok();
            }
        })?;
        base.add(t, Some(Duration::from_millis(1)))?;
        base.dispatch()?;
        Ok(base.iteration())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (mut rx, mut gate) = Box::new(feed).start()?;
        gate.send(Control::Pause)?;
        let mut got = Vec::new();
        // The header was sent before the observer was installed; event_new is held.
        while let Some(item) = next(&mut rx, Duration::from_millis(300)).await {
            got.push(item);
        }
        assert!(matches!(got.as_slice(), [LiveItem::Header(_)]), "{got:?}");
        gate.send(Control::Step)?;
        let one = next(&mut rx, Duration::from_secs(5)).await;
        assert!(
            matches!(one, Some(LiveItem::Record(Record { seq: 1, .. }))),
            "{one:?}"
        );
        assert!(
            next(&mut rx, Duration::from_millis(200)).await.is_none(),
            "one step, one record"
        );
        gate.send(Control::Continue)?;
        let mut last = 1;
        while let Some(item) = next(&mut rx, Duration::from_secs(5)).await {
            if let LiveItem::Record(r) = item {
                assert_eq!(r.seq, last + 1);
                last = r.seq;
            }
        }
        // event_new, add, then 3 × (active, callback, pending/freed).
        assert!(last >= 11, "the loop ran free: {last} records");
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let iterations = loop_thread.join().map_err(|_| "loop thread panicked")??;
    assert!(iterations >= 3);
    Ok(())
}

#[test]
fn the_socket_feed_reads_records_and_writes_controls_as_lines() -> TestResult {
    let dir = std::env::temp_dir().join(format!("evscope-dash-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("link.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    let fixture = dash_util::fixture()?;
    let header = fixture.header().clone();
    let records: Vec<Record> = fixture.records()[..5].to_vec();
    let program = std::thread::spawn(move || -> std::io::Result<String> {
        let (mut s, _) = listener.accept()?;
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
    let feed = feed::connect(&format!("unix:{}", path.display()))?;
    assert_eq!(feed.source(), format!("unix:{}", path.display()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (mut rx, mut gate) = Box::new(feed).start()?;
        let wait = Duration::from_secs(5);
        assert!(
            matches!(next(&mut rx, wait).await, Some(LiveItem::Header(h)) if h.backend == "epoll")
        );
        for seq in 1..=5 {
            let item = next(&mut rx, wait).await;
            assert!(
                matches!(&item, Some(LiveItem::Record(r)) if r.seq == seq),
                "{item:?}"
            );
        }
        assert_eq!(next(&mut rx, wait).await, Some(LiveItem::Held(true)));
        gate.send(Control::Step)?;
        assert_eq!(next(&mut rx, wait).await, Some(LiveItem::Ended(None)));
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let line = program.join().map_err(|_| "program thread panicked")??;
    assert_eq!(line.trim_end(), "{\"cmd\":\"step\",\"n\":1}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn a_bad_line_on_the_link_ends_the_feed_with_its_line_number() -> TestResult {
    let (a, b) = std::os::unix::net::UnixStream::pair()?;
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut a = a;
        writeln!(
            a,
            "{{\"format\":\"evscope-trace\",\"version\":1,\"backend\":\"poll\"}}"
        )?;
        writeln!(a, "{{\"seq\":1,\"t_us\":0,\"kind\":\"nonsense\"}}")?;
        Ok(())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (mut rx, _gate) = Box::new(feed::SocketFeed::from_unix(b)).start()?;
        let wait = Duration::from_secs(5);
        assert!(matches!(next(&mut rx, wait).await, Some(LiveItem::Header(_))));
        let end = next(&mut rx, wait).await;
        assert!(
            matches!(&end, Some(LiveItem::Ended(Some(why))) if why.contains("line 2") && why.contains("nonsense")),
            "{end:?}"
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    writer.join().map_err(|_| "writer panicked")??;
    Ok(())
}

#[test]
fn tcp_links_off_loopback_are_refused_before_connecting() {
    let err = feed::connect("tcp:192.0.2.1:9")
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("not a loopback")),
        "{err:?}"
    );
    let err = feed::connect("bogus").err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("unix:PATH")),
        "{err:?}"
    );
}
