/* event_add on a pending event re-arms its timeout; event_remove_timer keeps the fd part;
 * a zero timeout; a READ|PERSIST event with a timeout times out repeatedly. */
#include "common.h"

static struct event_base *base;
static struct event *a, *b, *c, *rt;
static int p[2];
static int nrt;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct event *self = arg;
    printf("cb %s what=%s\n", ptr_name(self), evflags(what));
    if (self == b) {
        struct timeval tv = ms(150);
        printf("  event_add(a, 150ms) while pending = %d\n", event_add(a, &tv));
        show_timeout("  a", a);
    }
}

static void rt_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    nrt++;
    printf("rt_cb %d what=%s\n", nrt, evflags(what));
    show_pending("  rt", rt);
    if (nrt == 2)
        printf("  write = %d\n", (int)write(p[1], "x", 1));
    if (what & EV_READ) {
        char ch;
        printf("  read = %d\n", (int)read(fd, &ch, 1));
        printf("  event_del = %d\n", event_del(rt));
    }
}

int main(void)
{
    start();
    base = new_base();
    make_pipe(p);
    name_fd(p[0], "p0");
    a = evtimer_new(base, cb, event_self_cbarg());
    b = evtimer_new(base, cb, event_self_cbarg());
    c = evtimer_new(base, cb, event_self_cbarg());
    name_ptr(a, "a");
    name_ptr(b, "b");
    name_ptr(c, "c");

    printf("-- re-arm\n");
    struct timeval t100 = ms(100), t20 = ms(20), t150 = ms(150);
    evtimer_add(a, &t100);
    evtimer_add(b, &t20);
    evtimer_add(c, &t150);
    printf("dispatch = %d\n", event_base_dispatch(base));

    printf("-- zero timeout\n");
    struct timeval zero = {0, 0};
    printf("evtimer_add(a, 0) = %d\n", evtimer_add(a, &zero));
    show_pending("a", a);
    printf("dispatch = %d\n", event_base_dispatch(base));

    printf("-- event_remove_timer\n");
    struct event *r = event_new(base, p[0], EV_READ, cb, event_self_cbarg());
    name_ptr(r, "r");
    printf("event_add(r, 20ms) = %d\n", event_add(r, &t20));
    show_pending("r", r);
    printf("event_remove_timer(r) = %d\n", event_remove_timer(r));
    show_pending("r", r);
    printf("event_remove_timer(r) again = %d\n", event_remove_timer(r));
    evtimer_add(c, &t20);
    printf("event_remove_timer(c) = %d\n", event_remove_timer(c));
    show_pending("c", c);
    struct timeval t60b = ms(60);
    event_base_loopexit(base, &t60b);
    printf("dispatch (r waits without a timeout) = %d\n", event_base_dispatch(base));
    show_pending("r", r);
    printf("event_del(r) = %d\n", event_del(r));

    printf("-- READ|PERSIST with a timeout\n");
    rt = event_new(base, p[0], EV_READ | EV_PERSIST, rt_cb, NULL);
    struct timeval t25 = ms(25);
    printf("event_add(rt, 25ms) = %d\n", event_add(rt, &t25));
    printf("dispatch = %d\n", event_base_dispatch(base));

    event_free(a);
    event_free(b);
    event_free(c);
    event_free(r);
    event_free(rt);
    event_base_free(base);
    printf("done\n");
    return 0;
}
