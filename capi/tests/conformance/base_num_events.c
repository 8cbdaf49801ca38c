/* event_base_get_num_events (EVENT_BASE_COUNT_ACTIVE, _VIRTUAL, _ADDED: one for each list an
 * event is on) at several points, inside callbacks too, and event_base_get_max_events with and
 * without clear. */
#include "common.h"

static struct event_base *base;
static struct event *r, *t, *rt, *a;

static void counts(const char *when)
{
    printf("%s: active=%d virtual=%d added=%d all=%d max: active=%d added=%d all=%d\n", when,
           event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE),
           event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL),
           event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
           event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_VIRTUAL |
                                               EVENT_BASE_COUNT_ADDED),
           event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0),
           event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0),
           event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_VIRTUAL |
                                               EVENT_BASE_COUNT_ADDED, 0));
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    char line[64];
    snprintf(line, sizeof line, "in %s (%s)", ptr_name(arg), evflags(what));
    counts(line);
}

int main(void)
{
    start();
    base = new_base();
    int sv[2];
    make_socketpair(sv);
    counts("empty");
    r = event_new(base, sv[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    t = evtimer_new(base, cb, event_self_cbarg());
    rt = event_new(base, sv[0], EV_READ, cb, event_self_cbarg());
    a = event_new(base, -1, 0, cb, event_self_cbarg());
    name_ptr(r, "r");
    name_ptr(t, "t");
    name_ptr(rt, "rt");
    name_ptr(a, "a");
    counts("made, none added");

    event_add(r, NULL);
    counts("r added");
    struct timeval t50 = ms(50), t2000 = ms(2000);
    evtimer_add(t, &t50);
    counts("t added with a timeout");
    event_add(rt, &t2000);
    counts("rt added with fd and timeout");
    event_active(a, EV_WRITE, 0);
    counts("a active, not added");
    event_active(r, EV_READ, 0);
    counts("r active too");
    event_active(r, EV_WRITE, 0);
    counts("r active again");

    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    counts("after the active ones ran");

    printf("max added with clear = %d\n", event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 1));
    printf("max active with clear = %d\n", event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 1));
    counts("after clearing");
    event_del(rt);
    counts("rt deleted");
    event_add(rt, NULL);
    counts("rt added again");

    if (write(sv[1], "x", 1) != 1)
        return 1;
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    counts("after r and rt ran");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    counts("after t ran");

    struct timeval t1000 = ms(1000);
    event_base_loopexit(base, &t1000);
    counts("loopexit with a timeout pending");

    event_free(r);
    counts("r freed");
    event_free(t);
    event_free(rt);
    event_free(a);
    counts("all freed");
    event_base_free(base);
    printf("done\n");
    return 0;
}
