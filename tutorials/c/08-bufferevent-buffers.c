/*
 * Lesson 8 · bufferevent: a socket with two buffers.
 * 第 8 课 · bufferevent：一个套接字加两个缓冲区。
 *
 * Two bufferevents on the two ends of a socket pair. The sender puts "first." and "second." into
 * its write buffer (output) and returns at once; its write event sends both by itself, and its
 * write callback says when the write buffer is empty. The receiver's read callback finds the 13
 * bytes in its read buffer (input) and takes them out six at a time: first in, first out, and gone
 * once taken.
 * 套接字对两端各有一个 bufferevent。发送方把 "first." 和 "second." 放进它的写缓冲区（输出）后马上返回；
 * 它的写事件自动把两段数据发出去，写回调函数报告写缓冲区已经清空。接收方的读回调函数在读缓冲区（输入）里
 * 找到 13 个字节，每次取 6 个：先进先出，取走就没有了。
 *
 *   gcc tutorials/c/08-bufferevent-buffers.c -o 08-bufferevent-buffers -levent
 *   cargo run --release -- run --step -- ./08-bufferevent-buffers
 *
 * evscope:
 *   peer: none
 *   output: on_sent: the write buffer is empty: everything was sent
 *   output: take_in_pieces: the read buffer holds 13 bytes
 *   output: took "first." took "second" took "."
 *   output: take_in_pieces: the read buffer holds 0 bytes
 *   watch: bufferevent 0 "on_sent" (fd … created on fd
 *   watch: bufferevent 1 "take_in_pieces" (fd … created on fd
 *   watch: event 2 "take_in_pieces read" (fd … became pending: bufferevent_enable was called
 *   watch: bufferevent 0 "on_sent" (fd … output buffer 6 bytes
 *   watch: event 1 "on_sent write" (fd … became pending: the bufferevent added its write event: its output has bytes to send
 *   watch: bufferevent 0 "on_sent" (fd … output buffer 13 bytes
 *   watch: event 1 "on_sent write" (fd … became active: fd … is writable
 *   watch: event 1 "on_sent write" (fd … is running its callback
 *   watch: bufferevent 0 "on_sent" (fd … output buffer 0 bytes
 *   watch: event 1 "on_sent write" (fd … became non-pending: the output buffer is empty: the bufferevent deleted its write event
 *   watch: event 2 "take_in_pieces read" (fd … became active: fd … is readable
 *   watch: bufferevent 1 "take_in_pieces" (fd … input buffer holds 13 bytes
 *   watch: bufferevent 1 "take_in_pieces" (fd … input buffer holds 7 bytes
 *   watch: bufferevent 1 "take_in_pieces" (fd … input buffer holds 1 bytes
 *   watch: bufferevent 1 "take_in_pieces" (fd … input buffer holds 0 bytes
 *   watch: bufferevent 0 "on_sent" (fd … freed
 *   watch: bufferevent 1 "take_in_pieces" (fd … freed
 *   watch-count: 1 "take_in_pieces read" (fd … became active
 *   watch-zh: bufferevent 0 "on_sent" (fd … 输出缓冲区 13 字节
 *   watch-zh: 事件 1 "on_sent write" (fd … 变为激活 (active)
 *   watch-zh: 事件 1 "on_sent write" (fd … 变为非未决 (non_pending)：输出缓冲区已空，bufferevent 删除了它的写事件
 *   watch-zh: bufferevent 1 "take_in_pieces" (fd … 输入缓冲区 13 字节
 *   watch-zh: bufferevent 1 "take_in_pieces" (fd … 输入缓冲区 0 字节
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <sys/socket.h>

/* The two bufferevents, so that the receiver can free both at the end.
 * 两个 bufferevent；接收方最后要把它们都释放掉。 */
struct pair {
    struct bufferevent *sender;
    struct bufferevent *receiver;
};

/* The sender's write callback: runs when its write buffer has drained.
 * 发送方的写回调函数：写缓冲区清空时执行。 */
static void on_sent(struct bufferevent *bev, void *arg)
{
    (void)bev;
    (void)arg;
    puts("on_sent: the write buffer is empty: everything was sent");
}

/* The receiver's read callback: new data is in the read buffer. Take it out six bytes at a time.
 * 接收方的读回调函数：读缓冲区里有新数据了。每次取出 6 个字节。 */
static void take_in_pieces(struct bufferevent *bev, void *arg)
{
    struct pair *p = arg;
    struct evbuffer *input = bufferevent_get_input(bev);
    printf("take_in_pieces: the read buffer holds %zu bytes\n", evbuffer_get_length(input));
    char piece[6];
    size_t n;
    while ((n = bufferevent_read(bev, piece, sizeof piece)) > 0)
        printf("took \"%.*s\" ", (int)n, piece);
    printf("\ntake_in_pieces: the read buffer holds %zu bytes\n", evbuffer_get_length(input));

    /* Done: free both bufferevents (this closes both sockets: BEV_OPT_CLOSE_ON_FREE). With no
     * event left, dispatch returns. · 完成：释放两个 bufferevent（BEV_OPT_CLOSE_ON_FREE 会关闭两个套接字）。
     * 没有事件了，dispatch 返回。 */
    bufferevent_free(p->sender);
    bufferevent_free(p->receiver);
}

int main(void)
{
    struct event_base *base = event_base_new();
    evutil_socket_t fds[2];
    if (base == NULL || evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        perror("setup");
        return 1;
    }
    evutil_make_socket_nonblocking(fds[0]);
    evutil_make_socket_nonblocking(fds[1]);

    struct pair p;
    p.sender = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
    p.receiver = bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE);

    /*                          read            write    event */
    bufferevent_setcb(p.sender, NULL, on_sent, NULL, &p);
    bufferevent_setcb(p.receiver, take_in_pieces, NULL, NULL, &p);
    /* Reading is off by default (lesson 10): turn it on for the receiver.
     * 读默认是关闭的（第 10 课）：为接收方打开。 */
    bufferevent_enable(p.receiver, EV_READ);

    /* Into the write buffer; nothing is sent yet. The write event sends it in the loop.
     * 放进写缓冲区；此时还没有发送。写事件在事件循环里把它发出去。 */
    bufferevent_write(p.sender, "first.", 6);
    bufferevent_write(p.sender, "second.", 7);
    printf("sender's write buffer: %zu bytes\n",
           evbuffer_get_length(bufferevent_get_output(p.sender)));

    event_base_dispatch(base);
    event_base_free(base);
    return 0;
}
