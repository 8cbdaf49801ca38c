/*
 * Lesson 5 · event_new and its five parameters: base, fd, what, cb, arg.
 * 第 5 课 · event_new 及其五个参数：base、fd、what、cb、arg。
 *
 * The pipe demo's two events: a "fifo reader" on the pipe's read end (an fd, EV_READ|EV_PERSIST)
 * and a writer that is a pure timer (fd -1, EV_PERSIST). Each callback prints the `what` it was
 * called with; the writer stops after three messages and closes the pipe.
 * pipe 演示里的两个事件：管道读端上的读者（有 fd，EV_READ|EV_PERSIST），以及一个纯定时器写者（fd 为 -1，
 * EV_PERSIST）。每个回调函数都打印它被调用时的 what；写者写三条消息后关闭管道。
 *
 *   gcc tutorials/c/05-event-new.c -o 05-event-new -levent
 *   cargo run --release -- run -- ./05-event-new
 *
 * evscope:
 *   peer: none
 *   output: fifo_read: events 0x12 (EV_READ|EV_PERSIST), fd is the pipe's read end: yes
 *   output: writer_timer: events 0x10 (EV_PERSIST), fd -1
 *   output: writer_timer called with what 0x01 (EV_TIMEOUT)
 *   output: fifo_read called with what 0x02 (EV_READ): 9 bytes
 *   output: fifo_read called with what 0x02 (EV_READ): end of file
 *   watch: READ|PERSIST) created by event_new
 *   watch: event 1 "writer_timer" (timer, PERSIST) created by event_new
 *   watch: event 1 "writer_timer" (timer, PERSIST)'s callback runs: TIMEOUT happened
 *   watch: event 1 "writer_timer" (timer, PERSIST) became pending: its callback returned (persistent: it waits again)
 *   watch: event 0 "fifo_read" (fd
 *   watch: READ|PERSIST)'s callback runs: READ happened
 *   watch: READ|PERSIST) became pending: its callback returned (persistent: it waits again)
 *   watch: READ|PERSIST) became non-pending: event_del was called during its callback
 *   watch-count: 3 "writer_timer" (timer, PERSIST)'s callback runs: TIMEOUT happened
 *   watch-count: 4 READ|PERSIST) became active: fd
 *   watch-zh: 事件 1 "writer_timer" (定时器, PERSIST) 的回调函数开始执行：发生了 TIMEOUT
 *   watch-zh: READ|PERSIST) 的回调函数开始执行：发生了 READ
 *   watch-zh: READ|PERSIST) 变为未决 (pending)：回调函数返回（持久事件：继续等待）
 */
#include <event2/event.h>
#include <stdio.h>
#include <unistd.h>

/* arg: what the callbacks share. In Rust the closure would capture it.
 * arg：两个回调函数共享的数据。在 Rust 里由闭包捕获。 */
struct fifo {
    int write_fd;          /* the pipe's write end · 管道的写端 */
    int sent;              /* messages written · 已写的消息数 */
    struct event *reader;  /* the fifo reader's event · 读者的事件 */
    struct event *writer;  /* the writer's timer · 写者的定时器 */
};

/* cb for the reader. fd: the pipe's read end; what: EV_READ (0x02) when it is readable.
 * 读者的回调函数。fd：管道读端；what：可读时是 EV_READ (0x02)。 */
static void fifo_read(evutil_socket_t fd, short what, void *arg)
{
    struct fifo *f = arg;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        printf("fifo_read called with what 0x%02x (%s): %zd bytes: %.*s\n", what,
               (what & EV_READ) ? "EV_READ" : "?", n, (int)n, buf);
    } else {
        printf("fifo_read called with what 0x%02x (%s): end of file\n", what,
               (what & EV_READ) ? "EV_READ" : "?");
        event_del(f->reader); /* without this, EV_PERSIST keeps it pending · 不删除的话，EV_PERSIST 会让它一直未决 */
    }
}

/* cb for the writer. fd: -1 (a pure timer); what: EV_TIMEOUT (0x01).
 * 写者的回调函数。fd：-1（纯定时器）；what：EV_TIMEOUT (0x01)。 */
static void writer_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fifo *f = arg;
    char msg[16];
    (void)fd;
    printf("writer_timer called with what 0x%02x (%s)\n", what,
           (what & EV_TIMEOUT) ? "EV_TIMEOUT" : "?");
    f->sent++;
    int len = snprintf(msg, sizeof msg, "message %d", f->sent);
    if (write(f->write_fd, msg, (size_t)len) != len)
        perror("write");
    if (f->sent == 3) {
        close(f->write_fd);
        event_del(f->writer);
    }
}

int main(void)
{
    struct event_base *base = event_base_new();
    int fds[2];
    if (base == NULL || pipe(fds) != 0) {
        perror("setup");
        return 1;
    }
    evutil_make_socket_nonblocking(fds[0]);
    struct fifo f = { fds[1], 0, NULL, NULL };

    /*                  base  fd      what                 cb           arg */
    f.reader = event_new(base, fds[0], EV_READ | EV_PERSIST, fifo_read, &f);
    f.writer = event_new(base, -1, EV_PERSIST, writer_timer, &f);

    /* event_get_events and event_get_fd read the parameters back.
     * event_get_events 和 event_get_fd 把参数读回来。 */
    printf("fifo_read: events 0x%02x (EV_READ|EV_PERSIST), fd is the pipe's read end: %s\n",
           event_get_events(f.reader), event_get_fd(f.reader) == fds[0] ? "yes" : "no");
    printf("writer_timer: events 0x%02x (EV_PERSIST), fd %d\n", event_get_events(f.writer),
           (int)event_get_fd(f.writer));

    struct timeval interval = { 1, 200000 };
    event_add(f.reader, NULL);       /* no timeout: wait for the fd · 没有超时：等 fd 就绪 */
    event_add(f.writer, &interval);  /* every 1.2 s · 每 1.2 秒 */
    event_base_dispatch(base);

    close(fds[0]);
    event_free(f.reader);
    event_free(f.writer);
    event_base_free(base);
    return 0;
}
