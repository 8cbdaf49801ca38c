/* A rate limit on one end of a bufferevent_pair: a pair moves data without consulting the
 * buckets (as in libevent), but an end whose read bucket is used up is suspended, so its
 * partner's output waits until the bucket has bytes again; setting a limit on the writing end
 * with nothing to send runs no callback (a pair's enable only hands data over). */
#include "common.h"

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    printf("readcb input=%zu\n", evbuffer_get_length(bufferevent_get_input(b)));
}

static void writecb(struct bufferevent *b, void *arg)
{
    (void)arg;
    printf("writecb output=%zu\n", evbuffer_get_length(bufferevent_get_output(b)));
}

static void show(struct bufferevent *p[2])
{
    printf("p1 input=%zu p0 output=%zu\n", evbuffer_get_length(bufferevent_get_input(p[1])),
           evbuffer_get_length(bufferevent_get_output(p[0])));
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct bufferevent *p[2];
    bufferevent_pair_new(base, 0, p);
    bufferevent_setcb(p[0], NULL, writecb, NULL, NULL);
    bufferevent_setcb(p[1], readcb, NULL, NULL, NULL);
    bufferevent_enable(p[1], EV_READ);
    struct timeval long_tick = {1000000, 0};
    struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 100, 100, 100, &long_tick);
    printf("set p1 = %d\n", bufferevent_set_rate_limit(p[1], cfg));
    printf("dispatch = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("decrement p1 read 100 = %d\n", bufferevent_decrement_read_limit(p[1], 100));
    printf("write 5 = %d\n", bufferevent_write(p[0], "hello", 5));
    printf("dispatch = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    show(p);
    printf("decrement p1 read -50 = %d\n", bufferevent_decrement_read_limit(p[1], -50));
    show(p);
    printf("dispatch = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("p1 read limit = %zd\n", bufferevent_get_read_limit(p[1]));
    printf("set p0 = %d\n", bufferevent_set_rate_limit(p[0], cfg));
    printf("dispatch = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    ev_token_bucket_cfg_free(cfg);
    event_base_free(base);
    printf("done\n");
    return 0;
}
