/* Priorities: event_base_priority_init, the default priority (the middle one), event_priority_set
 * (refused on an active event and out of range), the order of callbacks of different priorities
 * made active together, and a higher-priority event made active by a lower-priority callback. */
#include "common.h"

static struct event_base *base;
static struct event *e0, *e1, *e2, *e2b, *late;
static int iteration;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct event *self = arg;
    printf("cb %s what=%s priority=%d\n", ptr_name(self), evflags(what), event_get_priority(self));
    if (self == e2 && iteration == 2) {
        printf("  event_active(e0) from e2\n");
        event_active(e0, EV_WRITE, 0);
    }
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("timer_cb what=%s\n", evflags(what));
}

int main(void)
{
    start();
    base = new_base();
    printf("npriorities = %d\n", event_base_get_npriorities(base));
    printf("event_base_priority_init(0) = %d\n", event_base_priority_init(base, 0));
    printf("event_base_priority_init(3) = %d\n", event_base_priority_init(base, 3));
    printf("npriorities = %d\n", event_base_get_npriorities(base));

    e0 = event_new(base, -1, 0, cb, event_self_cbarg());
    e1 = event_new(base, -1, 0, cb, event_self_cbarg());
    e2 = event_new(base, -1, 0, cb, event_self_cbarg());
    e2b = event_new(base, -1, 0, cb, event_self_cbarg());
    late = evtimer_new(base, timer_cb, NULL);
    name_ptr(e0, "e0");
    name_ptr(e1, "e1");
    name_ptr(e2, "e2");
    name_ptr(e2b, "e2b");
    printf("default priority = %d\n", event_get_priority(e0));
    printf("event_priority_set(e0, 0) = %d\n", event_priority_set(e0, 0));
    printf("event_priority_set(e1, 1) = %d\n", event_priority_set(e1, 1));
    printf("event_priority_set(e2, 2) = %d\n", event_priority_set(e2, 2));
    printf("event_priority_set(e2b, 2) = %d\n", event_priority_set(e2b, 2));
    printf("event_priority_set(e2b, 3) = %d\n", event_priority_set(e2b, 3));
    printf("event_priority_set(e2b, -1) = %d\n", event_priority_set(e2b, -1));
    printf("priorities: %d %d %d %d\n", event_get_priority(e0), event_get_priority(e1),
           event_get_priority(e2), event_get_priority(e2b));

    iteration = 1;
    event_active(e2, EV_READ, 0);
    event_active(e2b, EV_READ, 0);
    event_active(e1, EV_READ, 0);
    event_active(e0, EV_READ, 0);
    printf("event_priority_set(active e1, 0) = %d\n", event_priority_set(e1, 0));
    printf("event_base_priority_init(2) while active = %d\n", event_base_priority_init(base, 2));
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    iteration = 2;
    event_active(e2, EV_READ, 0);
    event_active(e2b, EV_READ, 0);
    event_active(e1, EV_READ, 0);
    printf("dispatch = %d\n", event_base_dispatch(base));

    iteration = 3;
    struct timeval tv = ms(20);
    evtimer_add(late, &tv);
    printf("timer priority = %d\n", event_get_priority(late));
    event_active(e2, EV_READ, 0);
    printf("dispatch = %d\n", event_base_dispatch(base));

    event_free(e0);
    event_free(e1);
    event_free(e2);
    event_free(e2b);
    event_free(late);
    event_base_free(base);
    printf("done\n");
    return 0;
}
