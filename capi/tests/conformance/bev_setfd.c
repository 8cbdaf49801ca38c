/* bufferevent_setfd: a bufferevent made without a socket gets one, then another (its events
 * follow, data flows on the new one, the old one is left open, CLOSE_ON_FREE closes the new
 * one); setfd on a pair (-1) and through a filter; bufferevent_base_set; the compat
 * bufferevent_settimeout in seconds. */
#include "common.h"
#include <event2/bufferevent_compat.h>
#include <event2/event_compat.h>

static struct event_base *base;

static void readcb(struct bufferevent *bev, void *arg)
{
    char buf[64];
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  readcb %s: \"%s\"\n", ptr_name(arg), buf);
}

static void loop(const char *label)
{
    printf("%s: loop = %d\n", label, event_base_loop(base, EVLOOP_NONBLOCK));
}

static void fds(const char *label, struct bufferevent *bev)
{
    printf("%s: getfd=%s ev_read fd=%s ev_write fd=%s\n", label, fd_name(bufferevent_getfd(bev)),
           fd_name(event_get_fd(&bev->ev_read)), fd_name(event_get_fd(&bev->ev_write)));
}

int main(void)
{
    start();
    base = new_base();
    static char bn[] = "b";
    name_ptr(bn, "b");
    int sv[2], sv2[2];
    make_socketpair(sv);
    make_socketpair(sv2);
    name_fd(sv[0], "sv0");
    name_fd(sv[1], "sv1");
    name_fd(sv2[0], "sv2-0");
    name_fd(sv2[1], "sv2-1");

    struct bufferevent *b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, readcb, NULL, NULL, bn);
    fds("new", b);
    printf("enable(b, EV_READ) = %d\n", bufferevent_enable(b, EV_READ));
    show_bev("b", b);
    printf("setfd(b, sv0) = %d\n", bufferevent_setfd(b, sv[0]));
    fds("b", b);
    show_bev("b", b);
    printf("write(sv1, first) = %zd\n", write(sv[1], "first", 5));
    loop("first");

    printf("setfd(b, sv2-0) = %d\n", bufferevent_setfd(b, sv2[0]));
    fds("b", b);
    show_bev("b", b);
    printf("write(sv1, old) = %zd, write(sv2-1, new) = %zd\n", write(sv[1], "old", 3),
           write(sv2[1], "new", 3));
    loop("second");
    printf("write(b, out) = %d\n", bufferevent_write(b, "out", 3));
    loop("written");
    char got[16];
    int n = drain_fd(sv2[1], got, sizeof got);
    printf("sv2-1 got %d \"%s\", sv1 got %d\n", n, got, drain_fd(sv[1], NULL, 0));

    printf("setfd(b, -1) = %d\n", bufferevent_setfd(b, -1));
    fds("b", b);
    show_bev("b", b);
    printf("setfd(b, sv2-0) = %d\n", bufferevent_setfd(b, sv2[0]));
    show_bev("b", b);

    /* bufferevent_settimeout: whole seconds; 0 clears. */
    bufferevent_settimeout(b, 7, 0);
    printf("settimeout(b, 7, 0): timeout_read=%ld.%06ld timeout_write=%ld.%06ld\n",
           (long)b->timeout_read.tv_sec, (long)b->timeout_read.tv_usec,
           (long)b->timeout_write.tv_sec, (long)b->timeout_write.tv_usec);
    show_bev("b", b);
    bufferevent_settimeout(b, 0, 3);
    printf("settimeout(b, 0, 3): timeout_read=%ld timeout_write=%ld\n",
           (long)b->timeout_read.tv_sec, (long)b->timeout_write.tv_sec);
    show_bev("b", b);
    bufferevent_enable(b, EV_READ);

    /* bufferevent_base_set: refused while an event is pending. */
    printf("base_set(base, b) reading = %d\n", bufferevent_base_set(base, b));
    struct bufferevent *idle = bufferevent_socket_new(base, -1, 0);
    int r = bufferevent_base_set(base, idle);
    printf("base_set(base, idle) = %d, get_base==base %s\n", r,
           yesno(bufferevent_get_base(idle) == base));
    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    printf("base_set(base, pair) = %d\n", bufferevent_base_set(base, pair[0]));
    printf("setfd(pair, sv0) = %d\n", bufferevent_setfd(pair[0], sv[0]));

    bufferevent_free(b);
    loop("b freed");
    printf("sv0 %s, sv2-0 %s\n", fd_state(sv[0]), fd_state(sv2[0]));

    /* Through a filter: the underlying gets the fd. */
    struct bufferevent *u = bufferevent_socket_new(base, -1, 0);
    struct bufferevent *f = bufferevent_filter_new(u, NULL, NULL, 0, NULL, NULL);
    printf("setfd(filter, sv0) = %d\n", bufferevent_setfd(f, sv[0]));
    printf("getfd(filter)=%s getfd(under)=%s\n", fd_name(bufferevent_getfd(f)),
           fd_name(bufferevent_getfd(u)));
    bufferevent_free(f);
    bufferevent_free(u);
    bufferevent_free(idle);
    bufferevent_free(pair[0]);
    bufferevent_free(pair[1]);
    loop("all freed");
    printf("sv0 %s\n", fd_state(sv[0]));

    /* The compat pattern: bufferevent_new on the current base, then bufferevent_base_set. */
    struct event_base *cur = event_init();
    struct bufferevent *old = bufferevent_new(sv[0], readcb, NULL, NULL, bn);
    printf("bufferevent_new: get_base is NULL %s\n", yesno(bufferevent_get_base(old) == NULL));
    r = bufferevent_base_set(cur, old);
    printf("base_set(current, old) = %d, get_base==current %s\n", r,
           yesno(bufferevent_get_base(old) == cur));
    bufferevent_free(old);
    event_base_free(cur);
    event_base_free(base);
    printf("done\n");
    return 0;
}
