/* bufferevent_trigger and bufferevent_trigger_event: callbacks run inside the call, or from
 * the loop with BEV_TRIG_DEFER_CALLBACKS; the watermarks decide unless
 * BEV_TRIG_IGNORE_WATERMARKS; deferred triggers coalesce; on a pair (always deferred). */
#include "common.h"

static struct event_base *base;
static const char *where = "main";

static void readcb(struct bufferevent *bev, void *arg)
{
    printf("  readcb %s (from %s) input=%zu\n", ptr_name(arg), where,
           evbuffer_get_length(bufferevent_get_input(bev)));
}

static void writecb(struct bufferevent *bev, void *arg)
{
    printf("  writecb %s (from %s) output=%zu\n", ptr_name(arg), where,
           evbuffer_get_length(bufferevent_get_output(bev)));
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    printf("  eventcb %s %s (from %s)\n", ptr_name(arg), bevflags(what), where);
}

static void loop(const char *label)
{
    where = "loop";
    int r = event_base_loop(base, EVLOOP_NONBLOCK);
    where = "main";
    printf("%s: loop = %d\n", label, r);
}

int main(void)
{
    start();
    base = new_base();
    static char sn[] = "s", pn[] = "p";
    name_ptr(sn, "s");
    name_ptr(pn, "p");
    int sv[2];
    make_socketpair(sv);
    struct bufferevent *s = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(s, readcb, writecb, eventcb, sn);

    printf("trigger(s, EV_READ, 0)\n");
    bufferevent_trigger(s, EV_READ, 0);
    printf("trigger(s, EV_READ|EV_WRITE, 0)\n");
    bufferevent_trigger(s, EV_READ | EV_WRITE, 0);
    bufferevent_setwatermark(s, EV_READ, 5, 0);
    evbuffer_add(bufferevent_get_output(s), "xyz", 3);
    printf("output=3, read low watermark 5\n");
    printf("trigger(s, EV_READ|EV_WRITE, 0)\n");
    bufferevent_trigger(s, EV_READ | EV_WRITE, 0);
    printf("trigger(s, EV_READ|EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS)\n");
    bufferevent_trigger(s, EV_READ | EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS);
    printf("trigger(s, EV_READ, BEV_TRIG_IGNORE_WATERMARKS|BEV_TRIG_DEFER_CALLBACKS) twice\n");
    bufferevent_trigger(s, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    bufferevent_trigger(s, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    printf("trigger(s, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS) (output above the low watermark)\n");
    bufferevent_trigger(s, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
    loop("deferred");
    char got[16];
    drain_fd(sv[1], got, sizeof got);

    printf("trigger_event(s, EOF|READING, 0)\n");
    bufferevent_trigger_event(s, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
    printf("trigger_event(s, TIMEOUT|WRITING, BEV_TRIG_DEFER_CALLBACKS)\n");
    bufferevent_trigger_event(s, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, BEV_TRIG_DEFER_CALLBACKS);
    printf("trigger_event(s, ERROR, BEV_TRIG_DEFER_CALLBACKS)\n");
    bufferevent_trigger_event(s, BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
    printf("trigger_event(s, CONNECTED, BEV_TRIG_DEFER_CALLBACKS)\n");
    bufferevent_trigger_event(s, BEV_EVENT_CONNECTED, BEV_TRIG_DEFER_CALLBACKS);
    loop("events deferred");
    printf("enabled after the triggers: %s\n", evflags(bufferevent_get_enabled(s)));

    bufferevent_setcb(s, NULL, NULL, NULL, NULL);
    printf("no callbacks: trigger and trigger_event\n");
    bufferevent_trigger(s, EV_READ | EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS);
    bufferevent_trigger_event(s, BEV_EVENT_EOF, 0);
    loop("nothing");
    bufferevent_free(s);
    close(sv[1]);

    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    bufferevent_setcb(pair[0], readcb, writecb, eventcb, pn);
    printf("pair: trigger(p, EV_READ|EV_WRITE, 0)\n");
    bufferevent_trigger(pair[0], EV_READ | EV_WRITE, 0);
    printf("pair: trigger_event(p, EOF, 0)\n");
    bufferevent_trigger_event(pair[0], BEV_EVENT_EOF, 0);
    loop("pair");
    bufferevent_free(pair[0]);
    bufferevent_free(pair[1]);
    loop("freed");
    event_base_free(base);
    printf("done\n");
    return 0;
}
