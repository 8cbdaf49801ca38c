/* The event_init-based compat flow: event_init makes the current base, event_set uses it,
 * event_dispatch / event_loop / event_loopexit / event_once / event_priority_init act on it. */
#include "common.h"
#include <event2/event_compat.h>

static struct event_base *base;
static struct event ev_tick, ev_prio;
static int ticks;

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    printf("once_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    ticks++;
    printf("tick_cb %d fd=%s what=%s arg=%s\n", ticks, fd_name(fd), evflags(what),
           ptr_name(arg));
    show_pending("  ev_tick", &ev_tick);
    if (ticks < 3) {
        struct timeval tv = ms(20);
        printf("  event_add = %d\n", event_add(&ev_tick, &tv));
    } else {
        printf("  event_loopbreak = %d\n", event_loopbreak());
    }
}

int main(void)
{
    start();
    base = event_init();
    printf("method: %s\n", event_base_get_method(base));
    printf("event_get_method: %s\n", event_get_method());
    printf("event_priority_init(3) = %d\n", event_priority_init(3));
    printf("npriorities = %d\n", event_base_get_npriorities(base));

    static char targ[] = "targ", oarg[] = "oarg";
    name_ptr(targ, "targ");
    name_ptr(oarg, "oarg");
    name_ptr((void *)tick_cb, "tick_cb");

    evtimer_set(&ev_tick, tick_cb, targ);
    show_event("ev_tick", &ev_tick, base);
    event_set(&ev_prio, -1, 0, tick_cb, targ);
    printf("event_priority_set(1) = %d\n", event_priority_set(&ev_prio, 1));
    show_event("ev_prio", &ev_prio, base);

    struct timeval tv = ms(20);
    printf("event_add = %d\n", event_add(&ev_tick, &tv));
    struct timeval once_tv = ms(30);
    printf("event_once(timeout 30ms) = %d\n", event_once(-1, EV_TIMEOUT, once_cb, oarg, &once_tv));
    printf("event_dispatch = %d\n", event_dispatch());
    printf("got_break=%d got_exit=%d\n", event_base_got_break(base), event_base_got_exit(base));

    struct timeval exit_tv = ms(20);
    printf("event_loopexit(20ms) = %d\n", event_loopexit(&exit_tv));
    printf("event_loop(0) = %d\n", event_loop(0));
    printf("got_break=%d got_exit=%d\n", event_base_got_break(base), event_base_got_exit(base));
    printf("event_loop(EVLOOP_NONBLOCK) = %d\n", event_loop(EVLOOP_NONBLOCK));
    event_base_free(base);
    printf("done\n");
    return 0;
}
