/* Three READ events on the same fd, added in the order a, b, c and made active by the same
 * readiness: the order their callbacks run in; then b is deleted and added again. */
#include "common.h"

static struct event_base *base;
static int round_no;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    printf("round %d: cb %s fd=%s what=%s\n", round_no, ptr_name(self), fd_name(fd),
           evflags(what));
}

int main(void)
{
    start();
    base = new_base();
    int p[2];
    make_pipe(p);
    name_fd(p[0], "p0");
    struct event *a = event_new(base, p[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    struct event *b = event_new(base, p[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    struct event *c = event_new(base, p[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    name_ptr(a, "a");
    name_ptr(b, "b");
    name_ptr(c, "c");
    event_add(a, NULL);
    event_add(b, NULL);
    event_add(c, NULL);
    printf("write = %d\n", (int)write(p[1], "x", 1));
    round_no = 1;
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    event_del(b);
    event_add(b, NULL);
    round_no = 2;
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    event_free(a);
    event_free(b);
    event_free(c);
    event_base_free(base);
    printf("done\n");
    return 0;
}
