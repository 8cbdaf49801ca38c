/* Timeouts on a bufferevent pair: each end's ev_read and ev_write are timeout-only events
 * (bufferevent_init_generic_timeout_cbs_) that carry its read and write timeouts. Enabling,
 * disabling, set_timeouts and every hand-over of data add or delete them; one that expires
 * disables its direction and tells the event callback TIMEOUT, from the loop. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *a, *b;

static const char *end(struct bufferevent *bev)
{
    return bev == a ? "a" : "b";
}

static void timers(const char *label)
{
    printf("%s: a ev_read=%d ev_write=%d | b ev_read=%d ev_write=%d\n", label,
           event_pending(&a->ev_read, EV_TIMEOUT, NULL) != 0,
           event_pending(&a->ev_write, EV_TIMEOUT, NULL) != 0,
           event_pending(&b->ev_read, EV_TIMEOUT, NULL) != 0,
           event_pending(&b->ev_write, EV_TIMEOUT, NULL) != 0);
}

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    char buf[16];
    size_t n = bufferevent_read(bev, buf, sizeof buf);
    printf("readcb %s %zu\n", end(bev), n);
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s %s enabled=%s\n", end(bev), bevflags(what),
           evflags(bufferevent_get_enabled(bev)));
    timers("  in eventcb");
}

static void later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    printf("later: write(a) = %d\n", bufferevent_write(a, "hi", 2));
    timers("  after the write");
}

int main(void)
{
    start();
    base = new_base();
    struct bufferevent *pair[2];
    printf("bufferevent_pair_new = %d\n", bufferevent_pair_new(base, 0, pair));
    a = pair[0];
    b = pair[1];
    bufferevent_setcb(a, readcb, NULL, eventcb, NULL);
    bufferevent_setcb(b, readcb, NULL, eventcb, NULL);
    timers("new");

    struct timeval t20 = {0, 20000}, t100 = {0, 100000};
    printf("set_timeouts(b, 100ms, 100ms) = %d\n", bufferevent_set_timeouts(b, &t100, &t100));
    timers("b writes, does not read");
    printf("enable(b, EV_READ) = %d\n", bufferevent_enable(b, EV_READ));
    timers("b reads");
    printf("set_timeouts(a, NULL, 20ms) = %d\n", bufferevent_set_timeouts(a, NULL, &t20));
    printf("write(a) = %d\n", bufferevent_write(a, "x", 1));
    timers("a wrote, b took it");
    event_base_once(base, -1, EV_TIMEOUT, later, NULL, &t20);
    printf("dispatch = %d\n", event_base_dispatch(base));
    timers("after dispatch");

    /* b no longer reads: a's output stays, and a's write timeout runs out. */
    printf("write(a) = %d\n", bufferevent_write(a, "stuck", 5));
    printf("enable(a, EV_WRITE) = %d\n", bufferevent_enable(a, EV_WRITE));
    timers("a has output b does not take");
    printf("dispatch = %d\n", event_base_dispatch(base));
    timers("after dispatch");

    /* The reader at its high watermark: the hand-over suspends its reading, and restarts its
     * read timeout all the same. */
    printf("set_timeouts(a, NULL, NULL) = %d\n", bufferevent_set_timeouts(a, NULL, NULL));
    printf("enable(a, EV_WRITE) = %d\n", bufferevent_enable(a, EV_WRITE));
    bufferevent_setwatermark(b, EV_READ, 0, 2);
    printf("set_timeouts(b, 20ms, NULL) = %d\n", bufferevent_set_timeouts(b, &t20, NULL));
    printf("enable(b, EV_READ) = %d\n", bufferevent_enable(b, EV_READ));
    printf("a out=%zu b in=%zu\n", evbuffer_get_length(bufferevent_get_output(a)),
           evbuffer_get_length(bufferevent_get_input(b)));
    timers("b took 2 of a's 5");
    printf("disable(b, EV_READ) = %d\n", bufferevent_disable(b, EV_READ));
    timers("b disabled reading");
    printf("set_timeouts(b, NULL, NULL) = %d\n", bufferevent_set_timeouts(b, NULL, NULL));
    printf("enable(b, EV_READ) = %d\n", bufferevent_enable(b, EV_READ));
    timers("no timeouts");
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("a out=%zu b in=%zu\n", evbuffer_get_length(bufferevent_get_output(a)),
           evbuffer_get_length(bufferevent_get_input(b)));

    bufferevent_free(a);
    bufferevent_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
