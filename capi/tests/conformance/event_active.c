/* event_active: on an event never added, on a pending event, twice before the loop runs (the
 * flags merge, the callback runs once), on an event then deleted before it runs, and what
 * event_pending says of an active event. */
#include "common.h"

static struct event_base *base;
static struct event *a, *r, *t, *d;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    printf("cb %s fd=%s what=%s\n", ptr_name(self), fd_name(fd), evflags(what));
    show_pending("  self", self);
}

int main(void)
{
    start();
    base = new_base();
    int p[2];
    make_pipe(p);
    name_fd(p[0], "p0");
    name_fd(p[1], "p1");

    a = event_new(base, p[0], EV_READ, cb, event_self_cbarg());
    r = event_new(base, p[0], EV_READ, cb, event_self_cbarg());
    t = evtimer_new(base, cb, event_self_cbarg());
    d = event_new(base, -1, 0, cb, event_self_cbarg());
    name_ptr(a, "a");
    name_ptr(r, "r");
    name_ptr(t, "t");
    name_ptr(d, "d");

    printf("-- never added\n");
    event_active(a, EV_WRITE, 0);
    show_pending("a active", a);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    show_pending("a after", a);

    printf("-- pending\n");
    printf("event_add(r) = %d\n", event_add(r, NULL));
    event_active(r, EV_TIMEOUT, 0);
    show_pending("r active", r);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    show_pending("r after", r);

    printf("-- twice\n");
    event_active(a, EV_READ, 0);
    event_active(a, EV_WRITE, 0);
    show_pending("a active twice", a);
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    show_pending("a after", a);

    printf("-- timer\n");
    struct timeval tv = ms(1000);
    evtimer_add(t, &tv);
    event_active(t, EV_READ, 0);
    show_pending("t active", t);
    show_timeout("t", t);
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    show_pending("t after", t);

    printf("-- deleted before it runs\n");
    event_active(d, EV_TIMEOUT, 0);
    show_pending("d active", d);
    printf("event_del(d) = %d\n", event_del(d));
    show_pending("d deleted", d);
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("dispatch = %d\n", event_base_dispatch(base));

    event_free(a);
    event_free(r);
    event_free(t);
    event_free(d);
    event_base_free(base);
    printf("done\n");
    return 0;
}
