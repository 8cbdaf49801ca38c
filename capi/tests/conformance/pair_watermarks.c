/* Watermarks across a bufferevent pair: the reader's read high watermark (10) limits what is
 * handed over; the writer's write low watermark (20) decides when its write callback runs; the
 * reader's low watermark (4) when its read callback runs. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *w, *r;

static void state(const char *label)
{
    printf("%s: w out=%zu | r in=%zu\n", label, evbuffer_get_length(bufferevent_get_output(w)),
           evbuffer_get_length(bufferevent_get_input(r)));
}

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    char buf[8];
    state("readcb");
    size_t n = bufferevent_read(bev, buf, 7);
    buf[n] = '\0';
    printf("  read %zu \"%s\"\n", n, buf);
    state("  after read");
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    (void)arg;
    state("writecb");
}

int main(void)
{
    start();
    base = new_base();
    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    w = pair[0];
    r = pair[1];
    bufferevent_setcb(w, NULL, writecb, NULL, NULL);
    bufferevent_setcb(r, readcb, NULL, NULL, NULL);
    bufferevent_setwatermark(w, EV_WRITE, 20, 0);
    bufferevent_setwatermark(r, EV_READ, 4, 10);
    bufferevent_enable(r, EV_READ);
    printf("write 30 = %d\n", bufferevent_write(w, "abcdefghijklmnopqrstuvwxyz0123", 30));
    state("written");
    printf("dispatch = %d\n", event_base_dispatch(base));
    state("end");
    bufferevent_free(w);
    bufferevent_free(r);
    event_base_free(base);
    printf("done\n");
    return 0;
}
