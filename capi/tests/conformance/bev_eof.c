/* End of file: the peer closes (BEV_EVENT_EOF|READING, reading disabled); the peer writes then
 * closes (the read callback first, then EOF); no event callback set. */
#include "common.h"

static struct event_base *base;

static void readcb(struct bufferevent *b, void *arg)
{
    char buf[32];
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("readcb %s read %zu \"%s\"\n", ptr_name(arg), n, buf);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    printf("eventcb %s %s errno=%s\n", ptr_name(arg), bevflags(what),
           (what & BEV_EVENT_ERROR) ? errname(EVUTIL_SOCKET_ERROR()) : "-");
    show_bev("  bev", b);
}

static void run(const char *name, const char *data, int with_eventcb)
{
    int sv[2];
    make_socketpair(sv);
    printf("-- %s\n", name);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, NULL, with_eventcb ? eventcb : NULL, (void *)name);
    bufferevent_enable(bev, EV_READ);
    if (data)
        printf("peer write = %d\n", (int)write(sv[1], data, strlen(data)));
    close(sv[1]);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("after", bev);
    printf("enable(EV_READ) after EOF = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("after", bev);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    bufferevent_free(bev);
}

int main(void)
{
    start();
    base = new_base();
    static char a[] = "close", b[] = "data+close", c[] = "no eventcb";
    name_ptr(a, "close");
    name_ptr(b, "data+close");
    name_ptr(c, "no eventcb");
    run(a, NULL, 1);
    run(b, "last words", 1);
    run(c, "bye", 0);
    event_base_free(base);
    printf("done\n");
    return 0;
}
