/* bufferevent_socket_connect to a listening 127.0.0.1 port, after bufferevent_enable(EV_READ):
 * the pending state of ev_read and ev_write while connecting, then BEV_EVENT_CONNECTED, then
 * data both ways. */
#include "common.h"

static struct event_base *base;
static int lfd, server = -1;

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    char buf[64];
    show_bev("readcb", bev);
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  read %zu \"%s\"\n", n, buf);
    bufferevent_free(bev);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    show_bev("writecb", bev);
    char buf[64];
    int n = drain_fd(server, buf, sizeof buf);
    printf("  server read %d \"%s\"\n", n, n > 0 ? buf : "");
    printf("  server write = %d\n", (int)write(server, "welcome", 7));
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    printf("eventcb %s\n", bevflags(what));
    show_bev("  in eventcb", bev);
    if (what & BEV_EVENT_CONNECTED) {
        server = accept(lfd, NULL, NULL);
        printf("  accepted: %s, peer port matches: %s\n", yesno(server >= 0),
               yesno(peer_port(server) == local_port(bufferevent_getfd(bev))));
        printf("  bufferevent_write = %d\n", bufferevent_write(bev, "hello", 5));
        show_bev("  after write", bev);
    }
}

int main(void)
{
    start();
    base = new_base();
    struct sockaddr_in sin;
    lfd = tcp_listener(&sin);

    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, readcb, writecb, eventcb, NULL);
    show_bev("new", bev);
    printf("getfd=%s\n", fd_name(bufferevent_getfd(bev)));
    printf("bufferevent_enable(EV_READ) = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("enabled", bev);
    int r = bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin);
    printf("bufferevent_socket_connect = %d\n", r);
    int fd = bufferevent_getfd(bev);
    name_fd(fd, "bevfd");
    printf("getfd >= 0: %s\n", yesno(fd >= 0));
    show_bev("connecting", bev);
    printf("ev_read fd=%s ev_write fd=%s\n", fd_name(event_get_fd(&bev->ev_read)),
           fd_name(event_get_fd(&bev->ev_write)));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("bevfd is %s\n", fd_state(fd));
    event_base_free(base);
    close(server);
    close(lfd);
    printf("done\n");
    return 0;
}
