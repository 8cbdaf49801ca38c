/*
 * Lesson 9 · bufferevent_setcb: the read, write and event callbacks.
 * 第 9 课 · bufferevent_setcb：读回调、写回调和事件回调。
 *
 * The course's echo server with all three callbacks set: on_read echoes what the client says,
 * on_write runs when the echo has left (the write buffer is empty), on_event hears BEV_EVENT_EOF
 * when the client hangs up and frees the bufferevent. This server serves one client and exits.
 * 课程里的回显服务器，三个回调函数都设置了：on_read 把客户端说的话发回去，on_write 在回显发送完毕（写缓冲区
 * 为空）时执行，on_event 在客户端挂断时收到 BEV_EVENT_EOF 并释放 bufferevent。这个服务器只服务一个客户端，然后退出。
 *
 *   gcc tutorials/c/09-bufferevent-setcb.c -o 09-bufferevent-setcb -levent
 *   cargo run --release -- run -- ./09-bufferevent-setcb 9995
 *   nc 127.0.0.1 9995          # in a second terminal; type a line, then Ctrl-C · 在第二个终端里；输入一行，再按 Ctrl-C
 *
 * evscope:
 *   peer: client
 *   peer-send: "hello\n"
 *   peer-expect: "hello\n"
 *   peer-send: "second line\n"
 *   peer-expect: "second line\n"
 *   output: on_read: client says: hello
 *   output: on_write: the write buffer is empty: everything was sent
 *   output: on_event: connection closed (BEV_EVENT_EOF|BEV_EVENT_READING)
 *   watch: event 0 "on_accept accept" (fd … created by event_new
 *   watch: listener 0 accepted a connection from 127.0.0.1:
 *   watch: bufferevent 0 "on_read/on_write/on_event" (fd … created on fd
 *   watch: event 1 "on_read/on_write/on_event read" (fd … became pending: bufferevent_enable was called
 *   watch: event 1 "on_read/on_write/on_event read" (fd … became active: fd … is readable
 *   watch: bufferevent 0 "on_read/on_write/on_event" (fd … input buffer holds 6 bytes
 *   watch: event 2 "on_read/on_write/on_event write" (fd … became pending: the bufferevent added its write event
 *   watch: event 2 "on_read/on_write/on_event write" (fd … became active: fd … is writable
 *   watch: event 2 "on_read/on_write/on_event write" (fd … is running its callback
 *   watch: bufferevent 0 "on_read/on_write/on_event" (fd … output buffer 0 bytes
 *   watch: event 2 "on_read/on_write/on_event write" (fd … became non-pending: the output buffer is empty
 *   watch: bufferevent 0 "on_read/on_write/on_event" (fd … event callback is told READING|EOF
 *   watch: event 1 "on_read/on_write/on_event read" (fd … was freed
 *   watch: bufferevent 0 "on_read/on_write/on_event" (fd … freed
 *   watch-count: 2 "on_read/on_write/on_event write" (fd … became non-pending: the output buffer is empty
 *   watch-zh: 监听器 0 接受了来自 127.0.0.1:
 *   watch-zh: 事件 1 "on_read/on_write/on_event read" (fd … 变为激活 (active)
 *   watch-zh: 事件 2 "on_read/on_write/on_event write" (fd … 变为非未决 (non_pending)：输出缓冲区已空
 *   watch-zh: bufferevent 0 "on_read/on_write/on_event" (fd … 的事件回调收到 READING|EOF：读到 EOF：对端关闭了它的发送方向
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read callback: new data is in the read buffer. Echo it: into the write buffer.
 * 读回调函数：读缓冲区里有新数据。把它回显出去：放进写缓冲区。 */
static void on_read(struct bufferevent *bev, void *arg)
{
    char buf[1024];
    size_t n;
    (void)arg;
    while ((n = bufferevent_read(bev, buf, sizeof buf)) > 0) {
        printf("on_read: client says: %.*s", (int)n, buf);
        bufferevent_write(bev, buf, n);
    }
}

/* Write callback: the write buffer has drained, the echo has left.
 * 写回调函数：写缓冲区已经清空，回显已经发出。 */
static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    (void)arg;
    puts("on_write: the write buffer is empty: everything was sent");
}

/* Event callback: something happened to the connection itself.
 * 事件回调函数：连接本身发生了什么。 */
static void on_event(struct bufferevent *bev, short events, void *arg)
{
    struct event_base *base = arg;
    if (events & BEV_EVENT_EOF)
        printf("on_event: connection closed (BEV_EVENT_EOF%s)\n",
               (events & BEV_EVENT_READING) ? "|BEV_EVENT_READING" : "");
    else if (events & BEV_EVENT_ERROR)
        printf("on_event: some other error: %s\n",
               evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    bufferevent_free(bev);          /* closes the socket too (BEV_OPT_CLOSE_ON_FREE) · 同时关闭套接字 */
    event_base_loopexit(base, NULL); /* one client only: end the loop · 只服务一个客户端：结束事件循环 */
}

/* A client connected (lesson 12): wrap its socket in a bufferevent and set the three callbacks.
 * 有客户端连上来了（第 12 课）：用 bufferevent 包装它的套接字，并设置三个回调函数。 */
static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                      struct sockaddr *addr, int socklen, void *arg)
{
    struct event_base *base = arg;
    (void)listener;
    (void)addr;
    (void)socklen;
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    /*                     read     write     event     arg (cbarg) */
    bufferevent_setcb(bev, on_read, on_write, on_event, base);
    bufferevent_enable(bev, EV_READ); /* reading is off by default (lesson 10) · 读默认关闭（第 10 课） */
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 9995;
    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 */
    sin.sin_port = htons((unsigned short)port);

    /* backlog -1: "a reasonable default" (libevent 2.1 listens with 128).
     * backlog 为 -1：“一个合理的默认值”（libevent 2.1 用 128）。 */
    struct evconnlistener *listener = evconnlistener_new_bind(
        base, on_accept, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
        (struct sockaddr *)&sin, sizeof sin);
    if (listener == NULL) {
        perror("evconnlistener_new_bind");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    event_base_dispatch(base);

    evconnlistener_free(listener);
    event_base_free(base);
    return 0;
}
