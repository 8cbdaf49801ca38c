/* Read and write timeouts of a socket bufferevent: BEV_EVENT_TIMEOUT|READING when nothing
 * arrives, BEV_EVENT_TIMEOUT|WRITING when the peer does not read; what is enabled and pending
 * afterwards; reading enabled again after a timeout, data arriving, then a timeout again. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *rbev, *wbev;
static int rs[2], ws[2];
static int nevents;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    char buf[16];
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("readcb read %zu \"%s\"\n", n, buf);
    show_bev("  rbev", b);
    show_timeout("  rbev ev_read", &b->ev_read);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    nevents++;
    printf("eventcb %s %s\n", ptr_name(arg), bevflags(what));
    if (b == rbev)
        show_bev("  bev", b);
    else
        printf("  bev: enabled=%s output>0: %s ev_read=%s ev_write=%s\n",
               evflags(bufferevent_get_enabled(b)),
               yesno(evbuffer_get_length(bufferevent_get_output(b)) > 0), pending(&b->ev_read),
               pending(&b->ev_write));
    show_timeout("  ev_read", &b->ev_read);
    show_timeout("  ev_write", &b->ev_write);
    if (b == rbev && nevents == 1) {
        printf("  enable(EV_READ) = %d\n", bufferevent_enable(b, EV_READ));
        show_bev("  bev", b);
        show_timeout("  ev_read", &b->ev_read);
        printf("  peer write = %d\n", (int)write(rs[1], "ping", 4));
    }
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(rs);
    make_socketpair(ws);
    static char rn[] = "rbev", wn[] = "wbev";
    name_ptr(rn, "rbev");
    name_ptr(wn, "wbev");

    printf("-- read timeout 40ms\n");
    rbev = bufferevent_socket_new(base, rs[0], 0);
    bufferevent_setcb(rbev, readcb, NULL, eventcb, rn);
    struct timeval t40 = ms(40);
    printf("set_timeouts = %d\n", bufferevent_set_timeouts(rbev, &t40, NULL));
    show_bev("rbev", rbev);
    show_timeout("rbev ev_read", &rbev->ev_read);
    printf("enable(EV_READ) = %d\n", bufferevent_enable(rbev, EV_READ));
    show_bev("rbev", rbev);
    show_timeout("rbev ev_read", &rbev->ev_read);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("rbev end", rbev);
    bufferevent_free(rbev);

    printf("-- write timeout 40ms, peer not reading\n");
    wbev = bufferevent_socket_new(base, ws[0], 0);
    bufferevent_setcb(wbev, NULL, NULL, eventcb, wn);
    printf("set_timeouts = %d\n", bufferevent_set_timeouts(wbev, NULL, &t40));
    show_bev("wbev", wbev);
    static char data[1 << 20];
    memset(data, 'z', sizeof data);
    printf("bufferevent_write = %d\n", bufferevent_write(wbev, data, sizeof data));
    printf("output > 0: %s\n", yesno(evbuffer_get_length(bufferevent_get_output(wbev)) > 0));
    show_timeout("wbev ev_write", &wbev->ev_write);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("output > 0: %s\n", yesno(evbuffer_get_length(bufferevent_get_output(wbev)) > 0));
    printf("enabled=%s ev_write=%s\n", evflags(bufferevent_get_enabled(wbev)),
           pending(&wbev->ev_write));
    bufferevent_free(wbev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
