/* event_base_loopexit: before dispatch without a timeout (the loop runs the events already active,
 * then exits), with a timeout, called twice (the later exit stays pending for the next dispatch),
 * inside a callback; event_base_got_exit after each dispatch. An event waiting on an empty pipe
 * shows what is still pending when the loop exits; writing to the pipe lets it run. */
#include "common.h"

static struct event_base *base;
static struct event *waiter, *tick, *act;
static int p[2];
static int nticks;

static void waiter_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    char c;
    printf("waiter_cb what=%s got_exit=%d read=%d\n", evflags(what), event_base_got_exit(base),
           (int)read(fd, &c, 1));
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    nticks++;
    printf("tick_cb %d what=%s\n", nticks, evflags(what));
}

static void act_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("act_cb what=%s got_exit=%d\n", evflags(what), event_base_got_exit(base));
}

static void exit_in_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("exit_in_cb what=%s\n", evflags(what));
    printf("  loopexit(NULL) = %d\n", event_base_loopexit(base, NULL));
    printf("  got_exit=%d\n", event_base_got_exit(base));
    event_active(act, EV_WRITE, 0);
}

int main(void)
{
    start();
    base = new_base();
    make_pipe(p);
    waiter = event_new(base, p[0], EV_READ, waiter_cb, NULL);
    tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
    act = event_new(base, -1, 0, act_cb, NULL);

    printf("-- loopexit(NULL) before dispatch\n");
    event_add(waiter, NULL);
    event_active(act, EV_READ, 0);
    printf("loopexit(NULL) = %d\n", event_base_loopexit(base, NULL));
    printf("got_exit before dispatch=%d\n", event_base_got_exit(base));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d got_break=%d\n", event_base_got_exit(base), event_base_got_break(base));
    show_pending("waiter", waiter);

    printf("-- dispatch again, the pipe written\n");
    printf("write = %d\n", (int)write(p[1], "x", 1));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d got_break=%d\n", event_base_got_exit(base), event_base_got_break(base));

    printf("-- loopexit(20ms) and loopexit(250ms), ticker every 100ms\n");
    struct timeval t20 = ms(20), t100 = ms(100), t250 = ms(250);
    event_add(tick, &t100);
    printf("loopexit(20ms) = %d\n", event_base_loopexit(base, &t20));
    printf("loopexit(250ms) = %d\n", event_base_loopexit(base, &t250));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d ticks=%d\n", event_base_got_exit(base), nticks);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d ticks=%d\n", event_base_got_exit(base), nticks);
    event_del(tick);

    printf("-- loopexit inside a callback\n");
    struct event *e = evtimer_new(base, exit_in_cb, NULL);
    evtimer_add(e, &t20);
    event_add(waiter, NULL);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d\n", event_base_got_exit(base));
    show_pending("waiter", waiter);
    printf("write = %d\n", (int)write(p[1], "y", 1));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d\n", event_base_got_exit(base));

    event_free(e);
    event_free(waiter);
    event_free(tick);
    event_free(act);
    event_base_free(base);
    printf("done\n");
    return 0;
}
