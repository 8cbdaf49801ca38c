/* event_base_active_by_fd and event_base_active_by_signal: every event on the fd (or signal)
 * becomes active for what it waits for of the flags given, newest first, as when the backend
 * reports it; EV_TIMEOUT activates the fd's events whose timeout is armed (fd -1: the pure
 * timers); an fd or signal no event watches changes nothing. */
#include "common.h"

static struct event_base *base;
static struct event *r1, *r2, *rw, *w, *c, *other, *t1, *t2, *tt, *s1, *s2, *s3;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb %s what=%s\n", ptr_name(arg), evflags(what));
}

static void show_all(const char *when)
{
    printf("%s:\n", when);
    struct event *all[] = {r1, r2, rw, w, c, other, t1, t2, tt, s1, s2, s3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        printf("  %s pending=%s\n", ptr_name(all[i]), pending(all[i]));
}

static void fill(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    while (write(fd, buf, sizeof buf) > 0) {
    }
}

int main(void)
{
    start();
    base = new_base();
    int a[2], b[2];
    make_socketpair(a);
    make_socketpair(b);
    fill(b[1]); /* b[1] is not writable: only active_by_fd makes its WRITE events run */
    r1 = event_new(base, a[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    r2 = event_new(base, a[0], EV_READ, cb, event_self_cbarg());
    rw = event_new(base, b[1], EV_READ | EV_WRITE | EV_PERSIST, cb, event_self_cbarg());
    w = event_new(base, b[1], EV_WRITE | EV_PERSIST, cb, event_self_cbarg());
    c = event_new(base, a[0], EV_CLOSED | EV_PERSIST, cb, event_self_cbarg());
    other = event_new(base, a[1], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    t1 = evtimer_new(base, cb, event_self_cbarg());
    t2 = evtimer_new(base, cb, event_self_cbarg());
    tt = event_new(base, a[0], EV_READ, cb, event_self_cbarg());
    s1 = evsignal_new(base, SIGUSR1, cb, event_self_cbarg());
    s2 = evsignal_new(base, SIGUSR1, cb, event_self_cbarg());
    s3 = evsignal_new(base, SIGUSR2, cb, event_self_cbarg());
    name_ptr(r1, "r1");
    name_ptr(r2, "r2");
    name_ptr(rw, "rw");
    name_ptr(w, "w");
    name_ptr(c, "c");
    name_ptr(other, "other");
    name_ptr(t1, "t1");
    name_ptr(t2, "t2");
    name_ptr(tt, "tt");
    name_ptr(s1, "s1");
    name_ptr(s2, "s2");
    name_ptr(s3, "s3");

    struct timeval t5000 = ms(5000), t6000 = ms(6000), t7000 = ms(7000);
    event_add(r1, NULL);
    event_add(r2, NULL);
    event_add(c, NULL);
    event_add(rw, NULL);
    event_add(w, NULL);
    event_add(other, NULL);
    evtimer_add(t1, &t6000);
    evtimer_add(t2, &t5000);
    event_add(tt, &t7000);
    evsignal_add(s1, NULL);
    evsignal_add(s2, NULL);
    evsignal_add(s3, NULL);

    event_base_active_by_fd(base, a[0], EV_READ);
    show_all("active_by_fd(a0, READ)");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_base_active_by_fd(base, b[1], EV_READ | EV_WRITE);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_base_active_by_fd(base, a[0], EV_CLOSED | EV_ET);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_base_active_by_fd(base, b[1], EV_WRITE);
    event_base_active_by_fd(base, a[0], EV_WRITE);
    printf("WRITE on b1, then on a0 (nothing waits for it):\n");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_base_active_by_fd(base, -1, EV_TIMEOUT);
    show_all("active_by_fd(-1, TIMEOUT)");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    event_add(tt, &t7000);
    event_base_active_by_fd(base, a[0], EV_TIMEOUT | EV_READ);
    printf("active_by_fd(a0, TIMEOUT|READ):\n");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_base_active_by_signal(base, SIGUSR1);
    printf("active_by_signal(SIGUSR1):\n");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    event_base_active_by_signal(base, SIGUSR2);
    event_base_active_by_signal(base, SIGHUP);
    printf("active_by_signal(SIGUSR2), (SIGHUP):\n");
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    show_all("at the end");

    event_free(r1);
    event_free(r2);
    event_free(rw);
    event_free(w);
    event_free(c);
    event_free(other);
    event_free(t1);
    event_free(t2);
    event_free(tt);
    event_free(s1);
    event_free(s2);
    event_free(s3);
    event_base_free(base);
    printf("done\n");
    return 0;
}
