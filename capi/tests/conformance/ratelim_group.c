/* A rate-limit group: two bufferevents share one read bucket of 100 bytes per 50 ms tick
 * (burst 100) with the default minimum share (64, under the rate). Each read may move the
 * bucket over the members, but at least the minimum share: here always 64, so 300 bytes reach
 * each read callback as 64, 64, 64, 64, 44, whichever member reads first. The group counts
 * what its members read. Before that, without waiting for a tick: what the group's bucket
 * holds after decrements and a new configuration, how an empty bucket suspends every member
 * (and one that joins later), and which calls are refused. A group's refill timer keeps the
 * loop running until the group is freed. */
#include "common.h"

#define NBEV 2

static struct event_base *base;
static struct bufferevent *bevs[NBEV];
static size_t got[NBEV][16];
static int ngot[NBEV];
static size_t total;

static void readcb(struct bufferevent *b, void *arg)
{
    int i = (int)(intptr_t)arg;
    struct evbuffer *in = bufferevent_get_input(b);
    size_t len = evbuffer_get_length(in);
    evbuffer_drain(in, len);
    if (ngot[i] < 16)
        got[i][ngot[i]++] = len;
    total += len;
    if (total == 300 * NBEV)
        event_base_loopbreak(base);
}

static const char *pending_read(struct bufferevent *b)
{
    return event_pending(&b->ev_read, EV_READ, NULL) ? "pending" : "-";
}

static void show(struct bufferevent_rate_limit_group *g, const char *when)
{
    printf("%s: group read=%zd write=%zd; bev0 ev_read=%s max_to_read=%zd; bev1 ev_read=%s\n",
           when, bufferevent_rate_limit_group_get_read_limit(g),
           bufferevent_rate_limit_group_get_write_limit(g), pending_read(bevs[0]),
           bufferevent_get_max_to_read(bevs[0]), pending_read(bevs[1]));
}

int main(void)
{
    start();
    base = new_base();
    int peers[NBEV];
    for (int i = 0; i < NBEV; i++) {
        int sv[2];
        make_socketpair(sv);
        peers[i] = sv[1];
        bevs[i] = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(bevs[i], readcb, NULL, NULL, (void *)(intptr_t)i);
        bufferevent_enable(bevs[i], EV_READ);
    }

    struct timeval long_tick = {1000000, 0};
    struct ev_token_bucket_cfg *slow = ev_token_bucket_cfg_new(1000, 2000, 500, 500, &long_tick);
    struct bufferevent_rate_limit_group *g = bufferevent_rate_limit_group_new(base, slow);
    printf("-- a group: read 1000 (burst 2000), write 500\n");
    show(g, "new");
    printf("add bev0 = %d\n", bufferevent_add_to_rate_limit_group(bevs[0], g));
    printf("add bev0 again = %d\n", bufferevent_add_to_rate_limit_group(bevs[0], g));
    printf("bev0 limit without its own: %d\n", bufferevent_get_read_limit(bevs[0]) == EV_SSIZE_MAX);
    show(g, "one member");
    printf("decrement read 400 = %d\n", bufferevent_rate_limit_group_decrement_read(g, 400));
    printf("decrement write 100 = %d\n", bufferevent_rate_limit_group_decrement_write(g, 100));
    show(g, "decremented");
    printf("decrement read 600 = %d\n", bufferevent_rate_limit_group_decrement_read(g, 600));
    show(g, "read bucket empty");
    printf("add bev1 = %d\n", bufferevent_add_to_rate_limit_group(bevs[1], g));
    show(g, "bev1 joined a suspended group");
    printf("decrement read -150 = %d\n", bufferevent_rate_limit_group_decrement_read(g, -150));
    show(g, "read bucket 150");
    printf("min share 100 = %d\n", bufferevent_rate_limit_group_set_min_share(g, 100));
    show(g, "min share 100");
    printf("min share above EV_SSIZE_MAX = %d\n",
           bufferevent_rate_limit_group_set_min_share(g, (size_t)EV_SSIZE_MAX + 1));
    printf("set cfg NULL = %d\n", bufferevent_rate_limit_group_set_cfg(g, NULL));
    struct ev_token_bucket_cfg *small = ev_token_bucket_cfg_new(20, 50, 10, 30, &long_tick);
    printf("set cfg read 20 (burst 50), write 10 (burst 30) = %d\n",
           bufferevent_rate_limit_group_set_cfg(g, small));
    show(g, "clipped, min share capped at the rates");
    printf("decrement read 100 = %d\n", bufferevent_rate_limit_group_decrement_read(g, 100));
    show(g, "suspended again");
    printf("remove bev1 = %d\n", bufferevent_remove_from_rate_limit_group(bevs[1]));
    show(g, "bev1 left");
    printf("remove bev0 = %d\n", bufferevent_remove_from_rate_limit_group(bevs[0]));
    show(g, "bev0 left");
    printf("remove bev0 again = %d\n", bufferevent_remove_from_rate_limit_group(bevs[0]));
    bufferevent_rate_limit_group_free(g);

    printf("-- a group of 100 bytes per 50 ms tick, 300 bytes for each member\n");
    struct timeval tick = ms(50);
    struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 100, 100, 100, &tick);
    g = bufferevent_rate_limit_group_new(base, cfg);
    ev_token_bucket_cfg_free(cfg);
    static char data[300];
    memset(data, 'z', sizeof data);
    for (int i = 0; i < NBEV; i++) {
        printf("add bev%d = %d\n", i, bufferevent_add_to_rate_limit_group(bevs[i], g));
        printf("peer%d write = %zd\n", i, write(peers[i], data, sizeof data));
    }
    printf("bev0 max to read = %zd\n", bufferevent_get_max_to_read(bevs[0]));
    printf("dispatch = %d\n", event_base_dispatch(base));
    for (int i = 0; i < NBEV; i++) {
        printf("bev%d reads:", i);
        for (int k = 0; k < ngot[i]; k++)
            printf(" %zu", got[i][k]);
        printf("\n");
    }
    ev_uint64_t r = 1, w = 1;
    bufferevent_rate_limit_group_get_totals(g, &r, &w);
    printf("totals read=%llu written=%llu\n", (unsigned long long)r, (unsigned long long)w);
    bufferevent_rate_limit_group_reset_totals(g);
    bufferevent_rate_limit_group_get_totals(g, &r, NULL);
    printf("after reset read=%llu\n", (unsigned long long)r);

    for (int i = 0; i < NBEV; i++) {
        bufferevent_remove_from_rate_limit_group(bevs[i]);
        bufferevent_free(bevs[i]);
        close(peers[i]);
    }
    struct timeval soon = ms(20);
    event_base_loopexit(base, &soon);
    printf("dispatch with the group and no member = %d\n", event_base_dispatch(base));
    bufferevent_rate_limit_group_free(g);
    printf("dispatch without the group = %d\n", event_base_dispatch(base));
    ev_token_bucket_cfg_free(slow);
    ev_token_bucket_cfg_free(small);
    event_base_free(base);
    printf("done\n");
    return 0;
}
