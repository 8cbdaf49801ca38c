/* event_add with a timeout on an event that is active because of a timeout takes it off the
 * active queue: its callback does not run in this iteration but when the new timeout passes
 * (libevent's "rescheduling this timeout before the callback can be executed removes it from the
 * active list"). Without a timeout, or active for another reason (EV_READ), it stays active. */
#include "common.h"

static struct event_base *base;
static struct event *a, *b, *c, *d, *r;
static int p[2];

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct event *self = arg;
    printf("cb %s what=%s\n", ptr_name(self), evflags(what));
    if (self == a) {
        struct timeval t30 = ms(30);
        printf("  event_add(b, 30ms) while active by timeout = %d\n", event_add(b, &t30));
        show_pending("  b", b);
        printf("  event_add(c, NULL) while active by timeout = %d\n", event_add(c, NULL));
        show_pending("  c", c);
        printf("  event_add(r, 30ms) while active by read = %d\n", event_add(r, &t30));
        show_pending("  r", r);
        event_active(d, EV_TIMEOUT, 1);
        printf("  event_add(d, 30ms) after event_active(d, EV_TIMEOUT) = %d\n",
               event_add(d, &t30));
        show_pending("  d", d);
    }
    if (self == r && (what & EV_READ)) {
        char ch;
        printf("  read = %d\n", (int)read(fd, &ch, 1));
        event_del(r);
    }
}

int main(void)
{
    start();
    base = new_base();
    make_pipe(p);
    name_fd(p[0], "p0");
    /* a runs first, at a higher priority; b, c and r are active behind it in the same
     * iteration. */
    event_base_priority_init(base, 2);
    a = evtimer_new(base, cb, event_self_cbarg());
    b = evtimer_new(base, cb, event_self_cbarg());
    c = evtimer_new(base, cb, event_self_cbarg());
    d = evtimer_new(base, cb, event_self_cbarg());
    r = event_new(base, p[0], EV_READ, cb, event_self_cbarg());
    name_ptr(a, "a");
    name_ptr(b, "b");
    name_ptr(c, "c");
    name_ptr(d, "d");
    name_ptr(r, "r");
    event_priority_set(a, 0);
    struct timeval t10 = ms(10);
    printf("write = %d\n", (int)write(p[1], "x", 1));
    event_add(r, NULL);
    evtimer_add(a, &t10);
    evtimer_add(b, &t10);
    evtimer_add(c, &t10);
    usleep(20000);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_pending("b", b);
    event_free(a);
    event_free(b);
    event_free(c);
    event_free(d);
    event_free(r);
    event_base_free(base);
    printf("done\n");
    return 0;
}
