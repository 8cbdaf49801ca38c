/* How much each read callback gets: 1000 bytes wait in the socket. With a max single read of
 * 300 and no limit, reads of 300; with a limit of 100 bytes per 50 ms tick (burst 100), reads
 * of 100, each of which empties the bucket, so the read event is deleted until the refill
 * timer adds it again. Only counts are printed: when each tick falls is up to the clock. */
#include "common.h"

static struct event_base *base;
static int ncb;
static size_t total;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(b);
    size_t len = evbuffer_get_length(in);
    evbuffer_drain(in, len);
    total += len;
    ncb++;
    printf("readcb %d got %zu (total %zu) read_limit=%zd max_to_read=%zd ev_read=%s\n", ncb, len,
           total, bufferevent_get_read_limit(b), bufferevent_get_max_to_read(b),
           event_pending(&b->ev_read, EV_READ, NULL) ? "pending" : "-");
    if (total == 1000)
        bufferevent_free(b);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
    bufferevent_free(b);
}

static void run(const char *title, size_t max_single, struct ev_token_bucket_cfg *cfg)
{
    int sv[2];
    make_socketpair(sv);
    static char data[1000];
    memset(data, 'x', sizeof data);
    printf("-- %s\n", title);
    printf("peer write = %zd\n", write(sv[1], data, sizeof data));
    ncb = 0;
    total = 0;
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, NULL, eventcb, NULL);
    if (max_single)
        printf("set max single read = %d\n", bufferevent_set_max_single_read(bev, max_single));
    if (cfg)
        printf("set rate limit = %d\n", bufferevent_set_rate_limit(bev, cfg));
    printf("max to read = %zd\n", bufferevent_get_max_to_read(bev));
    bufferevent_enable(bev, EV_READ);
    printf("dispatch = %d\n", event_base_dispatch(base));
    close(sv[1]);
}

int main(void)
{
    start();
    base = new_base();
    run("no limit", 0, NULL);
    run("max single read 300", 300, NULL);
    struct timeval tick = ms(50);
    struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 100, 100000, 100000, &tick);
    run("100 bytes per tick", 0, cfg);
    run("100 bytes per tick, max single read 30 (the limit decides)", 30, cfg);
    ev_token_bucket_cfg_free(cfg);
    event_base_free(base);
    printf("done\n");
    return 0;
}
