/* bufferevent_filter_new over a socket bufferevent: an input filter that upper-cases what the
 * socket reads, an output filter that frames what the program writes; the underlying's
 * callbacks are taken over, its reading held until the filter reads; EOF forwarded; freeing the
 * filter with and without BEV_OPT_CLOSE_ON_FREE; the null filters. */
#include "common.h"
#include <ctype.h>

static struct event_base *base;

static const char *modename(enum bufferevent_flush_mode m)
{
    return m == BEV_NORMAL ? "NORMAL" : m == BEV_FLUSH ? "FLUSH" : m == BEV_FINISHED ? "FINISHED" : "?";
}

static enum bufferevent_filter_result upper(struct evbuffer *src, struct evbuffer *dst,
                                            ev_ssize_t lim, enum bufferevent_flush_mode mode,
                                            void *ctx)
{
    printf("  upper: src=%zu dst=%zu lim=%zd mode=%s ctx=%s\n", evbuffer_get_length(src),
           evbuffer_get_length(dst), lim, modename(mode), ptr_name(ctx));
    char buf[256];
    int n, total = 0;
    while ((n = evbuffer_remove(src, buf, sizeof buf)) > 0) {
        for (int i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        evbuffer_add(dst, buf, (size_t)n);
        total += n;
    }
    return total ? BEV_OK : BEV_NEED_MORE;
}

static enum bufferevent_filter_result frame(struct evbuffer *src, struct evbuffer *dst,
                                            ev_ssize_t lim, enum bufferevent_flush_mode mode,
                                            void *ctx)
{
    size_t len = evbuffer_get_length(src);
    printf("  frame: src=%zu dst=%zu lim=%zd mode=%s ctx=%s\n", len, evbuffer_get_length(dst),
           lim, modename(mode), ptr_name(ctx));
    if (len == 0)
        return BEV_NEED_MORE;
    char head[32];
    int h = snprintf(head, sizeof head, "[%zu]", len);
    evbuffer_add(dst, head, (size_t)h);
    evbuffer_remove_buffer(src, dst, len);
    return BEV_OK;
}

static void free_ctx(void *ctx)
{
    printf("  free_context %s\n", ptr_name(ctx));
}

static void readcb(struct bufferevent *bev, void *arg)
{
    char buf[128];
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  readcb %s: read %zu \"%s\"\n", ptr_name(arg), n, buf);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    printf("  writecb %s: output=%zu\n", ptr_name(arg),
           evbuffer_get_length(bufferevent_get_output(bev)));
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    printf("  eventcb %s %s\n", ptr_name(arg), bevflags(what));
}

static void under_readcb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    printf("  program's readcb on the underlying %s (should not run)\n", ptr_name(arg));
}

static void loop(const char *label)
{
    printf("%s: loop = %d\n", label, event_base_loop(base, EVLOOP_NONBLOCK));
}

int main(void)
{
    start();
    base = new_base();
    int sv[2];
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    name_fd(sv[1], "sv1");
    static char un[] = "under", fn[] = "filt", cn[] = "ctx";
    name_ptr(un, "under");
    name_ptr(fn, "filt");
    name_ptr(cn, "ctx");

    struct bufferevent *under = bufferevent_socket_new(base, sv[0], 0);
    bufferevent_setcb(under, under_readcb, NULL, NULL, un);
    show_bev("under before", under);
    struct bufferevent *filt = bufferevent_filter_new(under, upper, frame, 0, free_ctx, cn);
    printf("filter_new: %s\n", filt ? "made" : "NULL");
    name_ptr(filt, "filt-bev");
    name_ptr(under, "under-bev");
    printf("get_underlying(filt)=%s get_underlying(under)=%s\n",
           ptr_name(bufferevent_get_underlying(filt)), ptr_name(bufferevent_get_underlying(under)));
    printf("getfd(filt)=%s getfd(under)=%s get_base==base %s\n", fd_name(bufferevent_getfd(filt)),
           fd_name(bufferevent_getfd(under)), yesno(bufferevent_get_base(filt) == base));
    show_bev("under after filter_new", under);
    show_bev("filt", filt);
    bufferevent_setcb(filt, readcb, writecb, eventcb, fn);

    printf("write(filt, hello) = %d\n", bufferevent_write(filt, "hello", 5));
    show_bev("filt", filt);
    printf("under output=%zu\n", evbuffer_get_length(bufferevent_get_output(under)));
    loop("write");
    char got[128];
    int n = drain_fd(sv[1], got, sizeof got);
    printf("sv1 got %d \"%s\"\n", n, got);

    printf("write(sv1, abc def) = %zd\n", write(sv[1], "abc def", 7));
    loop("not reading yet");
    printf("under input=%zu\n", evbuffer_get_length(bufferevent_get_input(under)));
    printf("enable(filt, EV_READ) = %d\n", bufferevent_enable(filt, EV_READ));
    show_bev("under", under);
    loop("reading");
    show_bev("filt", filt);

    printf("disable(filt, EV_READ) = %d\n", bufferevent_disable(filt, EV_READ));
    show_bev("under", under);
    printf("enable(filt, EV_READ) = %d\n", bufferevent_enable(filt, EV_READ));
    printf("write(sv1, xyz) = %zd\n", write(sv[1], "xyz", 3));
    loop("reading again");

    printf("shutdown(sv1, SHUT_WR) = %d\n", shutdown(sv[1], SHUT_WR));
    loop("eof");
    show_bev("under", under);
    show_bev("filt", filt);

    bufferevent_free(filt);
    printf("filter freed\n");
    loop("after free");
    bufferevent_data_cb r = (bufferevent_data_cb)1, w = (bufferevent_data_cb)1;
    bufferevent_event_cb e = (bufferevent_event_cb)1;
    bufferevent_getcb(under, &r, &w, &e, NULL);
    printf("under callbacks cleared: %s\n", yesno(r == NULL && w == NULL && e == NULL));
    show_bev("under", under);
    bufferevent_free(under);
    loop("under freed");
    printf("sv0 %s\n", fd_state(sv[0]));
    close(sv[0]);
    close(sv[1]);

    /* Null filters and BEV_OPT_CLOSE_ON_FREE. */
    int sv2[2];
    make_socketpair(sv2);
    name_fd(sv2[0], "sv2-0");
    struct bufferevent *u2 = bufferevent_socket_new(base, sv2[0], BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *f2 = bufferevent_filter_new(u2, NULL, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
    static char f2n[] = "f2";
    name_ptr(f2n, "f2");
    bufferevent_setcb(f2, readcb, writecb, eventcb, f2n);
    printf("enable(f2, EV_READ) = %d\n", bufferevent_enable(f2, EV_READ));
    printf("write(f2, pass) = %d\n", bufferevent_write(f2, "pass", 4));
    printf("write(sv2-1, through) = %zd\n", write(sv2[1], "through", 7));
    loop("null filters");
    n = drain_fd(sv2[1], got, sizeof got);
    printf("sv2-1 got %d \"%s\"\n", n, got);
    bufferevent_free(f2);
    printf("after free(f2): sv2-0 %s\n", fd_state(sv2[0]));
    loop("f2 freed");
    loop("again");
    printf("sv2-0 %s\n", fd_state(sv2[0]));
    event_base_free(base);
    printf("done\n");
    return 0;
}
