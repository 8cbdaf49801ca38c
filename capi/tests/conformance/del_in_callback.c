/* A READ|PERSIST event and a WRITE|PERSIST event, each deleted inside its own callback; a
 * PERSIST event deleted and added again (with a timeout) inside its callback. */
#include "common.h"

static struct event_base *base;
static struct event *rev, *wev, *again;
static int nagain;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    printf("read_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    show_pending("  rev before del", rev);
    printf("  event_del = %d\n", event_del(rev));
    show_pending("  rev after del", rev);
    printf("  event_del again = %d\n", event_del(rev));
    show_event("  rev", rev, base);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    printf("write_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    show_pending("  wev before del", wev);
    printf("  event_del = %d\n", event_del(wev));
    show_pending("  wev after del", wev);
}

static void again_cb(evutil_socket_t fd, short what, void *arg)
{
    nagain++;
    printf("again_cb %d fd=%s what=%s arg=%s\n", nagain, fd_name(fd), evflags(what),
           ptr_name(arg));
    show_pending("  again in callback", again);
    if (nagain == 1) {
        printf("  event_del = %d\n", event_del(again));
        show_pending("  again after del", again);
        struct timeval tv = ms(20);
        printf("  event_add(20ms) = %d\n", event_add(again, &tv));
        show_pending("  again after add", again);
        show_timeout("  again", again);
        char c;
        printf("  read = %d\n", (int)read(fd, &c, 1));
    } else {
        printf("  event_del = %d\n", event_del(again));
        show_pending("  again after del", again);
    }
}

int main(void)
{
    start();
    base = new_base();
    int p[2], q[2];
    make_pipe(p);
    make_pipe(q);
    name_fd(p[0], "p0");
    name_fd(p[1], "p1");
    name_fd(q[0], "q0");
    name_fd(q[1], "q1");
    static char rarg[] = "rarg", warg[] = "warg", aarg[] = "aarg";
    name_ptr(rarg, "rarg");
    name_ptr(warg, "warg");
    name_ptr(aarg, "aarg");
    name_ptr((void *)read_cb, "read_cb");
    name_ptr((void *)write_cb, "write_cb");
    name_ptr((void *)again_cb, "again_cb");

    rev = event_new(base, p[0], EV_READ | EV_PERSIST, read_cb, rarg);
    wev = event_new(base, q[1], EV_WRITE | EV_PERSIST, write_cb, warg);
    again = event_new(base, p[0], EV_READ | EV_PERSIST, again_cb, aarg);
    show_event("rev", rev, base);
    show_event("wev", wev, base);
    printf("write = %d\n", (int)write(p[1], "x", 1));

    printf("event_add(rev) = %d\n", event_add(rev, NULL));
    show_pending("rev", rev);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_pending("rev after dispatch", rev);

    printf("event_add(wev) = %d\n", event_add(wev, NULL));
    show_pending("wev", wev);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_pending("wev after dispatch", wev);

    printf("event_add(again) = %d\n", event_add(again, NULL));
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_pending("again after dispatch", again);

    event_free(rev);
    event_free(wev);
    event_free(again);
    event_base_free(base);
    printf("done\n");
    return 0;
}
