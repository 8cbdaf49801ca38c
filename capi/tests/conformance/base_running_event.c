/* event_base_get_running_event inside callbacks: a timer, an fd event, an event made active,
 * a persistent event run twice, a callback that frees its own event, an event_base_once
 * callback (libevent's own struct event), a callback running a second base's loop, and a
 * bufferevent's read and write callbacks (its ev_read / ev_write).
 * (libevent 2.1.12 crashes when it is called outside a callback, so it is not; after a callback
 * freed its own event libevent returns the freed pointer, evscope NULL, so that is not asked.) */
#include "common.h"

static struct event_base *base, *base2;
static struct event *t, *r, *a, *p, *f, *inner;
static int p_runs;

static const char *running(struct event_base *b)
{
    struct event *ev = event_base_get_running_event(b);
    if (ev == NULL)
        return "NULL";
    return ptr_name(ev);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb %s what=%s running=%s self=%s\n", ptr_name(arg), evflags(what), running(base),
           yesno(event_base_get_running_event(base) == arg));
    if (arg == p && ++p_runs == 2)
        event_del(p);
    if (arg == f)
        event_free(f);
    if (arg == a) {
        printf("  running base2's loop from a's callback\n");
        event_base_loop(base2, EVLOOP_ONCE);
        printf("  back in a: running=%s\n", running(base));
    }
}

static void inner_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("inner what=%s running(base2)=%s running(base)=%s\n", evflags(what), running(base2),
           running(base));
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    struct event *ev = event_base_get_running_event(base);
    printf("once what=%s running is one of ours=%s non-NULL=%s\n", evflags(what),
           yesno(ev == t || ev == r || ev == a || ev == p), yesno(ev != NULL));
}

static void bev_cb(struct bufferevent *bev, void *arg)
{
    struct event *ev = event_base_get_running_event(base);
    printf("bufferevent %scb: running is ev_read=%s ev_write=%s\n", (const char *)arg,
           yesno(ev == &bev->ev_read), yesno(ev == &bev->ev_write));
    if (strcmp(arg, "read") == 0) {
        evbuffer_drain(bufferevent_get_input(bev), 100);
        bufferevent_disable(bev, EV_READ);
    }
}

static void bev_readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bev_cb(bev, "read");
}

static void bev_writecb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bev_cb(bev, "write");
}

int main(void)
{
    start();
    base = new_base();
    base2 = event_base_new();
    int sv[2];
    make_socketpair(sv);
    t = evtimer_new(base, cb, event_self_cbarg());
    r = event_new(base, sv[0], EV_READ, cb, event_self_cbarg());
    a = event_new(base, -1, 0, cb, event_self_cbarg());
    struct timeval t10 = ms(10), t20 = ms(20), t25 = ms(25);
    p = event_new(base, -1, EV_PERSIST, cb, event_self_cbarg());
    f = evtimer_new(base, cb, event_self_cbarg());
    inner = event_new(base2, -1, 0, inner_cb, NULL);
    name_ptr(t, "t");
    name_ptr(r, "r");
    name_ptr(a, "a");
    name_ptr(p, "p");
    name_ptr(f, "f");
    name_ptr(inner, "inner");

    evtimer_add(t, &t10);
    event_add(r, NULL);
    event_add(p, &t20);
    evtimer_add(f, &t25);
    event_active(a, EV_WRITE, 0);
    event_active(inner, EV_READ, 0);
    event_base_once(base, -1, EV_TIMEOUT, once_cb, NULL, NULL);
    if (write(sv[1], "x", 1) != 1)
        return 1;
    printf("dispatch = %d\n", event_base_dispatch(base));

    printf("a bufferevent's callbacks run inside its events' callbacks:\n");
    int bv[2];
    make_socketpair(bv);
    struct bufferevent *bev = bufferevent_socket_new(base, bv[0], 0);
    bufferevent_setcb(bev, bev_readcb, bev_writecb, NULL, NULL);
    bufferevent_enable(bev, EV_READ);
    bufferevent_write(bev, "hi", 2);
    if (write(bv[1], "x", 1) != 1)
        return 1;
    printf("dispatch = %d\n", event_base_dispatch(base));
    bufferevent_free(bev);

    event_free(t);
    event_free(r);
    event_free(a);
    event_free(p);
    event_free(inner);
    event_base_free(base2);
    event_base_free(base);
    printf("done\n");
    return 0;
}
