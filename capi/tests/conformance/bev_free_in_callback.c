/* bufferevent_free inside the bufferevent's own read callback and inside its event callback:
 * libevent holds a reference while its callbacks run, so the bufferevent is still usable (its
 * base is still there) until the callback returns; the fd (BEV_OPT_CLOSE_ON_FREE) is closed
 * when the bufferevent is finalized. */
#include "common.h"

static struct event_base *base;
static int a[2], b[2];

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    printf("readcb input=%zu\n", evbuffer_get_length(bufferevent_get_input(bev)));
    bufferevent_free(bev);
    printf("  after bufferevent_free: get_base==base %s\n",
           yesno(bufferevent_get_base(bev) == base));
    printf("  a0 is %s\n", fd_state(a[0]));
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
    bufferevent_free(bev);
    printf("  after bufferevent_free: get_base==base %s\n",
           yesno(bufferevent_get_base(bev) == base));
    printf("  b0 is %s\n", fd_state(b[0]));
}

static void other_eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)arg;
    printf("other_eventcb %s\n", bevflags(what));
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(a);
    make_socketpair(b);

    struct bufferevent *bev1 = bufferevent_socket_new(base, a[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev1, readcb, NULL, other_eventcb, NULL);
    bufferevent_enable(bev1, EV_READ);
    printf("write = %d\n", (int)write(a[1], "data", 4));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("a0 is %s\n", fd_state(a[0]));

    struct bufferevent *bev2 = bufferevent_socket_new(base, b[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev2, NULL, NULL, eventcb, NULL);
    bufferevent_enable(bev2, EV_READ);
    close(b[1]);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("b0 is %s\n", fd_state(b[0]));

    event_base_free(base);
    close(a[1]);
    printf("done\n");
    return 0;
}
