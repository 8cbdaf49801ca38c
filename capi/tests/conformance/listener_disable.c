/* evconnlistener_disable / enable: a client connecting while the listener is disabled is
 * accepted only after evconnlistener_enable; LEV_OPT_DISABLED creates a disabled listener. */
#include "common.h"

static struct event_base *base;
static struct evconnlistener *lev;
static struct sockaddr_in sin;
static int client_port[3];
static int cfd[3];
static int naccepted;

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)socklen;
    (void)arg;
    struct sockaddr_in *peer = (struct sockaddr_in *)sa;
    int who = -1;
    for (int i = 0; i < 3; i++)
        if (client_port[i] && client_port[i] == ntohs(peer->sin_port))
            who = i;
    naccepted++;
    printf("accept_cb client %d\n", who);
    close(fd);
    if (who == 0) {
        printf("  evconnlistener_disable = %d\n", evconnlistener_disable(l));
        cfd[1] = tcp_connect(&sin);
        client_port[1] = local_port(cfd[1]);
        printf("  client 1 connected while disabled\n");
    }
    if (who == 1) {
        printf("  evconnlistener_free\n");
        evconnlistener_free(l);
        lev = NULL;
    }
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("timer_cb what=%s accepted so far %d\n", evflags(what), naccepted);
    printf("  evconnlistener_enable = %d\n", evconnlistener_enable(lev));
}

int main(void)
{
    start();
    base = new_base();
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lev = evconnlistener_new_bind(base, accept_cb, NULL,
                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_DISABLED, 16,
                                  (struct sockaddr *)&sin, sizeof sin);
    socklen_t len = sizeof sin;
    getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);
    cfd[0] = tcp_connect(&sin);
    client_port[0] = local_port(cfd[0]);
    printf("client 0 connected to a listener created disabled\n");
    int rc = event_base_loop(base, EVLOOP_NONBLOCK);
    printf("loop(NONBLOCK) = %d, accepted %d\n", rc, naccepted);
    printf("evconnlistener_enable = %d\n", evconnlistener_enable(lev));
    printf("evconnlistener_enable again = %d\n", evconnlistener_enable(lev));
    struct event *timer = evtimer_new(base, timer_cb, NULL);
    struct timeval tv = ms(30);
    evtimer_add(timer, &tv);
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("accepted %d\n", naccepted);
    event_free(timer);
    close(cfd[0]);
    close(cfd[1]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
