//! Labels given to bufferevents and listeners reach the trace: the bufferevent's own record and
//! the internal events' names.

use crate::util;

use evscope::ev::{BevOptions, EventBase, ListenerFlags};
use evscope::trace::{Body, Recorder};
use util::{each_backend, socketpair, TestResult};

fn labels(rx: &std::sync::mpsc::Receiver<evscope::trace::Record>) -> (Vec<String>, Vec<String>) {
    let (mut events, mut bevs) = (Vec::new(), Vec::new());
    for rec in rx.try_iter() {
        match rec.body {
            Body::EventNew { label, .. } => events.push(label),
            Body::BevNew { label, .. } => bevs.push(label),
            _ => {}
        }
    }
    (events, bevs)
}

#[test]
fn labeled_bufferevent_names_itself_and_its_events() {
    each_backend(|kind| -> TestResult {
        let mut base = EventBase::with_backend(kind)?;
        let (rec, rx) = Recorder::to_channel();
        base.set_observer(Box::new(rec));
        let (a, _b) = socketpair()?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&a);
        let named = base.bufferevent_socket_new_labeled(fd, BevOptions::NONE, "read_cb")?;
        let plain = base.bufferevent_socket_new(fd, BevOptions::NONE)?;
        drop(base.take_observer());
        let (events, bevs) = labels(&rx);
        assert_eq!(bevs, vec!["read_cb".to_string(), plain.to_string()]);
        assert!(events.contains(&"read_cb read".to_string()), "{events:?}");
        assert!(events.contains(&"read_cb write".to_string()), "{events:?}");
        assert!(events.contains(&format!("{plain} read")), "{events:?}");
        assert_ne!(named, plain);
        Ok(())
    });
}

#[test]
fn labeled_listener_names_its_accept_event() {
    each_backend(|kind| -> TestResult {
        let mut base = EventBase::with_backend(kind)?;
        let (rec, rx) = Recorder::to_channel();
        base.set_observer(Box::new(rec));
        let addr = "127.0.0.1:0".parse()?;
        let named = base.evconnlistener_new_bind_labeled(
            addr,
            ListenerFlags::NONE,
            -1,
            "listener_cb",
            |_, _, _, _| {},
        )?;
        let plain = base.evconnlistener_new_bind(addr, ListenerFlags::NONE, -1, |_, _, _, _| {})?;
        drop(base.take_observer());
        let (events, _) = labels(&rx);
        assert_eq!(
            events,
            vec!["listener_cb accept".to_string(), format!("{plain} accept")]
        );
        assert_ne!(named, plain);
        Ok(())
    });
}
