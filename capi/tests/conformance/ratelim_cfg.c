/* Token-bucket configurations and a bufferevent's own limit, without waiting for a tick (the
 * tick is a million seconds long, so no refill happens while this runs): which configurations
 * are refused, what the buckets hold after set, decrement and a new configuration, what the
 * next read and write may move, the max single read and write, and how a limit suspends and
 * resumes the write event. */
#include "common.h"

static struct event_base *base;
static int nwrite;

static void writecb(struct bufferevent *b, void *arg)
{
    (void)arg;
    nwrite++;
    printf("writecb %d output=%zu\n", nwrite, evbuffer_get_length(bufferevent_get_output(b)));
}

static void show(struct bufferevent *bev, const char *when)
{
    printf("%s: read_limit=%zd write_limit=%zd max_to_read=%zd max_to_write=%zd"
           " ev_read=%s ev_write=%s\n",
           when, bufferevent_get_read_limit(bev), bufferevent_get_write_limit(bev),
           bufferevent_get_max_to_read(bev), bufferevent_get_max_to_write(bev),
           event_pending(&bev->ev_read, EV_READ, NULL) ? "pending" : "-",
           event_pending(&bev->ev_write, EV_WRITE, NULL) ? "pending" : "-");
}

static const char *null_or(const void *p)
{
    return p ? "cfg" : "NULL";
}

int main(void)
{
    start();
    base = new_base();

    struct timeval long_tick = {1000000, 0};
    printf("-- refused\n");
    printf("read rate > burst: %s\n", null_or(ev_token_bucket_cfg_new(200, 100, 10, 10, &long_tick)));
    printf("write rate > burst: %s\n", null_or(ev_token_bucket_cfg_new(10, 10, 200, 100, &long_tick)));
    printf("read rate 0: %s\n", null_or(ev_token_bucket_cfg_new(0, 10, 10, 10, &long_tick)));
    printf("write rate 0: %s\n", null_or(ev_token_bucket_cfg_new(10, 10, 0, 10, &long_tick)));
    printf("burst above EV_RATE_LIMIT_MAX: %s\n",
           null_or(ev_token_bucket_cfg_new(10, (size_t)EV_RATE_LIMIT_MAX + 1, 10, 10, &long_tick)));
    struct ev_token_bucket_cfg *dflt = ev_token_bucket_cfg_new(1, 1, 1, 1, NULL);
    printf("NULL tick: %s\n", null_or(dflt));
    ev_token_bucket_cfg_free(dflt);

    int sv[2];
    make_socketpair(sv);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, NULL, writecb, NULL, NULL);
    bufferevent_enable(bev, EV_READ);

    printf("-- no limit\n");
    printf("cfg = %s\n", null_or(bufferevent_get_token_bucket_cfg(bev)));
    printf("limits are EV_SSIZE_MAX: %d %d\n", bufferevent_get_read_limit(bev) == EV_SSIZE_MAX,
           bufferevent_get_write_limit(bev) == EV_SSIZE_MAX);
    printf("max single read=%zd write=%zd\n", bufferevent_get_max_single_read(bev),
           bufferevent_get_max_single_write(bev));
    printf("max to read=%zd write=%zd\n", bufferevent_get_max_to_read(bev),
           bufferevent_get_max_to_write(bev));
    printf("set max single read 100 = %d, write 200 = %d\n",
           bufferevent_set_max_single_read(bev, 100), bufferevent_set_max_single_write(bev, 200));
    printf("max single read=%zd write=%zd, max to read=%zd write=%zd\n",
           bufferevent_get_max_single_read(bev), bufferevent_get_max_single_write(bev),
           bufferevent_get_max_to_read(bev), bufferevent_get_max_to_write(bev));
    printf("set max single read 0 = %d, write SIZE_MAX = %d\n",
           bufferevent_set_max_single_read(bev, 0),
           bufferevent_set_max_single_write(bev, (size_t)-1));
    printf("max single read=%zd write=%zd\n", bufferevent_get_max_single_read(bev),
           bufferevent_get_max_single_write(bev));
    bufferevent_set_max_single_read(bev, 10);
    show(bev, "before the limit");

    printf("-- a limit: read 100 (burst 500), write 200 (burst 300)\n");
    struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 500, 200, 300, &long_tick);
    printf("set = %d\n", bufferevent_set_rate_limit(bev, cfg));
    printf("cfg is the one given: %d\n", bufferevent_get_token_bucket_cfg(bev) == cfg);
    show(bev, "after set");
    printf("decrement read 30 = %d\n", bufferevent_decrement_read_limit(bev, 30));
    show(bev, "read -30");
    printf("decrement write 250 = %d\n", bufferevent_decrement_write_limit(bev, 250));
    show(bev, "write -250");
    printf("set the same cfg again = %d\n", bufferevent_set_rate_limit(bev, cfg));
    show(bev, "same cfg");
    printf("decrement write -80 = %d\n", bufferevent_decrement_write_limit(bev, -80));
    show(bev, "write +80");
    printf("decrement read 70 = %d\n", bufferevent_decrement_read_limit(bev, 70));
    show(bev, "read -70");
    printf("decrement read -1000 = %d\n", bufferevent_decrement_read_limit(bev, -1000));
    show(bev, "read +1000");

    printf("-- another cfg: read 10 (burst 20), write 5 (burst 5)\n");
    struct ev_token_bucket_cfg *small = ev_token_bucket_cfg_new(10, 20, 5, 5, &long_tick);
    printf("set = %d\n", bufferevent_set_rate_limit(bev, small));
    printf("cfg is the new one: %d\n", bufferevent_get_token_bucket_cfg(bev) == small);
    show(bev, "clipped to the bursts");
    printf("decrement write 5 = %d\n", bufferevent_decrement_write_limit(bev, 5));
    show(bev, "write used up");
    printf("bufferevent_write 3 = %d\n", bufferevent_write(bev, "abc", 3));
    show(bev, "output waiting");

    printf("-- lifted\n");
    printf("set NULL = %d\n", bufferevent_set_rate_limit(bev, NULL));
    printf("cfg = %s\n", null_or(bufferevent_get_token_bucket_cfg(bev)));
    show(bev, "no limit");
    printf("dispatch = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    char got[8];
    printf("peer read %zd\n", read(sv[1], got, sizeof got));

    bufferevent_free(bev);
    ev_token_bucket_cfg_free(cfg);
    ev_token_bucket_cfg_free(small);
    close(sv[1]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
