/*
 * Lesson 3 · The callback model: nothing in main reads; the loop calls the reader when the pipe
 * has data.
 * 第 3 课 · 回调驱动的异步模型：main 里没有任何读操作；管道里有数据时，事件循环调用读者的回调函数。
 *
 * libevent's event-read-fifo sample, with an end: a timer writes a message into a pipe every
 * 1.2 s, three times, then closes the pipe; the reader's callback reads each message and frees
 * its own event at end of file.
 * libevent 的 event-read-fifo 示例，加上了结束条件：定时器每 1.2 秒向管道写一条消息，写三次后关闭管道；
 * 读者的回调函数读出每一条消息，读到文件结束时释放它自己的事件。
 *
 *   gcc tutorials/c/03-callbacks.c -o 03-callbacks -levent
 *   cargo run --release -- run -- ./03-callbacks
 *
 * evscope:
 *   peer: none
 *   output: read 9 bytes: message 3
 *   output: the writer closed the pipe
 *   watch: READ|PERSIST) became pending: event_add was called
 *   watch: event 1 "on_timer_write" (timer, PERSIST) became pending: event_add was called
 *   watch: event 1 "on_timer_write" (timer, PERSIST) became active: its timeout expired
 *   watch: event 1 "on_timer_write" (timer, PERSIST) became pending: its callback returned
 *   watch: epoll returned: 1 fd ready
 *   watch: event 0 "on_readable" (fd
 *   watch: READ|PERSIST)'s callback runs: READ happened
 *   watch: READ|PERSIST) became pending: its callback returned (persistent: it waits again)
 *   watch: event 1 "on_timer_write" (timer, PERSIST) became non-pending: event_del was called during its callback
 *   watch: READ|PERSIST) was freed: event_free was called
 *   watch-count: 3 "on_timer_write" (timer, PERSIST) became active: its timeout expired
 *   watch-count: 4 READ|PERSIST) became active: fd
 *   watch-count: 3 READ|PERSIST) became pending: its callback returned
 *   watch-zh: 事件 1 "on_timer_write" (定时器, PERSIST) 变为激活 (active)：超时时间到了
 *   watch-zh: epoll 返回：1 个 fd 就绪
 *   watch-zh: READ|PERSIST) 变为激活 (active)：fd
 *   watch-zh: READ|PERSIST) 进入回调执行中 (callback)
 *   watch-zh: READ|PERSIST) 变为未决 (pending)：回调函数返回（持久事件：继续等待）
 *   watch-zh: READ|PERSIST) 已释放 (freed)：调用了 event_free
 *   watch-count: 1+ callback returned after
 *   watch-count: 1+ the loop waits in epoll for up to … ms
 *   watch-count-zh: 1+ 事件循环在 epoll 中等待，最多 … ms
 *   watch-count-zh: 1+ 回调函数返回，用时
 */
#include <event2/event.h>
#include <stdio.h>
#include <unistd.h>

/* The writer's state, kept between its callbacks (the arg pointer).
 * 写者在两次回调之间保存的状态（通过 arg 指针传递）。 */
struct writer {
    int fd;             /* the pipe's write end · 管道的写端 */
    int sent;           /* messages written so far · 已经写了几条 */
    struct event *self; /* its own timer · 它自己的定时器 */
};

/* Called by the loop when the pipe is readable: read what is there, and return at once.
 * 管道可读时由事件循环调用：读出现有的数据，马上返回。 */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    char buf[512];
    (void)what;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) {
        /* End of file: the writer closed its end. Freeing our own event in its callback is
         * allowed. · 文件结束：写者关闭了写端。在回调函数里释放自己的事件是允许的。 */
        puts("the writer closed the pipe");
        event_free(self);
    } else if (n > 0) {
        printf("read %zd bytes: %.*s\n", n, (int)n, buf);
    }
}

/* Called by the loop every 1.2 s: write one message; after the third, close the pipe.
 * 事件循环每 1.2 秒调用一次：写一条消息；第三条之后关闭管道。 */
static void on_timer_write(evutil_socket_t fd, short what, void *arg)
{
    struct writer *w = arg;
    char msg[16];
    (void)fd;
    (void)what;
    w->sent++;
    int len = snprintf(msg, sizeof msg, "message %d", w->sent);
    if (write(w->fd, msg, (size_t)len) != len)
        perror("write");
    if (w->sent == 3) {
        close(w->fd);       /* the reader will see end of file · 读者将读到文件结束 */
        event_del(w->self); /* no more ticks · 不再触发 */
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
    /* A callback must never block: the read end is non-blocking.
     * 回调函数绝不能阻塞：读端设为非阻塞。 */
    evutil_make_socket_nonblocking(fds[0]);

    /* The reader: wait for the read end, again and again (EV_PERSIST); its arg is itself.
     * 读者：一次又一次地等待读端可读（EV_PERSIST）；它的 arg 就是它自己。 */
    struct event *reader = event_new(base, fds[0], EV_READ | EV_PERSIST, on_readable,
                                     event_self_cbarg());
    event_add(reader, NULL);

    /* The writer: a persistent timer, every 1.2 s.
     * 写者：一个持久定时器，每 1.2 秒一次。 */
    struct writer w = { fds[1], 0, NULL };
    w.self = event_new(base, -1, EV_PERSIST, on_timer_write, &w);
    struct timeval interval = { 1, 200000 };
    event_add(w.self, &interval);

    /* Hand control to the loop: the callbacks run in here, and only in here.
     * 把控制权交给事件循环：回调函数都在这里面执行，也只在这里面执行。 */
    event_base_dispatch(base);

    close(fds[0]);
    event_free(w.self); /* the reader freed itself · 读者已经释放了自己 */
    event_base_free(base);
    return 0;
}
