/* An event's life: event_new, the accessors, event_add without and with a timeout, event_add
 * again while pending, event_del (also of an event never added), the callback of a one-shot
 * READ event, event_free. */
#include "common.h"

static struct event_base *base;
static struct event *rev, *tev;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    char c;
    printf("read_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    show_event("  rev", rev, base);
    printf("  read = %d\n", (int)read(fd, &c, 1));
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    printf("timer_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    show_event("  tev", tev, base);
}

int main(void)
{
    start();
    base = new_base();
    int p[2];
    make_pipe(p);
    name_fd(p[0], "p0");
    name_fd(p[1], "p1");
    static char rarg[] = "rarg";
    name_ptr(rarg, "rarg");
    name_ptr((void *)read_cb, "read_cb");
    name_ptr((void *)timer_cb, "timer_cb");

    struct event zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    printf("event_initialized(zeroed) = %d\n", event_initialized(&zeroed));

    rev = event_new(base, p[0], EV_READ, read_cb, rarg);
    tev = evtimer_new(base, timer_cb, event_self_cbarg());
    name_ptr(tev, "tev");
    show_event("rev new", rev, base);
    show_event("tev new", tev, base);
    printf("event_del(never added) = %d\n", event_del(rev));
    show_event("rev", rev, base);

    printf("event_add(rev, NULL) = %d\n", event_add(rev, NULL));
    show_event("rev", rev, base);
    show_timeout("rev", rev);
    printf("event_add(rev, NULL) again = %d\n", event_add(rev, NULL));
    show_event("rev", rev, base);
    struct timeval tv = ms(500);
    printf("event_add(rev, 500ms) = %d\n", event_add(rev, &tv));
    show_event("rev", rev, base);
    show_timeout("rev", rev);
    printf("event_add(rev, NULL) keeps the timeout? ");
    printf("%d\n", event_add(rev, NULL));
    show_event("rev", rev, base);
    printf("event_del(rev) = %d\n", event_del(rev));
    show_event("rev", rev, base);
    show_timeout("rev", rev);
    printf("event_del(rev) again = %d\n", event_del(rev));

    tv = ms(20);
    printf("evtimer_add(tev, 20ms) = %d\n", evtimer_add(tev, &tv));
    show_event("tev", tev, base);
    show_timeout("tev", tev);
    printf("evtimer_pending(tev) = %s\n", evflags(evtimer_pending(tev, NULL)));
    printf("evtimer_initialized(tev) = %d\n", evtimer_initialized(tev));
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_event("tev after", tev, base);

    printf("event_add(rev, NULL) = %d\n", event_add(rev, NULL));
    printf("write = %d\n", (int)write(p[1], "x", 1));
    show_event("rev", rev, base);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_event("rev after", rev, base);

    event_free(rev);
    event_free(tev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
