//! Watermarks and back-pressure: a fast writer and a slow reader on the two ends of a socket
//! pair. The reader's read high watermark stops reading at 16 KiB, its program takes 4 KiB at a
//! time from a timer, and the bytes back up into the kernel and then into the writer's write
//! buffer. When the burst is over, a write low watermark tells the writer its buffer has
//! drained, everything empties, and after a pause the next burst starts.

use std::cell::RefCell;
use std::os::fd::IntoRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use super::{Demo, DemoOptions};
use crate::ev::{self, BevId, BevOptions, EventBase, EventId, What};

pub(super) const DEMO: Demo = Demo {
    name: "watermark",
    lesson: "17 watermarks",
    summary: "a fast writer and a slow reader: the read high watermark stops reading, the gauges fill and drain",
    summary_zh: "快写者与慢读者：到了读高水位就暂停读取，水位条随之涨落",
    setup,
};

/// The reader's read high watermark.
pub const READ_HIGH: usize = 16 * 1024;
/// What the reader's program takes each time its timer fires.
const CHUNK: usize = 4 * 1024;
/// The writer's write low watermark: its write callback runs at this much output or less.
pub const WRITE_LOW: usize = 4 * 1024;
/// What the writer queues each time its timer fires: eight times what the reader takes.
const PIECE: usize = 32 * 1024;
/// Pieces in one burst (384 KiB, about twice what the kernel holds between the two sockets).
const PIECES: u32 = 12;

/// Byte `i` of the stream: not periodic at any power-of-two distance, so a lost or repeated
/// piece shows.
fn byte_at(i: u64) -> u8 {
    ((i % 251) ^ ((i / 251) % 256)) as u8
}

#[derive(Default)]
struct Flow {
    writer: Option<BevId>,
    reader: Option<BevId>,
    writer_timer: Option<EventId>,
    burst: u32,
    pieces: u32,
    /// Bytes written and bytes received (and checked) since the start.
    sent: u64,
    received: u64,
    /// This burst has already told that the kernel is full / that reading stopped.
    told_full: bool,
    told_stopped: bool,
    /// The burst is over and the next one is not scheduled yet.
    draining: bool,
    failed: bool,
}

type Shared = Rc<RefCell<Flow>>;

#[derive(Clone, Copy)]
struct Pace {
    tick: Duration,
    rest: Duration,
}

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let pace = Pace {
        tick: opts.pace(100),
        rest: opts.pace(2000),
    };
    let (a, b) = UnixStream::pair()?;
    let writer = base.bufferevent_socket_new(a.into_raw_fd(), BevOptions::CLOSE_ON_FREE)?;
    let reader = base.bufferevent_socket_new(b.into_raw_fd(), BevOptions::CLOSE_ON_FREE)?;
    let flow: Shared = Rc::new(RefCell::new(Flow {
        writer: Some(writer),
        reader: Some(reader),
        ..Flow::default()
    }));

    // The reader stops reading the socket when its read buffer holds READ_HIGH bytes. It has
    // no read callback: its program takes the data at its own pace, from a timer.
    base.bufferevent_setwatermark(reader, What::READ, 0, READ_HIGH)?;
    base.bufferevent_enable(reader, What::READ)?;
    let f = flow.clone();
    let consumer = base.labeled("slow reader takes 4 KiB (timer)").event_new(
        None,
        What::PERSIST,
        move |base, _, _| consume(base, &f, pace),
    )?;
    base.event_add(consumer, Some(pace.tick))?;

    // The writer's write callback (set when a burst ends) runs once its output has drained
    // to WRITE_LOW bytes.
    base.bufferevent_setwatermark(writer, What::WRITE, WRITE_LOW, 0)?;
    let f = flow.clone();
    let timer = base.labeled("fast writer sends 32 KiB (timer)").event_new(
        None,
        What::PERSIST,
        move |base, id, _| produce(base, id, &f),
    )?;
    flow.borrow_mut().writer_timer = Some(timer);
    note!(
        base,
        "the writer is {writer}, the reader {reader}, the two ends of a socket pair; the reader's read high watermark is {READ_HIGH} B, the writer's write low watermark {WRITE_LOW} B",
        "写者是 {writer}，读者是 {reader}，一对套接字的两端；读者的读高水位是 {READ_HIGH} 字节，写者的写低水位是 {WRITE_LOW} 字节"
    );
    start_burst(base, &flow, pace)
}

/// A burst: PIECE bytes every tick, PIECES times.
fn start_burst(base: &mut EventBase, flow: &Shared, pace: Pace) -> ev::Result<()> {
    let (n, timer) = {
        let mut f = flow.borrow_mut();
        f.burst += 1;
        f.pieces = 0;
        f.told_full = false;
        f.told_stopped = false;
        f.draining = false;
        (f.burst, f.writer_timer)
    };
    note!(
        base,
        "burst {n}: the writer queues {piece} KiB every tick, {PIECES} times; the reader takes {chunk} KiB every tick. The writer's write event goes pending, runs (active → callback) each time the socket has room, sending up to 16 KiB, and goes non-pending once the write buffer is empty",
        "第 {n} 批：写者每拍排入 {piece} KiB，共 {PIECES} 次；读者每拍取走 {chunk} KiB。写者的写事件变为未决，每当套接字有空间就运行一次（激活 → 回调执行中），每次最多发送 16 KiB，输出缓冲区空了就变为非未决",
        piece = PIECE / 1024,
        chunk = CHUNK / 1024
    );
    match timer {
        Some(timer) => base.event_add(timer, Some(pace.tick)),
        None => Ok(()),
    }
}

/// The writer's timer: one more piece into the write buffer, which its write event sends.
fn produce(base: &mut EventBase, timer: EventId, flow: &Shared) {
    let (writer, start) = {
        let f = flow.borrow();
        (f.writer, f.sent)
    };
    let Some(writer) = writer else {
        return;
    };
    // Bytes of earlier pieces still waiting a tick later: the socket had no room for them.
    let waiting = base.bufferevent_levels(writer).map_or(0, |l| l.output);
    let piece: Vec<u8> = (start..start + PIECE as u64).map(byte_at).collect();
    if let Err(e) = base.bufferevent_write(writer, &piece) {
        note!(
            base,
            "writer: bufferevent_write failed: {e}",
            "写者：bufferevent_write 失败：{e}"
        );
        let _ = base.event_del(timer);
        return;
    }
    let output = base.bufferevent_levels(writer).map_or(0, |l| l.output);
    let (done, tell_full) = {
        let mut f = flow.borrow_mut();
        f.sent += PIECE as u64;
        f.pieces += 1;
        let tell_full = waiting > 0 && !f.told_full;
        f.told_full |= tell_full;
        (f.pieces >= PIECES, tell_full)
    };
    if tell_full {
        note!(
            base,
            "writer: the kernel takes no more: {waiting} B of earlier pieces are still in its write buffer; {writer} write stays pending, waiting for room",
            "写者：内核暂时不收了：之前排入的 {waiting} 字节还在它的输出缓冲区里；{writer} write 保持未决，等待空间"
        );
    }
    if !done {
        return;
    }
    let _ = base.event_del(timer);
    flow.borrow_mut().draining = true;
    // bufferevent_write only queues: the piece just written is still in the write buffer, above
    // the write low watermark, so the write callback will run once the write event drains it.
    note!(
        base,
        "writer: burst queued and the writer stops; its write buffer holds {output} B. Its write callback will say when that has drained to {WRITE_LOW} B",
        "写者：这一批已全部排入，写者停下；它的输出缓冲区有 {output} 字节。降到 {WRITE_LOW} 字节时，它的写回调会告诉我们"
    );
    let set = base.bufferevent_setcb(
        writer,
        None,
        Some(Box::new(move |base: &mut EventBase, bev: BevId| {
            let left = base.bufferevent_levels(bev).map_or(0, |l| l.output);
            note!(
                base,
                "writer: write callback: its write buffer has drained to {left} B (write low watermark {WRITE_LOW} B); the rest is in the kernel and the reader",
                "写者：写回调：它的输出缓冲区已降到 {left} 字节（写低水位 {WRITE_LOW} 字节）；其余的在内核和读者那里"
            );
            // Told once per burst: the callback removes itself.
            let _ = base.bufferevent_setcb(bev, None, None, None);
        })),
        None,
    );
    if let Err(e) = set {
        note!(
            base,
            "writer: bufferevent_setcb failed: {e}",
            "写者：bufferevent_setcb 失败：{e}"
        );
    }
}

/// The reader's timer: take one chunk, check it, and see whether everything has arrived.
fn consume(base: &mut EventBase, flow: &Shared, pace: Pace) {
    let Some(reader) = flow.borrow().reader else {
        return;
    };
    let before = base.bufferevent_levels(reader).map_or(0, |l| l.input);
    let stopped = before >= READ_HIGH as u64;
    let mut chunk = [0u8; CHUNK];
    let n = base.bufferevent_read(reader, &mut chunk).unwrap_or(0);
    let mut f = flow.borrow_mut();
    if f.failed {
        return;
    }
    if let Some(bad) = (0..n).find(|&i| chunk[i] != byte_at(f.received + i as u64)) {
        f.failed = true;
        let at = f.received + bad as u64;
        drop(f);
        note!(
            base,
            "error: reader: byte {at} is {got}, but the writer sent {sent}",
            "错误：读者：第 {at} 字节是 {got}，但写者发的是 {sent}",
            got = chunk[bad],
            sent = byte_at(at)
        );
        return;
    }
    f.received += n as u64;
    if stopped && !f.told_stopped {
        f.told_stopped = true;
        note!(
            base,
            "reader: its read buffer held {before} B, the high watermark, so the bufferevent had deleted {reader} read (non-pending) and stopped reading the socket; taking {n} B adds it again (pending), and it reads up to the mark",
            "读者：它的输入缓冲区有 {before} 字节，到了读高水位，所以 bufferevent 已删除 {reader} read（非未决），不再读套接字；取走 {n} 字节后又把它加回来（未决），它再读到水位为止"
        );
    }
    if f.draining && f.received == f.sent && n > 0 {
        let (burst, total) = (f.burst, f.received);
        f.draining = false;
        drop(f);
        note!(
            base,
            "burst {burst} drained: the reader has every byte, {total} B so far, in order; write buffer, kernel and read buffer are empty",
            "第 {burst} 批已排空：读者按顺序收到了每一个字节，至今共 {total} 字节；输出缓冲区、内核和输入缓冲区都空了"
        );
        let next = flow.clone();
        let later = base.once(None, What::TIMEOUT, Some(pace.rest), move |base, _| {
            if let Err(e) = start_burst(base, &next, pace) {
                note!(
                    base,
                    "cannot start the next burst: {e}",
                    "无法开始下一批：{e}"
                );
            }
        });
        if let Err(e) = later {
            note!(
                base,
                "cannot schedule the next burst: {e}",
                "无法安排下一批：{e}"
            );
        }
    }
}
