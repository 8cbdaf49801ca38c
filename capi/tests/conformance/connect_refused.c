/* bufferevent_socket_connect to a 127.0.0.1 port nobody listens on (bound, then closed): the
 * event callback's flags, the errno it sees, and the pending states before and after. */
#include "common.h"

static struct event_base *base;

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    show_bev("readcb", bev);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    show_bev("writecb", bev);
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    printf("eventcb %s errno=%s arg=%s\n", bevflags(what), errname(EVUTIL_SOCKET_ERROR()),
           ptr_name(arg));
    show_bev("  in eventcb", bev);
    printf("  getfd >= 0: %s\n", yesno(bufferevent_getfd(bev) >= 0));
}

int main(void)
{
    start();
    base = new_base();
    struct sockaddr_in sin;
    int lfd = tcp_listener(&sin);
    close(lfd);
    static char arg[] = "arg";
    name_ptr(arg, "arg");

    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, writecb, eventcb, arg);
    printf("bufferevent_enable(EV_READ) = %d\n", bufferevent_enable(bev, EV_READ));
    errno = 0;
    int r = bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin);
    printf("bufferevent_socket_connect = %d\n", r);
    show_bev("connecting", bev);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after dispatch", bev);

    /* Again with the write side enabled and data queued. */
    struct bufferevent *bev2 = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev2, readcb, writecb, eventcb, arg);
    bufferevent_enable(bev2, EV_READ | EV_WRITE);
    printf("bufferevent_write = %d\n", bufferevent_write(bev2, "lost", 4));
    show_bev("bev2 before connect", bev2);
    r = bufferevent_socket_connect(bev2, (struct sockaddr *)&sin, sizeof sin);
    printf("bufferevent_socket_connect = %d\n", r);
    show_bev("bev2 connecting", bev2);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("bev2 after dispatch", bev2);

    bufferevent_free(bev);
    bufferevent_free(bev2);
    event_base_free(base);
    printf("done\n");
    return 0;
}
