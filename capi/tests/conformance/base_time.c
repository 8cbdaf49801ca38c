/* event_base_update_cache_time: inside a callback the cached time (event_base_gettimeofday_cached)
 * stays at the iteration's start while time passes, and becomes the time now after the call;
 * outside a loop there is no cache. event_gettime_monotonic: returns 0, never goes back, and
 * refuses NULL. */
#include "common.h"

static struct event_base *base;

static long diff_ms(const struct timeval *a, const struct timeval *b)
{
    struct timeval d;
    timersub(a, b, &d);
    return d.tv_sec * 1000 + d.tv_usec / 1000;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    struct timeval c1, c2, c3, now;
    event_base_gettimeofday_cached(base, &c1);
    usleep(150 * 1000);
    event_base_gettimeofday_cached(base, &c2);
    gettimeofday(&now, NULL);
    printf("in the callback: cache unchanged after 150ms: %s, behind the clock by >= 100ms: %s\n",
           yesno(timercmp(&c1, &c2, ==)), yesno(diff_ms(&now, &c2) >= 100));
    printf("update_cache_time = %d\n", event_base_update_cache_time(base));
    event_base_gettimeofday_cached(base, &c3);
    gettimeofday(&now, NULL);
    printf("after it: moved by >= 100ms: %s, within 50ms of the clock: %s\n",
           yesno(diff_ms(&c3, &c2) >= 100), yesno(labs(diff_ms(&now, &c3)) < 50));
}

int main(void)
{
    start();
    base = new_base();
    struct timeval c, now;
    printf("update_cache_time outside a loop = %d\n", event_base_update_cache_time(base));
    usleep(100 * 1000);
    event_base_gettimeofday_cached(base, &c);
    gettimeofday(&now, NULL);
    printf("outside a loop the cached time is the clock's: %s\n", yesno(labs(diff_ms(&now, &c)) < 50));
    printf("update_cache_time(NULL) without a current base = %d\n", event_base_update_cache_time(NULL));

    struct event *t = evtimer_new(base, cb, NULL);
    struct timeval t10 = ms(10);
    evtimer_add(t, &t10);
    printf("dispatch = %d\n", event_base_dispatch(base));
    event_free(t);

    struct timeval m1, m2, m3;
    int r1 = event_gettime_monotonic(base, &m1);
    usleep(20 * 1000);
    int r2 = event_gettime_monotonic(base, &m2);
    int r3 = event_gettime_monotonic(base, &m3);
    printf("gettime_monotonic = %d %d %d\n", r1, r2, r3);
    printf("non-decreasing: %s, advanced >= 10ms over a 20ms sleep: %s, tv_usec in range: %s\n",
           yesno(!timercmp(&m2, &m1, <) && !timercmp(&m3, &m2, <)), yesno(diff_ms(&m2, &m1) >= 10),
           yesno(m1.tv_usec >= 0 && m1.tv_usec < 1000000));
    printf("gettime_monotonic(base, NULL) = %d\n", event_gettime_monotonic(base, NULL));
    printf("gettime_monotonic(NULL, tv) = %d\n", event_gettime_monotonic(NULL, &m1));
    event_base_free(base);
    printf("done\n");
    return 0;
}
