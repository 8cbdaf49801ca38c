/* An I/O event made on fd -1 (event_new(base, -1, EV_READ, …)): libevent accepts it and inserts
 * it watching nothing, so only its timeout or event_active wakes it. */
#include "common.h"

static int calls;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    calls++;
    printf("cb %d: fd %d what %s\n", calls, (int)fd, evflags(what));
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct event *ev = event_new(base, -1, EV_READ | EV_PERSIST, cb, NULL);
    printf("event_new: %s\n", ev ? "made" : "NULL");
    if (!ev)
        return 1;
    printf("event_add, no timeout = %d\n", event_add(ev, NULL));
    printf("pending READ = %s\n", yesno(event_pending(ev, EV_READ, NULL)));
    printf("loop once, nonblock = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("calls %d\n", calls);
    struct timeval tv = {0, 20000};
    printf("event_add, 20 ms = %d\n", event_add(ev, &tv));
    event_base_loop(base, EVLOOP_ONCE);
    event_active(ev, EV_WRITE, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    printf("calls %d\n", calls);
    printf("event_del = %d\n", event_del(ev));
    struct event *w = event_new(base, -1, EV_WRITE, cb, NULL);
    printf("EV_WRITE on -1: %s\n", w ? "made" : "NULL");
    event_free(w);
    event_free(ev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
