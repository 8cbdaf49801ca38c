/* A filter over a pair end: an input filter returning BEV_ERROR (no read callback, the bytes
 * stay where the filter left them), the filter's own read timeout (TIMEOUT|READING, reading
 * disabled, the underlying held again), EOF from below forwarded to the filter's event
 * callback, and the filter's struct fields. */
#include "common.h"

static struct event_base *base;

static enum bufferevent_filter_result picky(struct evbuffer *src, struct evbuffer *dst,
                                            ev_ssize_t lim, enum bufferevent_flush_mode mode,
                                            void *ctx)
{
    (void)lim;
    (void)ctx;
    size_t len = evbuffer_get_length(src);
    char buf[64];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    evbuffer_copyout(src, buf, n);
    buf[n] = '\0';
    printf("  picky: \"%s\" mode=%d\n", buf, (int)mode);
    if (strstr(buf, "bad") != NULL)
        return BEV_ERROR;
    evbuffer_remove_buffer(src, dst, len);
    return BEV_OK;
}

static void readcb(struct bufferevent *bev, void *arg)
{
    char buf[64];
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  readcb %s: \"%s\"\n", ptr_name(arg), buf);
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    printf("  eventcb %s %s enabled=%s\n", ptr_name(arg), bevflags(what),
           evflags(bufferevent_get_enabled(bev)));
}

int main(void)
{
    start();
    base = new_base();
    static char fn[] = "f";
    name_ptr(fn, "f");
    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    struct bufferevent *peer = pair[1];
    struct bufferevent *f = bufferevent_filter_new(pair[0], picky, NULL, 0, NULL, NULL);
    bufferevent_setcb(f, readcb, NULL, eventcb, fn);
    printf("f: ev_read events=%s fd=%d, ev_write events=%s, getfd=%d\n",
           evflags(event_get_events(&f->ev_read)), event_get_fd(&f->ev_read),
           evflags(event_get_events(&f->ev_write)), bufferevent_getfd(f));
    printf("f: enabled=%s, input==get_input %s\n", evflags(f->enabled),
           yesno(f->input == bufferevent_get_input(f)));
    bufferevent_enable(f, EV_READ);

    printf("peer writes \"a bad one\"\n");
    bufferevent_write(peer, "a bad one", 9);
    printf("loop = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("f input=%zu, under input=%zu\n", evbuffer_get_length(bufferevent_get_input(f)),
           evbuffer_get_length(bufferevent_get_input(pair[0])));
    evbuffer_drain(bufferevent_get_input(pair[0]), 100);
    printf("peer writes \"good\"\n");
    bufferevent_write(peer, "good", 4);
    printf("loop = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

    struct timeval t = ms(30);
    printf("set_timeouts(f, 30ms, NULL) = %d\n", bufferevent_set_timeouts(f, &t, NULL));
    show_pending("f ev_read", &f->ev_read);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_pending("f ev_read", &f->ev_read);
    printf("peer writes \"late\"\n");
    bufferevent_write(peer, "late", 4);
    printf("loop = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("f input=%zu, under input=%zu\n", evbuffer_get_length(bufferevent_get_input(f)),
           evbuffer_get_length(bufferevent_get_input(pair[0])));
    bufferevent_set_timeouts(f, NULL, NULL);
    printf("enable(f, EV_READ) = %d\n", bufferevent_enable(f, EV_READ));
    printf("f input=%zu, under input=%zu\n", evbuffer_get_length(bufferevent_get_input(f)),
           evbuffer_get_length(bufferevent_get_input(pair[0])));
    printf("loop = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

    printf("flush(peer, EV_WRITE, BEV_FINISHED) = %d\n", bufferevent_flush(peer, EV_WRITE, BEV_FINISHED));
    printf("loop = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    bufferevent_free(f);
    bufferevent_free(pair[0]);
    bufferevent_free(peer);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    printf("done\n");
    return 0;
}
