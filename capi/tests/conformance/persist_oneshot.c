/* PERSIST against one-shot: a one-shot timer fires once (after the persistent one is deleted)
 * and is not pending in its callback; a persistent timer fires every period and is pending (with
 * its timeout) in its callback; the same for a READ event and a READ|PERSIST event on a pipe
 * with data left unread. */
#include "common.h"

static struct event_base *base;
static struct event *once, *every, *rd, *rdp;
static int nevery, nrdp;

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    printf("once_cb fd=%s what=%s\n", fd_name(fd), evflags(what));
    show_pending("  once", once);
    show_timeout("  once", once);
}

static void every_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    nevery++;
    printf("every_cb %d fd=%s what=%s\n", nevery, fd_name(fd), evflags(what));
    show_pending("  every", every);
    show_timeout("  every", every);
    if (nevery == 3) {
        printf("  event_del = %d\n", event_del(every));
        show_pending("  every", every);
    }
}

static void rd_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    printf("rd_cb fd=%s what=%s\n", fd_name(fd), evflags(what));
    show_pending("  rd", rd);
}

static void rdp_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    nrdp++;
    printf("rdp_cb %d fd=%s what=%s\n", nrdp, fd_name(fd), evflags(what));
    show_pending("  rdp", rdp);
    if (nrdp == 3)
        printf("  event_del = %d\n", event_del(rdp));
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

    once = evtimer_new(base, once_cb, NULL);
    every = event_new(base, -1, EV_PERSIST, every_cb, NULL);
    struct timeval t1 = ms(150), t2 = ms(20);
    evtimer_add(once, &t1);
    event_add(every, &t2);
    show_pending("once", once);
    show_pending("every", every);
    printf("dispatch = %d\n", event_base_dispatch(base));

    printf("write = %d\n", (int)write(p[1], "x", 1));
    printf("write = %d\n", (int)write(q[1], "y", 1));
    rd = event_new(base, p[0], EV_READ, rd_cb, NULL);
    rdp = event_new(base, q[0], EV_READ | EV_PERSIST, rdp_cb, NULL);
    event_add(rd, NULL);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    show_pending("rd after", rd);
    event_add(rdp, NULL);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_pending("rdp after", rdp);

    event_free(once);
    event_free(every);
    event_free(rd);
    event_free(rdp);
    event_base_free(base);
    printf("done\n");
    return 0;
}
