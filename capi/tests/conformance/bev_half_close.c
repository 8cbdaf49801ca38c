/* Half-close: the peer shuts down its sending side (shutdown SHUT_WR): the bufferevent sees
 * BEV_EVENT_EOF|READING and can still write its answer, which the peer reads; then
 * bufferevent_flush(BEV_FINISHED) on a socket bufferevent. */
#include "common.h"

static struct event_base *base;
static int sv[2];

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    char buf[32];
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("readcb read %zu \"%s\"\n", n, buf);
}

static void writecb(struct bufferevent *b, void *arg)
{
    (void)arg;
    show_bev("writecb", b);
    char buf[64];
    int n = drain_fd(sv[1], buf, sizeof buf);
    printf("  peer read %d \"%s\"\n", n, n > 0 ? buf : "");
    n = drain_fd(sv[1], buf, sizeof buf);
    printf("  peer read again = %d\n", n);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
    show_bev("  bev", b);
    printf("  bufferevent_write = %d\n", bufferevent_write(b, "answer", 6));
    show_bev("  after write", b);
    printf("  flush(EV_WRITE, BEV_FINISHED) = %d\n", bufferevent_flush(b, EV_WRITE, BEV_FINISHED));
    printf("  flush(EV_READ, BEV_NORMAL) = %d\n", bufferevent_flush(b, EV_READ, BEV_NORMAL));
    show_bev("  after flush", b);
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(sv);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    bufferevent_setcb(bev, readcb, writecb, eventcb, NULL);
    bufferevent_enable(bev, EV_READ);
    printf("peer write = %d\n", (int)write(sv[1], "question", 8));
    printf("shutdown(SHUT_WR) = %d\n", shutdown(sv[1], SHUT_WR));
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after", bev);
    bufferevent_free(bev);
    close(sv[0]);
    close(sv[1]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
