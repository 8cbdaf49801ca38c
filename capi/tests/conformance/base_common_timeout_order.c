/* Common timeouts expiring in the same iteration as ordinary timers: libevent's internal timer
 * of each common-timeout queue activates that queue's events when it runs, so they run after
 * the ordinary timers of the iteration, queue by queue (the queue due first first), in the
 * order they were added. */
#include "common.h"
static struct event_base *base;
static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb %s what=%s\n", (const char *)arg, evflags(what));
    if (strcmp(arg, "blocker") == 0)
        usleep(150 * 1000);
}
int main(void)
{
    start();
    base = new_base();
    struct timeval d50 = ms(50), d30 = ms(30), t40 = ms(40), t60 = ms(60);
    const struct timeval *c50 = event_base_init_common_timeout(base, &d50);
    const struct timeval *c30 = event_base_init_common_timeout(base, &d30);
    struct event *blocker = event_new(base, -1, 0, cb, "blocker");
    struct event *c1 = evtimer_new(base, cb, "c1 (common 50)");
    struct event *t0 = evtimer_new(base, cb, "t0 (40)");
    struct event *t = evtimer_new(base, cb, "t (60)");
    struct event *c2 = evtimer_new(base, cb, "c2 (common 50)");
    struct event *d1 = evtimer_new(base, cb, "d1 (common 30)");
    evtimer_add(c1, c50);
    evtimer_add(t0, &t40);
    evtimer_add(t, &t60);
    evtimer_add(c2, c50);
    evtimer_add(d1, c30);
    event_active(blocker, EV_READ, 0);
    printf("dispatch = %d\n", event_base_dispatch(base));
    event_free(blocker); event_free(c1); event_free(c2); event_free(t0); event_free(t); event_free(d1);
    event_base_free(base);
    printf("done\n");
    return 0;
}
