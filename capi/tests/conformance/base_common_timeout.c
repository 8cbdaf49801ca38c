/* event_base_init_common_timeout: the returned timeval's bits as libevent makes them (magic,
 * index, microseconds), the same pointer for the same duration, a duration over a second of
 * microseconds, a common timeval given back; timers added with it fire after the duration in
 * the order they were added, with event_pending's time in the future and without the bits; a
 * persistent event with a common timeout; ev_timeout of an event_assign'd struct keeps them. */
#include "common.h"

static struct event_base *base;
static struct event *c1, *c2, *c3, *plain, *per;
static struct event own;
static struct timeval started;
static int per_runs;

static long elapsed_ms(void)
{
    struct timeval now, d;
    gettimeofday(&now, NULL);
    timersub(&now, &started, &d);
    return d.tv_sec * 1000 + d.tv_usec / 1000;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    long e = elapsed_ms();
    printf("cb %s what=%s after>=90ms=%s\n", ptr_name(arg), evflags(what), yesno(e >= 90));
    if (arg == per && ++per_runs == 3) {
        event_del(per);
        printf("  per deleted after %d runs\n", per_runs);
    }
}

static int count_event(const struct event_base *b, const struct event *ev, void *arg)
{
    (void)b;
    (void)ev;
    ++*(int *)arg;
    return 0;
}

static void show_tv(const char *label, const struct timeval *tv)
{
    if (tv == NULL) {
        printf("%s: NULL\n", label);
        return;
    }
    printf("%s: tv_sec=%ld tv_usec=%ld (0x%lx) magic=0x%lx index=%ld usec=%ld\n", label,
           (long)tv->tv_sec, (long)tv->tv_usec, (unsigned long)tv->tv_usec,
           (unsigned long)tv->tv_usec & 0xf0000000ul, ((long)tv->tv_usec >> 20) & 0xff,
           (long)tv->tv_usec & 0xfffff);
}

int main(void)
{
    start();
    base = new_base();
    struct timeval d100 = ms(100), d50 = ms(50), d100b = ms(100);
    struct timeval big = {0, 1500000};
    const struct timeval *ct = event_base_init_common_timeout(base, &d100);
    const struct timeval *ct50 = event_base_init_common_timeout(base, &d50);
    const struct timeval *again = event_base_init_common_timeout(base, &d100b);
    const struct timeval *ctbig = event_base_init_common_timeout(base, &big);
    const struct timeval *given_back = event_base_init_common_timeout(base, ct50);
    show_tv("common 100ms", ct);
    show_tv("common 50ms", ct50);
    show_tv("common 1.5s", ctbig);
    printf("same duration, same pointer: %s\n", yesno(again == ct));
    printf("a common timeval given back: same pointer: %s\n", yesno(given_back == ct50));
    printf("distinct: %s\n", yesno(ct != ct50 && ct != ctbig && ct50 != ctbig));

    c1 = evtimer_new(base, cb, event_self_cbarg());
    c2 = evtimer_new(base, cb, event_self_cbarg());
    c3 = evtimer_new(base, cb, event_self_cbarg());
    plain = evtimer_new(base, cb, event_self_cbarg());
    per = event_new(base, -1, EV_PERSIST, cb, event_self_cbarg());
    name_ptr(c1, "c1");
    name_ptr(c2, "c2");
    name_ptr(c3, "c3");
    name_ptr(plain, "plain");
    name_ptr(per, "per");
    event_assign(&own, base, -1, 0, cb, &own);
    name_ptr(&own, "own");

    gettimeofday(&started, NULL);
    struct timeval t250 = ms(250);
    evtimer_add(c1, ct);
    evtimer_add(c2, ct);
    evtimer_add(&own, ct);
    evtimer_add(plain, &t250);
    evtimer_add(c3, ct);
    event_add(per, ct);
    show_pending("c1", c1);
    show_timeout("c1", c1);
    struct timeval when;
    event_pending(c1, EV_TIMEOUT, &when);
    printf("c1: event_pending's tv_usec is microseconds: %s\n", yesno(when.tv_usec >= 0 && when.tv_usec < 1000000));
    printf("own: ev_timeout magic=0x%lx index=%ld usec<1e6=%s\n",
           (unsigned long)own.ev_timeout.tv_usec & 0xf0000000ul,
           ((long)own.ev_timeout.tv_usec >> 20) & 0xff,
           yesno((own.ev_timeout.tv_usec & 0xfffff) < 1000000));

    printf("dump with common timeouts pending:\n");
    dump_events(base);
    int visited = 0;
    event_base_foreach_event(base, count_event, &visited);
    printf("foreach visits %d events\n", visited);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("own after it ran: ev_timeout magic=0x%lx\n",
           (unsigned long)own.ev_timeout.tv_usec & 0xf0000000ul);

    event_free(c1);
    event_free(c2);
    event_free(c3);
    event_free(plain);
    event_free(per);
    event_base_free(base);
    printf("done\n");
    return 0;
}
