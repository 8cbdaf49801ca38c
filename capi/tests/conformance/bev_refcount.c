/* bufferevent_incref / bufferevent_decref: a free with a reference held only clears the
 * callbacks (the bufferevent goes on reading, its fd stays open), the last decref frees;
 * decref's return values; decref without free; a decref inside the bufferevent's own
 * callback. */
#include "common.h"

static struct event_base *base;

static void readcb(struct bufferevent *bev, void *arg)
{
    char buf[64];
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  readcb %s: \"%s\"\n", ptr_name(arg), buf);
    if (strcmp(ptr_name(arg), "c") == 0)
        printf("  decref inside its read callback = %d\n", bufferevent_decref(bev));
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    printf("  eventcb %s %s\n", ptr_name(arg), bevflags(what));
}

static void loop(const char *label)
{
    printf("%s: loop = %d\n", label, event_base_loop(base, EVLOOP_NONBLOCK));
}

int main(void)
{
    start();
    base = new_base();
    static char an[] = "a", bn[] = "b", cn[] = "c";
    name_ptr(an, "a");
    name_ptr(bn, "b");
    name_ptr(cn, "c");

    int sv[2];
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    struct bufferevent *a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(a, readcb, NULL, eventcb, an);
    bufferevent_enable(a, EV_READ);
    bufferevent_incref(a);
    bufferevent_incref(a);
    printf("two increfs\n");
    bufferevent_free(a);
    printf("freed with references held\n");
    show_bev("a", a);
    bufferevent_data_cb r = (bufferevent_data_cb)1;
    bufferevent_getcb(a, &r, NULL, NULL, NULL);
    printf("a's read callback cleared: %s\n", yesno(r == NULL));
    printf("write(sv1, one) = %zd\n", write(sv[1], "one", 3));
    loop("no callback");
    printf("a input=%zu (still reading)\n", evbuffer_get_length(bufferevent_get_input(a)));
    printf("decref = %d\n", bufferevent_decref(a));
    printf("sv0 %s\n", fd_state(sv[0]));
    printf("decref = %d\n", bufferevent_decref(a));
    printf("sv0 right after the last decref: %s\n", fd_state(sv[0]));
    loop("finalized");
    printf("sv0 %s\n", fd_state(sv[0]));
    close(sv[1]);

    /* decref without free: the last reference frees it, callbacks and all. */
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    struct bufferevent *b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, readcb, NULL, eventcb, bn);
    bufferevent_enable(b, EV_READ);
    printf("write(sv1, two) = %zd\n", write(sv[1], "two", 3));
    printf("decref(b) = %d\n", bufferevent_decref(b));
    loop("b decref'd");
    printf("sv0 %s\n", fd_state(sv[0]));
    close(sv[1]);

    /* decref inside its own callback: references remain until the callback returns. */
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    struct bufferevent *c = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c, readcb, NULL, eventcb, cn);
    bufferevent_enable(c, EV_READ);
    printf("write(sv1, three) = %zd\n", write(sv[1], "three", 5));
    loop("c");
    loop("c again");
    printf("sv0 %s\n", fd_state(sv[0]));
    close(sv[1]);

    /* incref, then free twice: the second free drops the last reference. */
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    struct bufferevent *d = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_incref(d);
    bufferevent_free(d);
    printf("first free: sv0 %s, enabled=%s\n", fd_state(sv[0]), evflags(bufferevent_get_enabled(d)));
    bufferevent_free(d);
    loop("second free");
    printf("sv0 %s\n", fd_state(sv[0]));
    close(sv[1]);
    /* decref while its deferred callback is queued: 0, and the callback still runs. */
    static char pn[] = "p";
    name_ptr(pn, "p");
    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    bufferevent_setcb(pair[0], readcb, NULL, eventcb, pn);
    bufferevent_enable(pair[0], EV_READ);
    bufferevent_write(pair[1], "four", 4);
    printf("decref(p) with its read callback queued = %d\n", bufferevent_decref(pair[0]));
    loop("p");
    bufferevent_free(pair[1]);
    loop("pair freed");
    event_base_free(base);
    printf("done\n");
    return 0;
}
