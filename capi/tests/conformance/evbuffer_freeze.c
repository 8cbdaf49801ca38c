/* evbuffer_freeze / evbuffer_unfreeze on the program's own buffer: frozen at its end, what
 * would add bytes there is refused (-1, nothing added, no callback, a reference's cleanup not
 * run); frozen at its start, what would take bytes from the front is; the other end works.
 * Also evbuffer_unfreeze on a bufferevent's output, whose start libevent keeps frozen, and
 * evbuffer_set_flags / evbuffer_clear_flags. */
#include "common.h"

static void cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
    (void)arg;
    printf("  cb: orig=%zu added=%zu deleted=%zu len=%zu\n", info->orig_size, info->n_added,
           info->n_deleted, evbuffer_get_length(b));
}

static void cleanup(const void *data, size_t len, void *extra)
{
    (void)data;
    printf("  cleanup %s len=%zu\n", (const char *)extra, len);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct evbuffer *b = evbuffer_new(), *other = evbuffer_new();
    char out[8];
    size_t n;
    evbuffer_add(b, "abcdef\n", 7);
    evbuffer_add_cb(b, cb, NULL);

    printf("-- frozen at the end\n");
    printf("freeze(0) = %d\n", evbuffer_freeze(b, 0));
    printf("add = %d\n", evbuffer_add(b, "x", 1));
    printf("add_printf = %d\n", evbuffer_add_printf(b, "%d", 7));
    printf("add_reference = %d\n", evbuffer_add_reference(b, "ref", 3, cleanup, "r1"));
    evbuffer_add(other, "other", 5);
    printf("add_buffer(b, other) = %d\n", evbuffer_add_buffer(b, other));
    printf("remove_buffer(other, b, 2) = %d\n", evbuffer_remove_buffer(other, b, 2));
    printf("prepend = %d\n", evbuffer_prepend(b, "P", 1));
    printf("drain 1 = %d\n", evbuffer_drain(b, 1));
    printf("remove 1 = %d\n", evbuffer_remove(b, out, 1));
    printf("length %zu\n", evbuffer_get_length(b));
    printf("unfreeze(0) = %d\n", evbuffer_unfreeze(b, 0));
    printf("add = %d\n", evbuffer_add(b, "y", 1));

    printf("-- frozen at the start\n");
    printf("freeze(1) = %d\n", evbuffer_freeze(b, 1));
    printf("drain 1 = %d\n", evbuffer_drain(b, 1));
    printf("remove 1 = %d\n", evbuffer_remove(b, out, 1));
    printf("copyout 1 = %d\n", (int)evbuffer_copyout(b, out, 1));
    char *line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
    printf("readln = %s\n", line ? line : "NULL");
    free(line);
    printf("prepend = %d\n", evbuffer_prepend(b, "Q", 1));
    printf("add_buffer(other, b) = %d\n", evbuffer_add_buffer(other, b));
    printf("add = %d\n", evbuffer_add(b, "z", 1));
    printf("length %zu\n", evbuffer_get_length(b));
    printf("unfreeze(1) = %d\n", evbuffer_unfreeze(b, 1));
    printf("drain 1 = %d\n", evbuffer_drain(b, 1));

    printf("-- flags\n");
    printf("set_flags = %d\n", evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD));
    printf("clear_flags = %d\n", evbuffer_clear_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD));

    printf("-- a bufferevent's output, thawed by the program\n");
    int sv[2];
    make_socketpair(sv);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    struct evbuffer *o = bufferevent_get_output(bev);
    bufferevent_disable(bev, EV_WRITE);
    bufferevent_write(bev, "data", 4);
    printf("drain = %d\n", evbuffer_drain(o, 1));
    printf("unfreeze(1) = %d\n", evbuffer_unfreeze(o, 1));
    printf("drain = %d\n", evbuffer_drain(o, 1));
    printf("freeze(0) = %d\n", evbuffer_freeze(o, 0));
    printf("bufferevent_write = %d\n", bufferevent_write(bev, "more", 4));
    printf("output length %zu\n", evbuffer_get_length(o));

    bufferevent_free(bev);
    close(sv[1]);
    evbuffer_free(b);
    evbuffer_free(other);
    event_base_free(base);
    printf("done\n");
    return 0;
}
