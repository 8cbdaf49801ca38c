//! The course's echo server with counters (connections accepted, ends by EOF and by error, the
//! most bytes buffered), and optionally back-pressure by watermarks: stop reading a client
//! whose output holds `high` bytes, read again once it drains to `low`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;

use evscope::ev::{BevEvents, BevId, BevOptions, EventBase, ListenerFlags, ListenerId, What};

/// What the server saw.
#[derive(Debug, Default)]
pub struct EchoStats {
    pub accepted: usize,
    pub eofs: usize,
    /// The errno of each connection that ended with BEV_EVENT_ERROR.
    pub errors: Vec<i32>,
    /// The most bytes one connection held after its read callback moved input to output.
    pub max_per_conn: usize,
    /// The most bytes all connections held together.
    pub max_total: usize,
    held: HashMap<BevId, usize>,
    total: usize,
}

impl EchoStats {
    fn hold(&mut self, bev: BevId, bytes: usize) {
        let old = self.held.insert(bev, bytes).unwrap_or(0);
        self.total = self.total + bytes - old;
        self.max_per_conn = self.max_per_conn.max(bytes);
        self.max_total = self.max_total.max(self.total);
    }

    fn forget(&mut self, bev: BevId) {
        if let Some(old) = self.held.remove(&bev) {
            self.total -= old;
        }
    }
}

/// Back-pressure settings: the output level that stops reading, the level that resumes it, and
/// the read high watermark (the most one read callback sees). The accepted sockets' kernel
/// send buffers are set to `low` bytes.
#[derive(Clone, Copy, Debug)]
pub struct Backpressure {
    pub high: usize,
    pub low: usize,
    pub read_high: usize,
}

pub type Stats = Rc<RefCell<EchoStats>>;

/// Binds the counting echo server on `addr`.
pub fn counting_echo_server(
    base: &mut EventBase,
    addr: SocketAddr,
    bp: Option<Backpressure>,
) -> evscope::ev::Result<(ListenerId, Stats)> {
    let stats: Stats = Rc::default();
    let s = stats.clone();
    let lev = base.evconnlistener_new_bind(
        addr,
        ListenerFlags::REUSEABLE | ListenerFlags::CLOSE_ON_FREE,
        1024,
        move |base, _lev, sock, _peer| {
            s.borrow_mut().accepted += 1;
            if let Some(bp) = bp {
                // A fixed, small send buffer: the kernel cannot soak up megabytes for a slow
                // reader, so the user-space buffers are what back-pressure has to bound.
                let _ = socket2::SockRef::from(&sock).set_send_buffer_size(bp.low);
            }
            let fd = std::os::fd::IntoRawFd::into_raw_fd(sock);
            let Ok(bev) = base.bufferevent_socket_new(fd, BevOptions::CLOSE_ON_FREE) else {
                return;
            };
            if let Some(bp) = bp {
                let _ = base.bufferevent_setwatermark(bev, What::READ, 0, bp.read_high);
                let _ = base.bufferevent_setwatermark(bev, What::WRITE, bp.low, 0);
            }
            let (rs, es) = (s.clone(), s.clone());
            let _ = base.bufferevent_setcb(
                bev,
                Some(Box::new(move |base, bev| {
                    let out = match base.bufferevent_buffers(bev) {
                        Ok(mut bufs) => {
                            let (input, output) = bufs.split();
                            output.add_buffer(input);
                            // Counted before the guard's drop writes what the socket takes.
                            rs.borrow_mut().hold(bev, output.len());
                            output.len()
                        }
                        Err(_) => return,
                    };
                    if bp.is_some_and(|bp| out >= bp.high) {
                        let _ = base.bufferevent_disable(bev, What::READ);
                    }
                })),
                bp.map(|_| -> evscope::ev::BevDataCb {
                    Box::new(|base: &mut EventBase, bev| {
                        // Drained to the low watermark: take input again.
                        let _ = base.bufferevent_enable(bev, What::READ);
                    })
                }),
                Some(Box::new(move |base, bev, events| {
                    es.borrow_mut().forget(bev);
                    if events.contains(BevEvents::EOF) {
                        es.borrow_mut().eofs += 1;
                        let _ = base.bufferevent_close_after_flush(bev);
                    } else {
                        let errno = base
                            .bufferevent_get_error(bev)
                            .ok()
                            .flatten()
                            .and_then(|e| e.raw_os_error())
                            .unwrap_or(0);
                        es.borrow_mut().errors.push(errno);
                        let _ = base.bufferevent_free(bev);
                    }
                })),
            );
            if base.bufferevent_enable(bev, What::READ).is_err() {
                let _ = base.bufferevent_free(bev);
            }
        },
    )?;
    Ok((lev, stats))
}

/// Runs the loop in 10 ms slices until `done()` or `limit` passes; an error on the latter.
pub fn run_while(
    base: &mut EventBase,
    limit: std::time::Duration,
    mut done: impl FnMut(&mut EventBase) -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let deadline = std::time::Instant::now() + limit;
    while !done(base) {
        if std::time::Instant::now() > deadline {
            return Err(format!("gave up after {limit:?}").into());
        }
        base.loopexit(Some(std::time::Duration::from_millis(10)));
        base.dispatch()?;
    }
    Ok(())
}
