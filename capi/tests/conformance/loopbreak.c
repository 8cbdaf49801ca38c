/* event_base_loopbreak: before dispatch (dispatch clears it), inside a callback while other
 * events are active (they wait for the next dispatch), event_base_got_break. */
#include "common.h"

static struct event_base *base;
static struct event *a, *b, *c, *timer;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct event *self = arg;
    printf("cb %s what=%s\n", ptr_name(self), evflags(what));
    if (self == a) {
        printf("  loopbreak = %d\n", event_base_loopbreak(base));
        printf("  got_break=%d\n", event_base_got_break(base));
    }
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("timer_cb what=%s got_break=%d\n", evflags(what), event_base_got_break(base));
}

int main(void)
{
    start();
    base = new_base();
    event_base_priority_init(base, 2);
    a = event_new(base, -1, 0, cb, event_self_cbarg());
    b = event_new(base, -1, 0, cb, event_self_cbarg());
    c = event_new(base, -1, 0, cb, event_self_cbarg());
    event_priority_set(a, 0);
    event_priority_set(b, 1);
    event_priority_set(c, 1);
    timer = evtimer_new(base, timer_cb, NULL);
    name_ptr(a, "a");
    name_ptr(b, "b");
    name_ptr(c, "c");

    printf("-- loopbreak before dispatch\n");
    printf("loopbreak = %d\n", event_base_loopbreak(base));
    printf("got_break=%d\n", event_base_got_break(base));
    struct timeval t20 = ms(20);
    evtimer_add(timer, &t20);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_break=%d got_exit=%d\n", event_base_got_break(base), event_base_got_exit(base));

    printf("-- loopbreak in a callback\n");
    event_active(c, EV_READ, 0);
    event_active(b, EV_READ, 0);
    event_active(a, EV_READ, 0);
    evtimer_add(timer, &t20);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_break=%d got_exit=%d\n", event_base_got_break(base), event_base_got_exit(base));
    show_pending("b", b);
    show_pending("c", c);
    show_pending("timer", timer);

    printf("-- dispatch again\n");
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_break=%d got_exit=%d\n", event_base_got_break(base), event_base_got_exit(base));

    printf("-- loopbreak in a callback with the same priority after it\n");
    event_priority_set(a, 1);
    event_active(a, EV_READ, 0);
    event_active(b, EV_WRITE, 0);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("got_break=%d\n", event_base_got_break(base));
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("got_break=%d\n", event_base_got_break(base));

    event_free(a);
    event_free(b);
    event_free(c);
    event_free(timer);
    event_base_free(base);
    printf("done\n");
    return 0;
}
