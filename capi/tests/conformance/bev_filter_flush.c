/* Filters over one end of a bufferevent_pair: an input filter that passes only whole lines
 * (BEV_NEED_MORE keeps a partial line in the underlying's input) and everything on
 * BEV_FLUSH / BEV_FINISHED; an output filter that marks the end on BEV_FINISHED;
 * bufferevent_flush's return values in each mode, and flushing reaching the pair below; a
 * filter over a filter. */
#include "common.h"

static struct event_base *base;

static const char *modename(enum bufferevent_flush_mode m)
{
    return m == BEV_NORMAL ? "NORMAL" : m == BEV_FLUSH ? "FLUSH" : m == BEV_FINISHED ? "FINISHED" : "?";
}

static enum bufferevent_filter_result lines(struct evbuffer *src, struct evbuffer *dst,
                                            ev_ssize_t lim, enum bufferevent_flush_mode mode,
                                            void *ctx)
{
    printf("  lines(%s): src=%zu lim=%zd mode=%s\n", ptr_name(ctx), evbuffer_get_length(src), lim,
           modename(mode));
    int moved = 0;
    size_t n;
    char *line;
    while ((line = evbuffer_readln(src, &n, EVBUFFER_EOL_LF)) != NULL) {
        evbuffer_add(dst, "<", 1);
        evbuffer_add(dst, line, n);
        evbuffer_add(dst, ">", 1);
        free(line);
        moved = 1;
    }
    if (mode != BEV_NORMAL && evbuffer_get_length(src) > 0) {
        evbuffer_add(dst, "{", 1);
        evbuffer_remove_buffer(src, dst, evbuffer_get_length(src));
        evbuffer_add(dst, "}", 1);
        moved = 1;
    }
    printf("  lines(%s) -> %s\n", ptr_name(ctx), moved ? "BEV_OK" : "BEV_NEED_MORE");
    return moved ? BEV_OK : BEV_NEED_MORE;
}

static enum bufferevent_filter_result marker(struct evbuffer *src, struct evbuffer *dst,
                                             ev_ssize_t lim, enum bufferevent_flush_mode mode,
                                             void *ctx)
{
    printf("  marker(%s): src=%zu lim=%zd mode=%s\n", ptr_name(ctx), evbuffer_get_length(src),
           lim, modename(mode));
    size_t len = evbuffer_get_length(src);
    evbuffer_remove_buffer(src, dst, len);
    if (mode == BEV_FINISHED) {
        evbuffer_add(dst, "$", 1);
        return BEV_OK;
    }
    return len ? BEV_OK : BEV_NEED_MORE;
}

static void readcb(struct bufferevent *bev, void *arg)
{
    printf("  readcb %s: input=%zu\n", ptr_name(arg), evbuffer_get_length(bufferevent_get_input(bev)));
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

static void show_input(const char *label, struct bufferevent *bev)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    char buf[256];
    evbuffer_copyout(in, buf, n < sizeof buf - 1 ? n : sizeof buf - 1);
    buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = '\0';
    printf("%s input=%zu \"%s\"\n", label, n, buf);
}

static void loop(const char *label)
{
    printf("%s: loop = %d\n", label, event_base_loop(base, EVLOOP_NONBLOCK));
}

int main(void)
{
    start();
    base = new_base();
    struct bufferevent *pair[2];
    printf("pair_new = %d\n", bufferevent_pair_new(base, 0, pair));
    struct bufferevent *peer = pair[1];
    static char fn[] = "f", gn[] = "g", pn[] = "peer";
    name_ptr(fn, "f");
    name_ptr(gn, "g");
    name_ptr(pn, "peer");
    struct bufferevent *f = bufferevent_filter_new(pair[0], lines, marker, 0, NULL, fn);
    bufferevent_setcb(f, readcb, writecb, eventcb, fn);
    bufferevent_setcb(peer, readcb, NULL, eventcb, pn);
    bufferevent_enable(peer, EV_READ);
    printf("enable(f, EV_READ) = %d\n", bufferevent_enable(f, EV_READ));

    printf("peer writes \"ab\"\n");
    bufferevent_write(peer, "ab", 2);
    loop("partial line");
    show_input("f", f);
    printf("under input=%zu\n", evbuffer_get_length(bufferevent_get_input(pair[0])));

    printf("peer writes \"c\\nde\"\n");
    bufferevent_write(peer, "c\nde", 4);
    loop("a line and a half");
    show_input("f", f);
    printf("under input=%zu\n", evbuffer_get_length(bufferevent_get_input(pair[0])));

    printf("flush(f, EV_READ, BEV_NORMAL) = %d\n", bufferevent_flush(f, EV_READ, BEV_NORMAL));
    printf("flush(f, EV_READ, BEV_FLUSH) = %d\n", bufferevent_flush(f, EV_READ, BEV_FLUSH));
    show_input("f", f);
    printf("under input=%zu\n", evbuffer_get_length(bufferevent_get_input(pair[0])));
    printf("flush(f, EV_READ, BEV_FLUSH) again = %d\n", bufferevent_flush(f, EV_READ, BEV_FLUSH));
    evbuffer_drain(bufferevent_get_input(f), 1000);

    printf("write(f, out) = %d\n", bufferevent_write(f, "out", 3));
    loop("written");
    show_input("peer", peer);
    evbuffer_drain(bufferevent_get_input(peer), 1000);
    printf("flush(f, EV_WRITE, BEV_NORMAL) = %d\n", bufferevent_flush(f, EV_WRITE, BEV_NORMAL));
    printf("flush(f, EV_WRITE, BEV_FINISHED) = %d\n", bufferevent_flush(f, EV_WRITE, BEV_FINISHED));
    show_input("peer", peer);
    loop("finished");

    /* A filter over the filter. */
    struct bufferevent *g = bufferevent_filter_new(f, lines, NULL, 0, NULL, gn);
    bufferevent_setcb(g, readcb, writecb, eventcb, gn);
    printf("get_underlying(g)==f %s, get_underlying(f)==pair[0] %s\n",
           yesno(bufferevent_get_underlying(g) == f),
           yesno(bufferevent_get_underlying(f) == pair[0]));
    printf("enable(g, EV_READ) = %d\n", bufferevent_enable(g, EV_READ));
    printf("peer writes \"x\\ny\\n\"\n");
    bufferevent_write(peer, "x\ny\n", 4);
    loop("two filters");
    show_input("g", g);
    printf("write(g, down) = %d\n", bufferevent_write(g, "down", 4));
    printf("flush(g, EV_WRITE, BEV_FLUSH) = %d\n", bufferevent_flush(g, EV_WRITE, BEV_FLUSH));
    loop("down");
    show_input("peer", peer);
    bufferevent_free(g);
    bufferevent_free(f);
    loop("freed");
    bufferevent_free(pair[0]);
    bufferevent_free(peer);
    loop("all freed");
    event_base_free(base);
    printf("done\n");
    return 0;
}
