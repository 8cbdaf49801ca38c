/* Callbacks on a bufferevent's own buffers (evbuffer_add_cb on bufferevent_get_output /
 * bufferevent_get_input) see what the bufferevent does to them: bufferevent_write adding to the
 * output, the write path draining it (before the write callback runs), reading from the socket
 * into the input (before the read callback), bufferevent_read taking from it; and what the
 * program does through the evbuffer calls. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *bev;

static void bufcb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    printf("  %s cb: orig=%zu added=%zu deleted=%zu len=%zu\n", (const char *)arg,
           info->orig_size, info->n_added, info->n_deleted, evbuffer_get_length(buf));
}

static void cleanup(const void *data, size_t len, void *extra)
{
    printf("  cleanup %s: %.*s\n", (const char *)extra, (int)len, (const char *)data);
}

static void pair_readcb(struct bufferevent *b, void *arg)
{
    printf("pair readcb %s: input %zu\n", (const char *)arg,
           evbuffer_get_length(bufferevent_get_input(b)));
}

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    char data[8];
    printf("readcb: input %zu\n", evbuffer_get_length(bufferevent_get_input(b)));
    size_t n = bufferevent_read(b, data, 2);
    printf("bufferevent_read 2 -> %zu\n", n);
    printf("drain input -> %d\n", evbuffer_drain(bufferevent_get_input(b), 100));
    event_base_loopexit(base, NULL);
}

static void writecb(struct bufferevent *b, void *arg)
{
    (void)arg;
    printf("writecb: output %zu\n", evbuffer_get_length(bufferevent_get_output(b)));
    event_base_loopexit(base, NULL);
}

int main(void)
{
    start();
    base = new_base();
    int sv[2];
    make_socketpair(sv);
    bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, writecb, NULL, NULL);
    struct evbuffer *out = bufferevent_get_output(bev), *in = bufferevent_get_input(bev);
    printf("add_cb(output): %s\n", yesno(evbuffer_add_cb(out, bufcb, "output") != NULL));
    printf("add_cb(input): %s\n", yesno(evbuffer_add_cb(in, bufcb, "input") != NULL));

    printf("-- bufferevent_write 5\n");
    printf("= %d\n", bufferevent_write(bev, "hello", 5));
    printf("-- evbuffer_add to the output 3\n");
    printf("= %d\n", evbuffer_add(out, "abc", 3));
    printf("-- evbuffer_drain of the output (frozen at its start)\n");
    printf("= %d\n", evbuffer_drain(out, 1));
    printf("-- loop: the write path drains the output\n");
    event_base_dispatch(base);
    char got[16];
    ssize_t n = read(sv[1], got, sizeof got);
    printf("peer got %zd: %.*s\n", n, (int)(n > 0 ? n : 0), got);

    printf("-- the peer writes 4; loop: the read path fills the input\n");
    write(sv[1], "ping", 4);
    bufferevent_enable(bev, EV_READ);
    event_base_dispatch(base);

    printf("-- bufferevent_write_buffer\n");
    struct evbuffer *tmp = evbuffer_new();
    evbuffer_add(tmp, "xyz", 3);
    printf("= %d\n", bufferevent_write_buffer(bev, tmp));
    event_base_dispatch(base);
    evbuffer_free(tmp);

    printf("-- a reference in the output: cleanup when the write path drains it\n");
    printf("remove_cb(output) = %d\n", evbuffer_remove_cb(out, bufcb, "output"));
    evbuffer_add_reference(out, "REF", 3, cleanup, "written");
    event_base_dispatch(base);
    n = read(sv[1], got, sizeof got);
    printf("peer got %zd: %.*s\n", n, (int)(n > 0 ? n : 0), got);

    printf("-- a reference left in the output of a freed bufferevent\n");
    bufferevent_disable(bev, EV_WRITE);
    evbuffer_add_reference(out, "LEFT", 4, cleanup, "unsent");
    printf("bufferevent_free\n");
    bufferevent_free(bev);
    printf("loop\n");
    event_base_loop(base, EVLOOP_NONBLOCK);
    printf("after the loop\n");
    close(sv[1]);

    printf("-- a pair: the transfer drains one output into the other input\n");
    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    bufferevent_setcb(pair[1], pair_readcb, NULL, NULL, "p1");
    bufferevent_enable(pair[1], EV_READ);
    evbuffer_add_cb(bufferevent_get_output(pair[0]), bufcb, "p0 output");
    evbuffer_add_cb(bufferevent_get_input(pair[1]), bufcb, "p1 input");
    printf("bufferevent_write(p0, 6)\n");
    bufferevent_write(pair[0], "paired", 6);
    printf("loop\n");
    event_base_loop(base, EVLOOP_NONBLOCK);
    bufferevent_free(pair[0]);
    bufferevent_free(pair[1]);
    event_base_loop(base, EVLOOP_NONBLOCK);

    event_base_free(base);
    printf("done\n");
    return 0;
}
