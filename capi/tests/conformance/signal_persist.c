/* Signal events, PERSIST and not: a one-shot signal event raised twice (how many calls, pending
 * after), event_del of a PERSIST signal event (raising it afterwards calls nothing), two events
 * on the same signal, a signal event with a timeout. */
#include "common.h"

static struct event_base *base;
static struct event *once, *keep, *twin, *timed;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    printf("cb %s sig=%s what=%s\n", ptr_name(self),
           fd == SIGUSR1 ? "SIGUSR1" : fd == SIGUSR2 ? "SIGUSR2" : "other", evflags(what));
    show_pending("  self", self);
}

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    int step = (int)(intptr_t)arg;
    printf("step %d\n", step);
    switch (step) {
    case 1:
        printf("  raise(SIGUSR2) twice\n");
        raise(SIGUSR2);
        raise(SIGUSR2);
        break;
    case 2:
        show_pending("  once", once);
        printf("  raise(SIGUSR2) with nothing pending for it\n");
        raise(SIGUSR2);
        printf("  event_del(keep) = %d\n", event_del(keep));
        show_pending("  keep", keep);
        show_pending("  twin", twin);
        printf("  raise(SIGUSR1)\n");
        raise(SIGUSR1);
        break;
    case 3:
        printf("  event_del(twin) = %d\n", event_del(twin));
        printf("  raise(SIGUSR1) with nothing pending for it\n");
        raise(SIGUSR1);
        break;
    }
}

int main(void)
{
    start();
    base = new_base();
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    once = event_new(base, SIGUSR2, EV_SIGNAL, cb, event_self_cbarg());
    keep = event_new(base, SIGUSR1, EV_SIGNAL | EV_PERSIST, cb, event_self_cbarg());
    twin = event_new(base, SIGUSR1, EV_SIGNAL | EV_PERSIST, cb, event_self_cbarg());
    timed = event_new(base, SIGUSR2, EV_SIGNAL | EV_PERSIST, cb, event_self_cbarg());
    name_ptr(once, "once");
    name_ptr(keep, "keep");
    name_ptr(twin, "twin");
    name_ptr(timed, "timed");
    printf("events: once=%s keep=%s\n", evflags(event_get_events(once)),
           evflags(event_get_events(keep)));
    printf("event_add(once) = %d\n", event_add(once, NULL));
    printf("event_add(keep) = %d\n", event_add(keep, NULL));
    printf("event_add(twin) = %d\n", event_add(twin, NULL));
    show_pending("once", once);
    show_pending("keep", keep);

    struct event *s1 = evtimer_new(base, step_cb, (void *)1);
    struct event *s2 = evtimer_new(base, step_cb, (void *)2);
    struct event *s3 = evtimer_new(base, step_cb, (void *)3);
    struct timeval t1 = ms(20), t2 = ms(100), t3 = ms(180);
    evtimer_add(s1, &t1);
    evtimer_add(s2, &t2);
    evtimer_add(s3, &t3);
    printf("dispatch = %d\n", event_base_dispatch(base));

    printf("-- a signal event with a timeout\n");
    struct timeval t30 = ms(30);
    printf("event_add(timed, 30ms) = %d\n", event_add(timed, &t30));
    show_pending("timed", timed);
    show_timeout("timed", timed);
    struct timeval t100 = ms(100);
    event_base_loopexit(base, &t100);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("event_del(timed) = %d\n", event_del(timed));

    event_free(once);
    event_free(keep);
    event_free(twin);
    event_free(timed);
    event_free(s1);
    event_free(s2);
    event_free(s3);
    event_base_free(base);
    printf("done\n");
    return 0;
}
