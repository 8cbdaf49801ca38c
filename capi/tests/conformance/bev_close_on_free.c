/* BEV_OPT_CLOSE_ON_FREE: bufferevent_free outside any callback; the fd is closed when the
 * bufferevent is finalized, which libevent does from the loop. Without the option the fd stays
 * open. */
#include "common.h"

int main(void)
{
    start();
    struct event_base *base = new_base();
    int a[2], b[2];
    make_socketpair(a);
    make_socketpair(b);

    struct bufferevent *with = bufferevent_socket_new(base, a[0], BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *without = bufferevent_socket_new(base, b[0], 0);
    printf("getfd(with) is a0: %s\n", yesno(bufferevent_getfd(with) == a[0]));
    printf("getfd(without) is b0: %s\n", yesno(bufferevent_getfd(without) == b[0]));
    bufferevent_enable(with, EV_READ);
    bufferevent_enable(without, EV_READ);
    bufferevent_write(with, "x", 1);

    bufferevent_free(with);
    bufferevent_free(without);
    printf("right after free: a0 %s, b0 %s\n", fd_state(a[0]), fd_state(b[0]));
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("after the loop: a0 %s, b0 %s\n", fd_state(a[0]), fd_state(b[0]));
    char c;
    printf("peer of a0 reads %d\n", (int)read(a[1], &c, 1));
    printf("dispatch = %d\n", event_base_dispatch(base));

    /* A bufferevent on a fd, freed with no loop run after: event_base_free finalizes it. */
    int c2[2];
    make_socketpair(c2);
    struct bufferevent *last = bufferevent_socket_new(base, c2[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_free(last);
    printf("before event_base_free: c0 %s\n", fd_state(c2[0]));
    event_base_free(base);
    printf("after event_base_free: c0 %s\n", fd_state(c2[0]));
    close(b[0]);
    close(a[1]);
    close(b[1]);
    close(c2[1]);
    printf("done\n");
    return 0;
}
