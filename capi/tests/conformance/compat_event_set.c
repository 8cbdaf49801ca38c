/* The pre-2.0 pattern: event_set on static struct events BEFORE any base exists, then
 * event_base_new, event_base_set, event_add and dispatch. */
#include "common.h"
#include <event2/event_compat.h>

static struct event_base *base;
static struct event ev_timer, ev_read;
static int p[2];

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    printf("timer_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    show_pending("  ev_timer", &ev_timer);
    printf("  write = %d\n", (int)write(p[1], "r", 1));
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    char c;
    printf("read_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    show_pending("  ev_read", &ev_read);
    printf("  read = %d\n", (int)read(fd, &c, 1));
}

int main(void)
{
    start();
    make_pipe(p);
    name_fd(p[0], "p0");
    name_fd(p[1], "p1");
    static char targ[] = "targ", rarg[] = "rarg";
    name_ptr(targ, "targ");
    name_ptr(rarg, "rarg");
    name_ptr((void *)timer_cb, "timer_cb");
    name_ptr((void *)read_cb, "read_cb");

    evtimer_set(&ev_timer, timer_cb, targ);
    event_set(&ev_read, p[0], EV_READ, read_cb, rarg);
    /* What the events look like before any base exists, printed once the base is there (every
     * scenario prints the method first). */
    char before[512];
    snprintf(before, sizeof before,
             "before a base: initialized=%d/%d get_base==NULL %s/%s fd=%s/%s events=%s/%s\n"
             "ev_base field NULL: %s, ev_flags=%s\n",
             event_initialized(&ev_timer), event_initialized(&ev_read),
             yesno(event_get_base(&ev_timer) == NULL), yesno(event_get_base(&ev_read) == NULL),
             fd_name(event_get_fd(&ev_timer)), fd_name(event_get_fd(&ev_read)),
             evflags(event_get_events(&ev_timer)), evflags(event_get_events(&ev_read)),
             yesno(ev_timer.ev_base == NULL), evlistflags(ev_timer.ev_evcallback.evcb_flags));

    base = new_base();
    fputs(before, stdout);
    printf("event_base_priority_init(4) = %d\n", event_base_priority_init(base, 4));
    printf("event_base_set(timer) = %d\n", event_base_set(base, &ev_timer));
    printf("event_base_set(read) = %d\n", event_base_set(base, &ev_read));
    show_event("ev_timer", &ev_timer, base);
    show_event("ev_read", &ev_read, base);

    struct timeval tv = ms(20);
    printf("event_add(timer, 20ms) = %d\n", event_add(&ev_timer, &tv));
    printf("event_add(read) = %d\n", event_add(&ev_read, NULL));
    show_timeout("ev_timer", &ev_timer);
    show_pending("ev_read", &ev_read);
    printf("event_base_set(timer) while pending = %d\n", event_base_set(base, &ev_timer));
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_event("ev_timer", &ev_timer, base);
    show_event("ev_read", &ev_read, base);
    event_base_free(base);
    printf("done\n");
    return 0;
}
