//! libevent's event-read-fifo idea: a persistent READ event on a pipe's read end runs each time
//! a writer (here a timer) puts a message in.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;

use super::{Demo, DemoOptions};
use crate::ev::{self, EventBase, What};

pub(super) const DEMO: Demo = Demo {
    name: "pipe",
    lesson: "03/05 the callback model; event_new and its parameters",
    summary: "a READ|PERSIST event on a pipe, fed by a timer that writes a message every 1.2 s",
    summary_zh: "管道读端上的 READ|PERSIST 事件；一个定时器每 1.2 秒往管道里写一条消息",
    setup,
};

fn setup(base: &mut EventBase, opts: &DemoOptions) -> ev::Result<()> {
    let (mut reader, mut writer) = std::io::pipe()?;
    ev::set_nonblocking(reader.as_raw_fd(), true)?;
    let read_fd = reader.as_raw_fd();
    let fifo = base.labeled("fifo reader").event_new(
        read_fd,
        What::READ | What::PERSIST,
        move |base, _, _| {
            let mut buf = [0u8; 512];
            match reader.read(&mut buf) {
                Ok(0) => note!(
                    base,
                    "the writer closed the pipe (EOF)",
                    "写者关闭了管道（EOF）"
                ),
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    // The message is data, not words to translate: quoted in Chinese.
                    note!(
                        base,
                        "read {n} bytes: {text}",
                        "读到 {n} 字节：\"{text}\"",
                        text = text.trim_end()
                    );
                }
                Err(e) => note!(base, "read failed: {e}", "读取失败：{e}"),
            }
        },
    )?;
    base.event_add(fifo, None)?;

    let mut sent = 0u64;
    let feeder =
        base.labeled("writer (timer)")
            .event_new(None, What::PERSIST, move |base, _, _| {
                sent += 1;
                let msg = format!("message {sent}\n");
                match writer.write_all(msg.as_bytes()) {
                    Ok(()) => note!(
                        base,
                        "wrote {len} bytes into the pipe",
                        "向管道写入 {len} 字节",
                        len = msg.len()
                    ),
                    Err(e) => note!(base, "write failed: {e}", "写入失败：{e}"),
                }
            })?;
    base.event_add(feeder, Some(opts.pace(1200)))
}
