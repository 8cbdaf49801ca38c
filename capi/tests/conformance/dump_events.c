/* event_base_dump_events, with pointers replaced by the events' names, fds by their names and
 * times by T: an empty base, inserted events (fd, fd with timeout, timer, signal), active
 * events (made active by event_active and by the backend), from inside a callback. */
#include "common.h"

static struct event_base *base;
static struct event *r, *w, *t, *a, *s;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb %s what=%s\n", ptr_name(arg), evflags(what));
    if (arg == a) {
        printf("dump inside a's callback:\n");
        dump_events(base);
    }
}

int main(void)
{
    start();
    base = new_base();
    event_base_priority_init(base, 2);
    int p[2], q[2];
    make_pipe(p);
    make_pipe(q);
    name_fd(p[0], "p0");
    name_fd(q[1], "q1");

    printf("empty base:\n");
    dump_events(base);

    r = event_new(base, p[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    w = event_new(base, q[1], EV_WRITE, cb, event_self_cbarg());
    t = evtimer_new(base, cb, event_self_cbarg());
    a = event_new(base, -1, 0, cb, event_self_cbarg());
    name_ptr(r, "r");
    name_ptr(w, "w");
    name_ptr(t, "t");
    name_ptr(a, "a");
    event_priority_set(a, 0);
    event_add(r, NULL);
    struct timeval t500 = ms(500), t300 = ms(300);
    event_add(w, &t500);
    evtimer_add(t, &t300);
    printf("inserted:\n");
    dump_events(base);

    event_active(a, EV_READ | EV_WRITE, 0);
    event_active(r, EV_TIMEOUT, 0);
    printf("with active events:\n");
    dump_events(base);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("after the loop:\n");
    dump_events(base);

    printf("with a signal event:\n");
    s = evsignal_new(base, SIGUSR1, cb, event_self_cbarg());
    name_ptr(s, "s");
    evsignal_add(s, NULL);
    dump_events(base);
    event_del(s);
    event_del(r);
    event_del(t);
    printf("all deleted:\n");
    dump_events(base);

    event_free(r);
    event_free(w);
    event_free(t);
    event_free(a);
    event_free(s);
    event_base_free(base);
    printf("done\n");
    return 0;
}
