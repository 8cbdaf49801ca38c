/* The backlog a listener listens with, read back from the kernel (TCP_INFO's tcpi_sacked is a
 * listening socket's maximum backlog on Linux): a positive one as given, a negative one as
 * libevent's "reasonable default" (128, not SOMAXCONN), 0 refused by evconnlistener_new_bind,
 * and 0 to evconnlistener_new keeping the backlog of a socket that already listens. */
#include "common.h"
#include <netinet/tcp.h>

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)l;
    (void)sa;
    (void)socklen;
    (void)arg;
    close(fd);
}

static long backlog_of(evutil_socket_t fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        return -1;
    return (long)info.tcpi_sacked;
}

static struct sockaddr_in loopback(void)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sin;
}

static void bind_with(struct event_base *base, int backlog)
{
    struct sockaddr_in sin = loopback();
    struct evconnlistener *lev = evconnlistener_new_bind(
        base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, backlog,
        (struct sockaddr *)&sin, sizeof sin);
    if (!lev) {
        printf("new_bind backlog %d: NULL\n", backlog);
        return;
    }
    printf("new_bind backlog %d: listens with %ld\n", backlog, backlog_of(evconnlistener_get_fd(lev)));
    evconnlistener_free(lev);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    bind_with(base, 5);
    bind_with(base, -1);
    bind_with(base, -7);
    bind_with(base, 0);

    /* evconnlistener_new on a socket that already listens with 3: 0 leaves it as it is. */
    struct sockaddr_in sin = loopback();
    evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    listen(fd, 3);
    struct evconnlistener *lev =
        evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 0, fd);
    printf("new on a listening socket, backlog 0: %s, listens with %ld\n", lev ? "ok" : "NULL",
           backlog_of(fd));
    evconnlistener_free(lev);

    /* The same with -1: libevent listens again, now with 128. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    listen(fd, 3);
    lev = evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, -1, fd);
    printf("new on a listening socket, backlog -1: %s, listens with %ld\n", lev ? "ok" : "NULL",
           backlog_of(fd));
    evconnlistener_free(lev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
