/*
 * Lesson 10 · bufferevent_enable: writing is on and reading is off until you turn it on.
 * 第 10 课 · bufferevent_enable：写默认启用，读在你打开之前一直是关闭的。
 *
 * An echo server for one client that prints bufferevent_get_enabled() as it goes: EV_WRITE only
 * for a new bufferevent, EV_READ|EV_WRITE after bufferevent_enable(bev, EV_READ). After the first
 * line it stops reading for half a second (bufferevent_disable): the next line waits in the
 * kernel until a timer, on_resume, enables reading again.
 * 一个只服务一个客户端的回显服务器，一边运行一边打印 bufferevent_get_enabled()：新建的 bufferevent 只有
 * EV_WRITE，bufferevent_enable(bev, EV_READ) 之后是 EV_READ|EV_WRITE。收到第一行之后，它停止读取半秒
 * （bufferevent_disable）：下一行在内核里等着，直到定时器 on_resume 重新启用读。
 *
 *   gcc tutorials/c/10-bufferevent-enable.c -o 10-bufferevent-enable -levent
 *   cargo run --release -- run --step -- ./10-bufferevent-enable 9995
 *   nc 127.0.0.1 9995          # in a second terminal · 在第二个终端里
 *
 * evscope:
 *   peer: client
 *   peer-send: "one\n"
 *   peer-expect: "one\n"
 *   peer-send: "two\n"
 *   peer-expect: "two\n"
 *   output: new bufferevent: enabled EV_WRITE
 *   output: after bufferevent_enable(bev, EV_READ): enabled EV_READ|EV_WRITE
 *   output: after bufferevent_disable(bev, EV_READ): enabled EV_WRITE
 *   output: on_resume: enabled EV_READ|EV_WRITE
 *   output: on_read: two
 *   watch: bufferevent 0 "on_read/on_event" (fd … created on fd
 *   watch: event 2 "on_read/on_event read" (fd … created by event_new: new
 *   watch: event 3 "on_read/on_event write" (fd … created by event_new: new
 *   watch: event 2 "on_read/on_event read" (fd … became pending: bufferevent_enable was called: the bufferevent added its read event
 *   watch: event 2 "on_read/on_event read" (fd … became active: fd … is readable
 *   watch: event 3 "on_read/on_event write" (fd … became pending: the bufferevent added its write event
 *   watch: event 2 "on_read/on_event read" (fd … became non-pending: bufferevent_disable was called
 *   watch: event 0 "on_resume" (timer) became active: its timeout expired
 *   watch: event 2 "on_read/on_event read" (fd … became pending: bufferevent_enable was called
 *   watch: event 2 "on_read/on_event read" (fd … became active: fd … is readable
 *   watch: bufferevent 0 "on_read/on_event" (fd … event callback is told READING|EOF
 *   watch-count: 0 "on_read/on_event write" (fd … became pending: bufferevent_enable
 *   watch-zh: 事件 2 "on_read/on_event read" (fd … 变为未决 (pending)：调用了 bufferevent_enable
 *   watch-zh: 事件 2 "on_read/on_event read" (fd … 变为非未决 (non_pending)：调用了 bufferevent_disable
 *   watch-zh: 事件 0 "on_resume" (定时器) 变为激活 (active)：超时时间到了
 *   watch-zh: 事件 2 "on_read/on_event read" (fd … 变为未决 (pending)：调用了 bufferevent_enable
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct server {
    struct event_base *base;
    struct event *resume;     /* the timer that enables reading again · 重新启用读的定时器 */
    struct bufferevent *bev;  /* the one client · 唯一的客户端 */
    int lines;
};

/* Prints which directions are enabled: EV_READ, EV_WRITE, both or none.
 * 打印启用了哪些方向：EV_READ、EV_WRITE、两者或都没有。 */
static void show_enabled(const char *when, struct bufferevent *bev)
{
    short on = bufferevent_get_enabled(bev);
    printf("%s: enabled %s\n", when,
           (on & EV_READ) && (on & EV_WRITE) ? "EV_READ|EV_WRITE"
           : (on & EV_READ)                  ? "EV_READ"
           : (on & EV_WRITE)                 ? "EV_WRITE"
                                             : "nothing");
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct server *s = arg;
    char buf[1024];
    size_t n;
    while ((n = bufferevent_read(bev, buf, sizeof buf)) > 0) {
        printf("on_read: %.*s", (int)n, buf);
        bufferevent_write(bev, buf, n);
    }
    if (++s->lines == 1) {
        /* "Not now": the read event is deleted; what the client sends waits in the kernel.
         * “现在不读”：读事件被删除；客户端发来的数据在内核里等着。 */
        bufferevent_disable(bev, EV_READ);
        show_enabled("after bufferevent_disable(bev, EV_READ)", bev);
        struct timeval half_second = { 0, 500000 };
        event_add(s->resume, &half_second);
    }
}

/* Half a second later: read again. The read event is added back (pending).
 * 半秒之后：重新开始读。读事件被重新加入（未决）。 */
static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    (void)fd;
    (void)what;
    bufferevent_enable(s->bev, EV_READ);
    show_enabled("on_resume", s->bev);
}

static void on_event(struct bufferevent *bev, short events, void *arg)
{
    struct server *s = arg;
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        puts("on_event: the client left");
    bufferevent_free(bev);
    event_base_loopexit(s->base, NULL); /* one client only · 只服务一个客户端 */
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                      struct sockaddr *addr, int socklen, void *arg)
{
    struct server *s = arg;
    (void)listener;
    (void)addr;
    (void)socklen;
    s->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
    /* A new bufferevent writes but does not read. · 新的 bufferevent 能写，但不读。 */
    show_enabled("new bufferevent", s->bev);
    /* Without this line on_read never runs: the most common first bug.
     * 没有这一行，on_read 永远不会执行：这是初学者最常见的错误。 */
    bufferevent_enable(s->bev, EV_READ);
    show_enabled("after bufferevent_enable(bev, EV_READ)", s->bev);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 9995;
    struct server s = { event_base_new(), NULL, NULL, 0 };
    if (s.base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }
    s.resume = evtimer_new(s.base, on_resume, &s);

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 */
    sin.sin_port = htons((unsigned short)port);
    struct evconnlistener *listener = evconnlistener_new_bind(
        s.base, on_accept, &s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
        (struct sockaddr *)&sin, sizeof sin);
    if (listener == NULL) {
        perror("evconnlistener_new_bind");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    event_base_dispatch(s.base);

    evconnlistener_free(listener);
    event_free(s.resume);
    event_base_free(s.base);
    return 0;
}
