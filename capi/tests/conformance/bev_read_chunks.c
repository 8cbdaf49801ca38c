/* How much one read takes: 10000 bytes waiting in the socket reach the read callback in several
 * reads (libevent reads at most 4096 bytes from a socket at a time), with and without the
 * callback draining the input. */
#include "common.h"

static struct event_base *base;
static int nread;
static int drain;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    nread++;
    size_t len = evbuffer_get_length(bufferevent_get_input(b));
    printf("readcb %d input=%zu\n", nread, len);
    if (drain)
        evbuffer_drain(bufferevent_get_input(b), len);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s input=%zu\n", bevflags(what),
           evbuffer_get_length(bufferevent_get_input(b)));
}

static void run(int drain_it)
{
    int sv[2];
    make_socketpair(sv);
    static char data[10000];
    memset(data, 'x', sizeof data);
    printf("-- %s\n", drain_it ? "draining" : "not draining");
    printf("peer write = %d\n", (int)write(sv[1], data, sizeof data));
    close(sv[1]);
    nread = 0;
    drain = drain_it;
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, NULL, eventcb, NULL);
    bufferevent_enable(bev, EV_READ);
    printf("dispatch = %d\n", event_base_dispatch(base));
    bufferevent_free(bev);
}

int main(void)
{
    start();
    base = new_base();
    run(1);
    run(0);
    event_base_free(base);
    printf("done\n");
    return 0;
}
