/* A filter's read high watermark: the input filter's dst_limit, reading held below, bytes left
 * in the underlying's input until the program drains the filter's input (then filtered at
 * once); the underlying's write high watermark limits the output filter; a filter with
 * BEV_OPT_DEFER_CALLBACKS. */
#include "common.h"

static struct event_base *base;

static enum bufferevent_filter_result capped(struct evbuffer *src, struct evbuffer *dst,
                                             ev_ssize_t lim, enum bufferevent_flush_mode mode,
                                             void *ctx)
{
    size_t len = evbuffer_get_length(src);
    size_t take = lim < 0 || (size_t)lim > len ? len : (size_t)lim;
    printf("  capped(%s): src=%zu dst=%zu lim=%zd mode=%d take=%zu\n", ptr_name(ctx), len,
           evbuffer_get_length(dst), lim, (int)mode, take);
    if (take == 0)
        return BEV_NEED_MORE;
    evbuffer_remove_buffer(src, dst, take);
    return BEV_OK;
}

static void readcb(struct bufferevent *bev, void *arg)
{
    char buf[64];
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  readcb %s: read %zu \"%s\"\n", ptr_name(arg), n, buf);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    printf("  writecb %s: output=%zu\n", ptr_name(arg),
           evbuffer_get_length(bufferevent_get_output(bev)));
}

static void loop(const char *label)
{
    printf("%s: loop = %d\n", label, event_base_loop(base, EVLOOP_NONBLOCK));
}

static void levels(const char *label, struct bufferevent *f, struct bufferevent *u)
{
    printf("%s: filter in=%zu out=%zu | under in=%zu out=%zu ev_read=%s\n", label,
           evbuffer_get_length(bufferevent_get_input(f)), evbuffer_get_length(bufferevent_get_output(f)),
           evbuffer_get_length(bufferevent_get_input(u)), evbuffer_get_length(bufferevent_get_output(u)),
           pending(&u->ev_read));
}

int main(void)
{
    start();
    base = new_base();
    int sv[2];
    make_socketpair(sv);
    static char fn[] = "f", dn[] = "d";
    name_ptr(fn, "f");
    name_ptr(dn, "d");
    struct bufferevent *u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *f = bufferevent_filter_new(u, capped, capped, BEV_OPT_CLOSE_ON_FREE, NULL, fn);
    /* No read callback yet: one that left the input at the mark would be called again and
     * again (bufferevent_inbuf_wm_check). */
    bufferevent_setcb(f, NULL, writecb, NULL, fn);
    bufferevent_setwatermark(f, EV_READ, 0, 4);
    printf("enable(f, EV_READ) = %d\n", bufferevent_enable(f, EV_READ));
    printf("write(sv1, 10 bytes) = %zd\n", write(sv[1], "0123456789", 10));
    loop("first read");
    levels("at the mark", f, u);
    loop("again");
    char buf[16];
    printf("bufferevent_read(f, 3) = %zu\n", bufferevent_read(f, buf, 3));
    levels("drained 3", f, u);
    printf("bufferevent_read(f, 16) = %zu\n", bufferevent_read(f, buf, 16));
    levels("drained all", f, u);
    printf("bufferevent_read(f, 16) = %zu\n", bufferevent_read(f, buf, 16));
    levels("drained again", f, u);
    loop("after draining");
    levels("end", f, u);
    bufferevent_setcb(f, readcb, writecb, NULL, fn);
    printf("write(sv1, 2 bytes) = %zd\n", write(sv[1], "AB", 2));
    loop("with a read callback");
    levels("end", f, u);

    /* The underlying's write high watermark caps the output filter. */
    bufferevent_setwatermark(u, EV_WRITE, 0, 6);
    printf("write(f, 10 bytes) = %d\n", bufferevent_write(f, "abcdefghij", 10));
    levels("written", f, u);
    loop("sent");
    levels("after send", f, u);
    char got[64];
    int n = drain_fd(sv[1], got, sizeof got);
    printf("sv1 got %d \"%s\"\n", n, got);
    loop("more");
    n = drain_fd(sv[1], got, sizeof got);
    printf("sv1 got %d \"%s\"\n", n, got);
    levels("end", f, u);
    bufferevent_free(f);
    loop("freed");

    /* BEV_OPT_DEFER_CALLBACKS on the filter: its callbacks run from the loop. */
    int sv2[2];
    make_socketpair(sv2);
    struct bufferevent *u2 = bufferevent_socket_new(base, sv2[0], BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *d = bufferevent_filter_new(u2, NULL, NULL,
                                                   BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, NULL, NULL);
    bufferevent_setcb(d, readcb, writecb, NULL, dn);
    printf("write(d, deferred) = %d\n", bufferevent_write(d, "deferred", 8));
    printf("returned from write\n");
    loop("deferred");
    bufferevent_free(d);
    loop("freed");
    close(sv[1]);
    close(sv2[1]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
