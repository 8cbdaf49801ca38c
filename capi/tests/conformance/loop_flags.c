/* event_base_loop flags: dispatch returning 1 with no events, EVLOOP_ONCE (waits for the first
 * active events, runs them, returns), EVLOOP_NONBLOCK (does not wait), EVLOOP_NO_EXIT_ON_EMPTY
 * (an empty base does not end the loop: a SIGALRM handler breaks it). */
#include "common.h"

static struct event_base *base;
static int nalarms;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb %s what=%s\n", ptr_name(arg), evflags(what));
}

static void on_alarm(int sig)
{
    (void)sig;
    nalarms++;
    if (nalarms > 40) {
        static const char msg[] = "NO_EXIT_ON_EMPTY loop never ended\n";
        write(1, msg, sizeof msg - 1);
        _exit(3);
    }
    event_base_loopbreak(base);
}

int main(void)
{
    start();
    base = new_base();
    static char n1[] = "t20", n2[] = "t100", n3[] = "act";
    name_ptr(n1, "t20");
    name_ptr(n2, "t100");
    name_ptr(n3, "act");

    printf("dispatch (empty) = %d\n", event_base_dispatch(base));
    printf("loop(ONCE) (empty) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("loop(NONBLOCK) (empty) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("loop(NONBLOCK|NO_EXIT_ON_EMPTY) (empty) = %d\n",
           event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_NO_EXIT_ON_EMPTY));

    struct event *t20 = evtimer_new(base, cb, n1);
    struct event *t100 = evtimer_new(base, cb, n2);
    /* t100 fires 80 ms after t20, so that they never come due in the same round. */
    struct event *act = event_new(base, -1, 0, cb, n3);
    struct timeval tv20 = ms(20), tv100 = ms(100);
    evtimer_add(t20, &tv20);
    evtimer_add(t100, &tv100);
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    show_pending("t20", t20);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    show_pending("t20", t20);
    show_pending("t100", t100);
    event_active(act, EV_READ, 0);
    printf("loop(ONCE) with an active event = %d\n", event_base_loop(base, EVLOOP_ONCE));
    show_pending("t100", t100);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("loop(ONCE) (empty again) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    evtimer_add(t20, &tv20);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 100000}, {0, 150000}};
    setitimer(ITIMER_REAL, &it, NULL);
    printf("loop(NO_EXIT_ON_EMPTY) = %d\n", event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY));
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    alarm(5);
    printf("alarms=%d got_break=%d\n", nalarms, event_base_got_break(base));

    event_free(t20);
    event_free(t100);
    event_free(act);
    event_base_free(base);
    printf("done\n");
    return 0;
}
