/* event_base_loopcontinue: called in the first of two low-priority callbacks, the loop checks
 * for new events before it runs the second, so an fd the first made readable runs first (its
 * priority is higher); without it the queue runs to its end. Before a loop, and with NULL. */
#include "common.h"

static int sv[2];
static struct event_base *base;
static struct event *r, *a1, *a2;
static int use_continue;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("  cb %s what=%s\n", ptr_name(arg), evflags(what));
    if (arg == a1) {
        if (write(sv[1], "x", 1) != 1)
            exit(1);
        if (use_continue)
            printf("  loopcontinue = %d\n", event_base_loopcontinue(base));
    }
    if (arg == r) {
        char c;
        if (read(sv[0], &c, 1) != 1)
            exit(1);
    }
}

static void round_with(const char *label)
{
    printf("%s:\n", label);
    event_add(r, NULL);
    event_active(a1, EV_TIMEOUT, 0);
    event_active(a2, EV_TIMEOUT, 0);
    printf("  dispatch = %d\n", event_base_dispatch(base));
}

int main(void)
{
    start();
    base = new_base();
    event_base_priority_init(base, 2);
    make_socketpair(sv);
    r = event_new(base, sv[0], EV_READ, cb, event_self_cbarg());
    a1 = event_new(base, -1, 0, cb, event_self_cbarg());
    a2 = event_new(base, -1, 0, cb, event_self_cbarg());
    name_ptr(r, "r");
    name_ptr(a1, "a1");
    name_ptr(a2, "a2");
    event_priority_set(r, 0);
    event_priority_set(a1, 1);
    event_priority_set(a2, 1);

    round_with("without loopcontinue");
    use_continue = 1;
    round_with("loopcontinue in a1");
    use_continue = 0;
    printf("loopcontinue before the loop = %d\n", event_base_loopcontinue(base));
    round_with("after a loopcontinue made outside the loop");
    printf("loopcontinue(NULL) = %d\n", event_base_loopcontinue(NULL));

    event_free(r);
    event_free(a1);
    event_free(a2);
    event_base_free(base);
    printf("done\n");
    return 0;
}
