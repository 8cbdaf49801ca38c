/* A bufferevent disables its own reading inside its read callback: ev_read stops being pending,
 * data that arrives later stays in the socket until reading is enabled again. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *bev;
static int sv[2];
static int nread;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    nread++;
    char buf[64];
    printf("readcb %d\n", nread);
    show_bev("  before disable", b);
    printf("  bufferevent_disable(EV_READ) = %d\n", bufferevent_disable(b, EV_READ));
    show_bev("  after disable", b);
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  bufferevent_read = %zu \"%s\"\n", n, buf);
    show_bev("  after read", b);
    if (nread == 1)
        printf("  peer write = %d\n", (int)write(sv[1], "def", 3));
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("timer_cb what=%s\n", evflags(what));
    show_bev("  in timer", bev);
    printf("  bufferevent_enable(EV_READ) = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("  after enable", bev);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)b;
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    name_fd(sv[1], "sv1");
    bev = bufferevent_socket_new(base, sv[0], 0);
    bufferevent_setcb(bev, readcb, NULL, eventcb, NULL);
    printf("bufferevent_enable(EV_READ) = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("enabled", bev);
    printf("peer write = %d\n", (int)write(sv[1], "abc", 3));
    struct event *timer = evtimer_new(base, timer_cb, NULL);
    struct timeval tv = ms(30);
    evtimer_add(timer, &tv);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after dispatch", bev);
    event_free(timer);
    bufferevent_free(bev);
    event_base_free(base);
    close(sv[1]);
    printf("done\n");
    return 0;
}
