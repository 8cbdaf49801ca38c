/* The read high watermark: the bufferevent reads at most up to `high` bytes, then stops reading
 * (ev_read no longer pending) until the input is drained below it. */
#include "common.h"

static struct event_base *base;
static int sv[2];
static int nread;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    nread++;
    printf("readcb %d\n", nread);
    show_bev("  in readcb", b);
    if (nread == 1) {
        printf("  not draining\n");
        return;
    }
    char buf[8];
    size_t n = bufferevent_read(b, buf, 5);
    buf[n] = '\0';
    printf("  read %zu \"%s\"\n", n, buf);
    show_bev("  after read", b);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
    show_bev("  bev", b);
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(sv);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    bufferevent_setcb(bev, readcb, NULL, eventcb, NULL);
    bufferevent_setwatermark(bev, EV_READ, 0, 8);
    bufferevent_enable(bev, EV_READ);
    show_bev("start", bev);
    printf("peer write = %d\n", (int)write(sv[1], "abcdefghijklmnopqrst", 20));
    close(sv[1]);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("end", bev);
    bufferevent_free(bev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
