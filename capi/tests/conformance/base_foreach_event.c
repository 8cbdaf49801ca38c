/* event_base_foreach_event: the events visited (inserted by fd, each fd's newest first; timers
 * earliest first; events that are only active), each with its fd, flags and callback; a walk
 * stopped early returns the callback's value; a walk from inside a callback; NULL arguments. */
#include "common.h"

static struct event_base *base;
static struct event *r1, *r2, *w, *t1, *t2, *a, *idle;

static int print_event(const struct event_base *b, const struct event *ev, void *arg)
{
    printf("  %s visit %s: fd=%s events=%s cb=%s pending=%s base=%s\n", (const char *)arg,
           ptr_name(ev), fd_name(event_get_fd(ev)), evflags(event_get_events(ev)),
           ptr_name((const void *)event_get_callback(ev)), pending(ev),
           b == base ? "base" : "other");
    return 0;
}

static int stop_at_third(const struct event_base *b, const struct event *ev, void *arg)
{
    (void)b;
    int *n = arg;
    (*n)++;
    printf("  counting %d: %s\n", *n, ptr_name(ev));
    return *n == 3 ? 42 : 0;
}

static void cb_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb_read %s what=%s\n", ptr_name(arg), evflags(what));
}

static void cb_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb_write %s what=%s\n", ptr_name(arg), evflags(what));
}

static void cb_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb_timer %s what=%s\n", ptr_name(arg), evflags(what));
}

static void cb_active(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb_active %s what=%s\n", ptr_name(arg), evflags(what));
    printf("foreach inside a's callback = %d\n", event_base_foreach_event(base, print_event, "in-cb"));
}

int main(void)
{
    start();
    base = new_base();
    name_ptr((const void *)cb_read, "cb_read");
    name_ptr((const void *)cb_write, "cb_write");
    name_ptr((const void *)cb_timer, "cb_timer");
    name_ptr((const void *)cb_active, "cb_active");
    int sv[2], q[2];
    make_socketpair(sv);
    make_socketpair(q);
    name_fd(sv[0], "sv0");
    name_fd(q[1], "q1");

    printf("empty base: foreach = %d\n", event_base_foreach_event(base, print_event, "empty"));

    r1 = event_new(base, sv[0], EV_READ | EV_PERSIST, cb_read, event_self_cbarg());
    r2 = event_new(base, sv[0], EV_READ, cb_read, event_self_cbarg());
    w = event_new(base, q[1], EV_WRITE, cb_write, event_self_cbarg());
    t1 = evtimer_new(base, cb_timer, event_self_cbarg());
    t2 = evtimer_new(base, cb_timer, event_self_cbarg());
    a = event_new(base, -1, 0, cb_active, event_self_cbarg());
    idle = event_new(base, -1, 0, cb_active, event_self_cbarg());
    name_ptr(r1, "r1");
    name_ptr(r2, "r2");
    name_ptr(w, "w");
    name_ptr(t1, "t1");
    name_ptr(t2, "t2");
    name_ptr(a, "a");
    name_ptr(idle, "idle");

    struct timeval t1000 = ms(1000), t500 = ms(500), t2000 = ms(2000);
    event_add(r1, NULL);
    event_add(r2, NULL);
    event_add(w, &t2000);
    evtimer_add(t1, &t1000);
    evtimer_add(t2, &t500);
    event_active(a, EV_TIMEOUT, 0);
    printf("all:\n");
    printf("foreach = %d\n", event_base_foreach_event(base, print_event, "all"));

    int n = 0;
    printf("stopped early:\n");
    int stopped = event_base_foreach_event(base, stop_at_third, &n);
    printf("foreach = %d after %d calls\n", stopped, n);

    printf("NULL callback: %d\n", event_base_foreach_event(base, NULL, NULL));
    printf("NULL base: %d\n", event_base_foreach_event(NULL, print_event, "x"));

    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_del(r2);
    event_del(t1);
    printf("after deleting r2 and t1:\n");
    printf("foreach = %d\n", event_base_foreach_event(base, print_event, "later"));

    event_free(r1);
    event_free(r2);
    event_free(w);
    event_free(t1);
    event_free(t2);
    event_free(a);
    event_free(idle);
    printf("all freed: foreach = %d\n", event_base_foreach_event(base, print_event, "none"));
    event_base_free(base);
    printf("done\n");
    return 0;
}
