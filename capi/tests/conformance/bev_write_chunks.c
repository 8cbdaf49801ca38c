/* How much one write takes, and the write low watermark: 40000 bytes queued on a socket
 * bufferevent leave in writes of at most 16384 bytes (libevent's default max_single_write); the
 * write callback runs only when the output is at or below the low watermark. */
#include "common.h"

static struct event_base *base;
static int nwrite;

static void writecb(struct bufferevent *b, void *arg)
{
    (void)arg;
    nwrite++;
    printf("writecb %d output=%zu\n", nwrite, evbuffer_get_length(bufferevent_get_output(b)));
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)b;
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
}

static void run(size_t low)
{
    int sv[2];
    make_socketpair(sv);
    int big = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    static char data[40000];
    memset(data, 'y', sizeof data);
    printf("-- write low watermark %zu\n", low);
    nwrite = 0;
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, NULL, writecb, eventcb, NULL);
    bufferevent_setwatermark(bev, EV_WRITE, low, 0);
    printf("bufferevent_write = %d\n", bufferevent_write(bev, data, sizeof data));
    printf("output=%zu\n", evbuffer_get_length(bufferevent_get_output(bev)));
    int n;
    do {
        n = event_base_loop(base, EVLOOP_ONCE);
        printf("loop(ONCE) = %d output=%zu\n", n,
               evbuffer_get_length(bufferevent_get_output(bev)));
    } while (n == 0 && evbuffer_get_length(bufferevent_get_output(bev)) > 0);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("peer got %d\n", drain_fd(sv[1], NULL, 0));
    bufferevent_free(bev);
    close(sv[1]);
}

int main(void)
{
    start();
    base = new_base();
    run(0);
    run(20000);
    event_base_free(base);
    printf("done\n");
    return 0;
}
