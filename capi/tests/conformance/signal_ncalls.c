/* A PERSIST signal event on SIGUSR1: raised twice from a timer callback before the loop gets to
 * it (the callback runs twice), raised before dispatch, raised once more; deleted inside its
 * callback. */
#include "common.h"

static struct event_base *base;
static struct event *sig, *timer;
static int ncalls, nticks;

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
    ncalls++;
    printf("sig_cb %d signal==SIGUSR1 %s what=%s arg==self %s\n", ncalls, yesno(fd == SIGUSR1),
           evflags(what), yesno(arg == sig));
    show_pending("  sig", sig);
    if (ncalls == 4) {
        printf("  event_del = %d\n", event_del(sig));
        show_pending("  sig", sig);
    }
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    nticks++;
    printf("timer_cb %d what=%s\n", nticks, evflags(what));
    if (nticks == 1) {
        printf("  raise = %d\n", raise(SIGUSR1));
        printf("  raise = %d\n", raise(SIGUSR1));
        printf("  after raising: calls so far %d\n", ncalls);
        struct timeval tv = ms(100);
        evtimer_add(timer, &tv);
    } else {
        printf("  raise = %d\n", raise(SIGUSR1));
    }
}

int main(void)
{
    start();
    base = new_base();
    signal(SIGUSR1, SIG_IGN);
    sig = evsignal_new(base, SIGUSR1, sig_cb, event_self_cbarg());
    timer = evtimer_new(base, timer_cb, NULL);
    printf("evsignal_add = %d\n", evsignal_add(sig, NULL));
    show_pending("sig", sig);
    printf("events=%s get_signal==SIGUSR1 %s\n", evflags(event_get_events(sig)),
           yesno(event_get_signal(sig) == SIGUSR1));
    printf("raise before dispatch = %d\n", raise(SIGUSR1));
    printf("calls so far %d\n", ncalls);
    struct timeval tv = ms(20);
    evtimer_add(timer, &tv);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("calls %d\n", ncalls);
    printf("raise after del = %d\n", raise(SIGUSR1));
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("calls %d\n", ncalls);
    event_free(sig);
    event_free(timer);
    event_base_free(base);
    printf("done\n");
    return 0;
}
