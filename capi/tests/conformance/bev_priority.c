/* bufferevent_priority_set / bufferevent_get_priority: a socket bufferevent's events take the
 * priority, which orders its callbacks against another event's; refused out of range, for a
 * pair and a filter, and while its read event is active. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *bev;
static int try_in_event = -2;

static void readcb(struct bufferevent *b, void *arg)
{
    char buf[32];
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  bufferevent readcb %s: \"%s\"\n", ptr_name(arg), buf);
}

static void plain_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("  plain event %s %s: read %zd\n", ptr_name(arg), evflags(what), n);
    if (try_in_event != -2) {
        printf("  priority_set(bev, %d) while its read event is active = %d\n", try_in_event,
               bufferevent_priority_set(bev, try_in_event));
        try_in_event = -2;
    }
}

static void round_(const char *label, int sv1, int pv1, struct event *plain)
{
    event_add(plain, NULL);
    write(sv1, "x", 1);
    write(pv1, "y", 1);
    printf("%s: loop = %d\n", label, event_base_loop(base, EVLOOP_NONBLOCK));
}

int main(void)
{
    start();
    base = new_base();
    printf("priority_init(3) = %d\n", event_base_priority_init(base, 3));
    static char bn[] = "bev", en[] = "plain";
    name_ptr(bn, "bev");
    name_ptr(en, "plain");
    int sv[2], pv[2];
    make_socketpair(sv);
    make_socketpair(pv);
    bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, NULL, NULL, bn);
    bufferevent_enable(bev, EV_READ);
    struct event *plain = event_new(base, pv[0], EV_READ, plain_cb, en);
    event_priority_set(plain, 1);
    printf("get_priority(bev) = %d\n", bufferevent_get_priority(bev));

    printf("priority_set(bev, 0) = %d\n", bufferevent_priority_set(bev, 0));
    printf("get_priority = %d, ev_read %d, ev_write %d\n", bufferevent_get_priority(bev),
           event_get_priority(&bev->ev_read), event_get_priority(&bev->ev_write));
    round_("bev at 0, plain at 1", sv[1], pv[1], plain);

    printf("priority_set(bev, 2) = %d\n", bufferevent_priority_set(bev, 2));
    round_("bev at 2, plain at 1", sv[1], pv[1], plain);

    printf("priority_set(bev, 3) = %d\n", bufferevent_priority_set(bev, 3));
    printf("priority_set(bev, -1) = %d\n", bufferevent_priority_set(bev, -1));
    printf("get_priority = %d\n", bufferevent_get_priority(bev));

    try_in_event = 0;
    round_("set while active", sv[1], pv[1], plain);
    printf("get_priority = %d\n", bufferevent_get_priority(bev));

    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    printf("pair: priority_set = %d, get_priority = %d\n", bufferevent_priority_set(pair[0], 0),
           bufferevent_get_priority(pair[0]));
    struct bufferevent *f = bufferevent_filter_new(pair[1], NULL, NULL, 0, NULL, NULL);
    printf("filter: priority_set = %d, get_priority = %d\n", bufferevent_priority_set(f, 0),
           bufferevent_get_priority(f));
    bufferevent_free(f);
    bufferevent_free(pair[0]);
    bufferevent_free(pair[1]);
    bufferevent_free(bev);
    event_free(plain);
    close(sv[1]);
    close(pv[0]);
    close(pv[1]);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    printf("done\n");
    return 0;
}
