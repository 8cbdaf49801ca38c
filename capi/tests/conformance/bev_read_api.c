/* Reading and writing through the bufferevent API: bufferevent_read (partial, more than there
 * is, zero), bufferevent_read_buffer, bufferevent_write_buffer (empties the source),
 * bufferevent_write of nothing, the input drained directly with evbuffer_drain. */
#include "common.h"

static struct event_base *base;
static int sv[2];

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    char buf[64];
    show_bev("readcb", bev);
    size_t n = bufferevent_read(bev, buf, 3);
    buf[n] = '\0';
    printf("  bufferevent_read(3) = %zu \"%s\"\n", n, buf);
    n = bufferevent_read(bev, buf, 0);
    printf("  bufferevent_read(0) = %zu\n", n);
    struct evbuffer *into = evbuffer_new();
    evbuffer_add(into, "<", 1);
    printf("  bufferevent_read_buffer = %d\n", bufferevent_read_buffer(bev, into));
    n = evbuffer_remove(into, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  into holds \"%s\"\n", buf);
    show_bev("  after", bev);
    n = bufferevent_read(bev, buf, sizeof buf);
    printf("  bufferevent_read on empty = %zu\n", n);
    int rc = bufferevent_read_buffer(bev, into);
    printf("  bufferevent_read_buffer on empty = %d len=%zu\n", rc, evbuffer_get_length(into));
    evbuffer_free(into);
    bufferevent_disable(bev, EV_READ);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    show_bev("writecb", bev);
    char buf[64];
    int n = drain_fd(sv[1], buf, sizeof buf);
    printf("  peer read %d \"%s\"\n", n, n > 0 ? buf : "");
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(sv);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    bufferevent_setcb(bev, readcb, writecb, NULL, NULL);
    bufferevent_enable(bev, EV_READ);

    struct evbuffer *src = evbuffer_new();
    evbuffer_add_printf(src, "from a buffer %d", 42);
    printf("bufferevent_write_buffer = %d\n", bufferevent_write_buffer(bev, src));
    printf("src length after = %zu\n", evbuffer_get_length(src));
    printf("bufferevent_write(NULL, 0) = %d\n", bufferevent_write(bev, NULL, 0));
    show_bev("queued", bev);
    evbuffer_add(src, "!", 1);
    printf("bufferevent_write_buffer = %d\n", bufferevent_write_buffer(bev, src));
    show_bev("queued", bev);
    evbuffer_free(src);
    printf("peer write = %d\n", (int)write(sv[1], "abcdefghij", 10));
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after", bev);
    bufferevent_free(bev);
    close(sv[1]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
