/* Inside an event's own callback: event_free of a timer, event_free of a READ|PERSIST event,
 * a one-shot timer adding itself again, event_del then event_add of a READ|PERSIST event; the
 * loop goes on with the other events. */
#include "common.h"

static struct event_base *base;
static struct event *t_free, *r_free, *again, *cycle, *witness;
static int nagain, ncycle, nwitness;
static int p[2], q[2];

static void t_free_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("t_free_cb what=%s\n", evflags(what));
    show_pending("  t_free", t_free);
    event_free(t_free);
    printf("  freed\n");
}

static void r_free_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    printf("r_free_cb fd=%s what=%s\n", fd_name(fd), evflags(what));
    show_pending("  r_free", r_free);
    event_free(r_free);
    printf("  freed (data left unread)\n");
}

static void again_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    nagain++;
    printf("again_cb %d what=%s\n", nagain, evflags(what));
    show_pending("  again", again);
    if (nagain < 3) {
        struct timeval tv = ms(20);
        printf("  event_add = %d\n", event_add(again, &tv));
        show_pending("  again", again);
    }
}

static void cycle_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    ncycle++;
    char c;
    printf("cycle_cb %d fd=%s what=%s read=%d\n", ncycle, fd_name(fd), evflags(what),
           (int)read(fd, &c, 1));
    printf("  event_del = %d\n", event_del(cycle));
    show_pending("  cycle", cycle);
    if (ncycle < 2) {
        printf("  event_add = %d\n", event_add(cycle, NULL));
        show_pending("  cycle", cycle);
    }
}

static void witness_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    nwitness++;
    printf("witness_cb %d what=%s\n", nwitness, evflags(what));
    if (nwitness == 1)
        printf("  write q = %d\n", (int)write(q[1], "ab", 2));
    else
        event_del(witness);
}

int main(void)
{
    start();
    base = new_base();
    make_pipe(p);
    make_pipe(q);
    name_fd(p[0], "p0");
    name_fd(q[0], "q0");
    t_free = evtimer_new(base, t_free_cb, NULL);
    r_free = event_new(base, p[0], EV_READ | EV_PERSIST, r_free_cb, NULL);
    again = evtimer_new(base, again_cb, NULL);
    cycle = event_new(base, q[0], EV_READ | EV_PERSIST, cycle_cb, NULL);
    witness = event_new(base, -1, EV_PERSIST, witness_cb, NULL);

    struct timeval t10 = ms(10), t30 = ms(30), t150 = ms(150);
    evtimer_add(t_free, &t10);
    event_add(r_free, NULL);
    printf("write p = %d\n", (int)write(p[1], "x", 1));
    evtimer_add(again, &t30);
    event_add(cycle, NULL);
    event_add(witness, &t150);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("again=%d cycle=%d witness=%d\n", nagain, ncycle, nwitness);
    event_free(again);
    event_free(cycle);
    event_free(witness);
    event_base_free(base);
    printf("done\n");
    return 0;
}
