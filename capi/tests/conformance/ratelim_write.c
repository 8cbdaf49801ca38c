/* A write limit of 100 bytes per 50 ms tick (burst 100): 450 bytes of output leave 100 at a
 * time, the write event deleted after each until the refill timer adds it again; the write
 * callback (its low watermark is high) sees the output shrink by 100 each time. Setting a
 * limit enables writing again, so a bufferevent with nothing to send runs its write callback
 * once. A max single write of 200 without a limit writes 200 at a time. */
#include "common.h"

static struct event_base *base;
static int ncb;

static void writecb(struct bufferevent *b, void *arg)
{
    (void)arg;
    ncb++;
    size_t left = evbuffer_get_length(bufferevent_get_output(b));
    printf("writecb %d output=%zu write_limit=%zd max_to_write=%zd ev_write=%s\n", ncb, left,
           bufferevent_get_write_limit(b), bufferevent_get_max_to_write(b),
           event_pending(&b->ev_write, EV_WRITE, NULL) ? "pending" : "-");
}

static void drain_peer(int fd)
{
    char buf[2000];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        got += (size_t)n;
    printf("peer got %zu\n", got);
}

static void run(const char *title, size_t max_single, struct ev_token_bucket_cfg *cfg,
                size_t nbytes)
{
    int sv[2];
    make_socketpair(sv);
    evutil_make_socket_nonblocking(sv[1]);
    printf("-- %s\n", title);
    ncb = 0;
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, NULL, writecb, NULL, NULL);
    bufferevent_setwatermark(bev, EV_WRITE, 100000, 0);
    if (max_single)
        printf("set max single write = %d\n", bufferevent_set_max_single_write(bev, max_single));
    static char data[1000];
    memset(data, 'y', sizeof data);
    if (nbytes)
        printf("write %zu = %d\n", nbytes, bufferevent_write(bev, data, nbytes));
    printf("ev_write=%s\n", event_pending(&bev->ev_write, EV_WRITE, NULL) ? "pending" : "-");
    if (cfg) {
        printf("set rate limit = %d\n", bufferevent_set_rate_limit(bev, cfg));
        printf("ev_write=%s\n", event_pending(&bev->ev_write, EV_WRITE, NULL) ? "pending" : "-");
    }
    printf("max to write = %zd\n", bufferevent_get_max_to_write(bev));
    printf("dispatch = %d\n", event_base_dispatch(base));
    drain_peer(sv[1]);
    bufferevent_free(bev);
    close(sv[1]);
}

int main(void)
{
    start();
    base = new_base();
    struct timeval tick = ms(50);
    struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100000, 100000, 100, 100, &tick);
    run("max single write 200, no limit", 200, NULL, 450);
    run("100 bytes per tick", 0, cfg, 450);
    run("a limit and nothing to send", 0, cfg, 0);
    ev_token_bucket_cfg_free(cfg);
    event_base_free(base);
    printf("done\n");
    return 0;
}
