/* The read low watermark: the read callback runs only once the input holds at least `low`
 * bytes; the peer sends 4 bytes three times, 30 ms apart, with low = 10. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *bev;
static struct event *sender;
static int sv[2];
static int sent;

static void readcb(struct bufferevent *b, void *arg)
{
    (void)arg;
    show_bev("readcb", b);
    char buf[64];
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  read %zu \"%s\"\n", n, buf);
    printf("  bufferevent_disable(EV_READ) = %d\n", bufferevent_disable(b, EV_READ));
}

static void send_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    sent++;
    printf("send_cb %d what=%s write = %d\n", sent, evflags(what), (int)write(sv[1], "abcd", 4));
    show_bev("  bev", bev);
    if (sent == 3) {
        event_del(sender);
        printf("  setwatermark(READ, 20, 0)\n");
        bufferevent_setwatermark(bev, EV_READ, 20, 0);
        show_bev("  bev", bev);
        printf("  write 16 = %d\n", (int)write(sv[1], "0123456789abcdef", 16));
    }
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
    show_bev("  bev", b);
    bufferevent_disable(b, EV_READ);
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(sv);
    bev = bufferevent_socket_new(base, sv[0], 0);
    bufferevent_setcb(bev, readcb, NULL, eventcb, NULL);
    bufferevent_setwatermark(bev, EV_READ, 10, 0);
    bufferevent_enable(bev, EV_READ);
    show_bev("start", bev);
    sender = event_new(base, -1, EV_PERSIST, send_cb, NULL);
    struct timeval tv = ms(30);
    event_add(sender, &tv);
    printf("dispatch = %d\n", event_base_dispatch(base));
    show_bev("end", bev);
    event_free(sender);
    bufferevent_free(bev);
    event_base_free(base);
    close(sv[1]);
    printf("done\n");
    return 0;
}
