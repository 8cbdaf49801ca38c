/* event_base_once: with a fd, with a timeout, with EV_TIMEOUT and no timeout (runs at once),
 * with neither fd events nor EV_TIMEOUT (refused), and the order they run in. */
#include "common.h"

static struct event_base *base;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    printf("once cb %s fd=%s what=%s\n", ptr_name(arg), fd_name(fd), evflags(what));
    if (strcmp(ptr_name(arg), "fd") == 0) {
        char c;
        printf("  read = %d\n", (int)read(fd, &c, 1));
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
    name_fd(q[0], "q0");
    static char a_fd[] = "fd", a_tv[] = "tv", a_now[] = "now", a_bad[] = "bad",
                a_fdtv[] = "fd+tv", a_persist[] = "persist";
    name_ptr(a_fd, "fd");
    name_ptr(a_tv, "tv");
    name_ptr(a_now, "now");
    name_ptr(a_bad, "bad");
    name_ptr(a_fdtv, "fd+tv");
    name_ptr(a_persist, "persist");

    struct timeval t40 = ms(40), t20 = ms(20);
    printf("once(tv 40ms) = %d\n", event_base_once(base, -1, EV_TIMEOUT, cb, a_tv, &t40));
    printf("once(q0 READ, 20ms) = %d\n", event_base_once(base, q[0], EV_READ, cb, a_fdtv, &t20));
    printf("once(EV_TIMEOUT, NULL) = %d\n", event_base_once(base, -1, EV_TIMEOUT, cb, a_now, NULL));
    printf("once(0, NULL) = %d\n", event_base_once(base, -1, 0, cb, a_bad, NULL));
    printf("once(p0 READ|PERSIST) = %d\n",
           event_base_once(base, p[0], EV_READ | EV_PERSIST, cb, a_persist, NULL));
    printf("dispatch with nothing written yet...\n");
    struct timeval t60 = ms(60);
    event_base_loopexit(base, &t60);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("got_exit=%d\n", event_base_got_exit(base));

    printf("once(p0 READ) = %d\n", event_base_once(base, p[0], EV_READ, cb, a_fd, NULL));
    printf("write = %d\n", (int)write(p[1], "ab", 2));
    printf("dispatch = %d\n", event_base_dispatch(base));
    event_base_free(base);
    printf("done\n");
    return 0;
}
