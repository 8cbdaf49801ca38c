/* evbuffer_defer_callbacks: the buffer's callbacks run later, from the base's loop, as one
 * deferred callback in the active queue (after the events activated before the change, before
 * those activated after), seeing every change since it last ran; a callback with
 * EVBUFFER_CB_NODEFER still runs at each change, its counts not reset until the deferred run. */
#include "common.h"

/* Not in the public headers (evbuffer-internal.h), but not an internal bit either: a program
 * may set it. */
#define EVBUFFER_CB_NODEFER 2

static struct event_base *base;
static struct evbuffer *buf;

static void cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
    printf("  cb %s: orig=%zu added=%zu deleted=%zu len=%zu\n", (const char *)arg,
           info->orig_size, info->n_added, info->n_deleted, evbuffer_get_length(b));
}

static void evcb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    printf("event %s\n", (const char *)arg);
    if (strcmp(arg, "A") == 0) {
        printf("A adds 1\n");
        evbuffer_add(buf, "x", 1);
    }
    if (strcmp(arg, "B") == 0) {
        printf("B drains 4\n");
        evbuffer_drain(buf, 4);
    }
}

int main(void)
{
    start();
    base = new_base();
    buf = evbuffer_new();
    printf("defer_callbacks = %d\n", evbuffer_defer_callbacks(buf, base));
    evbuffer_add_cb(buf, cb, "deferred");
    struct evbuffer_cb_entry *nd = evbuffer_add_cb(buf, cb, "nodefer");
    printf("set NODEFER = %d\n", evbuffer_cb_set_flags(buf, nd, EVBUFFER_CB_NODEFER));
    struct event *a = event_new(base, -1, 0, evcb, "A");
    struct event *b = event_new(base, -1, 0, evcb, "B");

    event_active(a, EV_READ, 0);
    printf("add 5\n");
    evbuffer_add(buf, "hello", 5);
    printf("drain 2\n");
    evbuffer_drain(buf, 2);
    event_active(b, EV_READ, 0);
    printf("-- loop\n");
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    printf("-- loop again\n");
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);

    printf("-- nothing changed: nothing runs\n");
    event_base_loop(base, EVLOOP_NONBLOCK);
    printf("-- NODEFER cleared: both deferred\n");
    evbuffer_cb_clear_flags(buf, nd, EVBUFFER_CB_NODEFER);
    evbuffer_add(buf, "abc", 3);
    printf("loop\n");
    event_base_loop(base, EVLOOP_NONBLOCK);

    event_free(a);
    event_free(b);
    evbuffer_free(buf);
    event_base_free(base);
    printf("done\n");
    return 0;
}
