//! The same workload on select, poll and epoll: many idle fds and one busy one. The cost of a
//! loop iteration grows with the idle fds on select and poll, and stays flat on epoll.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::{Demo, DemoOptions};
use crate::ev::{self, BackendKind, EventBase, LoopFlags, What};

pub(super) const DEMO: Demo = Demo {
    name: "backends",
    lesson: "15 backends",
    summary: "the per-iteration cost with 25 to 400 idle sockets on select, poll and epoll",
    summary_zh: "在 select、poll 和 epoll 上，空闲套接字从 25 到 400 个时每轮循环的开销",
    setup,
};

const IDLE_STEPS: [usize; 5] = [25, 50, 100, 200, 400];

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    // The base's own workload: idle sockets plus one pinged by a timer.
    let idle = idle_events(base, IDLE_STEPS[0])?;
    let (mut ping, pong) = pair()?;
    let mut pong_reader = pong.try_clone()?;
    let busy = base.labeled("busy fd").event_new(
        pong.as_raw_fd(),
        What::READ | What::PERSIST,
        move |_, _, _| {
            let mut buf = [0u8; 64];
            let _ = pong_reader.read(&mut buf);
        },
    )?;
    base.event_add(busy, None)?;
    let pinger =
        base.labeled("pinger (timer)")
            .event_new(None, What::PERSIST, move |_, _, _| {
                let _ = ping.write(b"!");
            })?;
    base.event_add(pinger, Some(opts.pace(300)))?;

    let mut step = 0;
    let measure =
        base.labeled("measure (timer)")
            .event_new(None, What::PERSIST, move |base, _, _| {
                let _ = (&idle, &pong);
                let n = IDLE_STEPS[step % IDLE_STEPS.len()];
                step += 1;
                let costs: Vec<String> = BackendKind::ALL
                    .into_iter()
                    .map(|kind| match iteration_cost(kind, n, 200) {
                        Ok(cost) => format!("{} {:.1} µs", kind.name(), cost.as_secs_f64() * 1e6),
                        Err(e) => format!("{} failed ({e})", kind.name()),
                    })
                    .collect();
                note!(
                    base,
                    "{n} idle fds, cost per loop iteration: {costs}",
                    "{n} 个空闲 fd，每轮循环的开销：{costs}",
                    costs = costs.join(" ")
                );
            })?;
    base.event_add(measure, Some(opts.pace(2000)))
}

fn pair() -> std::io::Result<(UnixStream, UnixStream)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}

/// `n` sockets with persistent READ events that never fire; the sockets live as long as the
/// returned value.
fn idle_events(base: &mut EventBase, n: usize) -> ev::Result<Vec<(UnixStream, UnixStream)>> {
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b) = pair()?;
        let id = base.event_new(a.as_raw_fd(), What::READ | What::PERSIST, |_, _, _| {})?;
        base.event_add(id, None)?;
        pairs.push((a, b));
    }
    Ok(pairs)
}

/// The mean cost of one loop iteration on `kind` with `idle` idle fds and one ready fd, over
/// `iterations` non-blocking iterations.
pub fn iteration_cost(kind: BackendKind, idle: usize, iterations: u32) -> ev::Result<Duration> {
    let mut base = EventBase::with_backend(kind)?;
    let _idle = idle_events(&mut base, idle)?;
    let (ready, _peer) = pair()?;
    // A connected socket with room to write is always writable: one ready fd per iteration.
    let busy = base.event_new(ready.as_raw_fd(), What::WRITE | What::PERSIST, |_, _, _| {})?;
    base.event_add(busy, None)?;
    let one_pass = LoopFlags::ONCE | LoopFlags::NONBLOCK;
    base.loop_(one_pass)?;
    let start = Instant::now();
    for _ in 0..iterations {
        base.loop_(one_pass)?;
    }
    Ok(start.elapsed() / iterations.max(1))
}
