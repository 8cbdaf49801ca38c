/* Errors: the TCP peer resets the connection (SO_LINGER 0 then close): reading gets ECONNRESET
 * (BEV_EVENT_ERROR|READING); writing to a connection the peer has closed gets EPIPE
 * (BEV_EVENT_ERROR|WRITING), errno read with EVUTIL_SOCKET_ERROR() in the event callback. */
#include "common.h"

static struct event_base *base;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)b;
    printf("readcb %s\n", ptr_name(arg));
}

static void writecb(struct bufferevent *b, void *arg)
{
    (void)b;
    printf("writecb %s\n", ptr_name(arg));
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    printf("eventcb %s %s errno=%s\n", ptr_name(arg), bevflags(what),
           errname(EVUTIL_SOCKET_ERROR()));
    show_bev("  bev", b);
}

static void reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

int main(void)
{
    start();
    base = new_base();
    static char r[] = "reader", w[] = "writer";
    name_ptr(r, "reader");
    name_ptr(w, "writer");

    printf("-- reset while reading\n");
    int c, s;
    tcp_pair(&c, &s);
    struct bufferevent *bev = bufferevent_socket_new(base, c, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, writecb, eventcb, r);
    bufferevent_enable(bev, EV_READ);
    reset(s);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after", bev);
    bufferevent_free(bev);

    printf("-- writing after the peer reset\n");
    tcp_pair(&c, &s);
    bev = bufferevent_socket_new(base, c, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, writecb, eventcb, w);
    reset(s);
    usleep(20000);
    printf("bufferevent_write = %d\n", bufferevent_write(bev, "into the void", 13));
    show_bev("queued", bev);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after", bev);
    printf("bufferevent_write again = %d\n", bufferevent_write(bev, "more", 4));
    show_bev("after", bev);
    printf("dispatch = %d\n", event_base_dispatch(base));
    bufferevent_free(bev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
