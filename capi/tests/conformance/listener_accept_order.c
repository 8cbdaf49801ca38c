/* evconnlistener_new_bind on 127.0.0.1:0: three clients connect one after the other before the
 * loop runs; the order they are accepted in, what the accept callback is given (the peer
 * address, the listener, the argument, a non-blocking socket). */
#include "common.h"

static struct event_base *base;
static struct evconnlistener *lev;
static int client_port[3];
static int naccepted;
static int accepted_fd[3];

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)sa;
    int who = -1;
    for (int i = 0; i < 3; i++)
        if (client_port[i] == ntohs(sin->sin_port))
            who = i;
    printf("accept_cb client %d family=%s socklen=%d addr=%s listener==lev %s arg=%s\n", who,
           sa->sa_family == AF_INET ? "AF_INET" : "other", socklen,
           sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "127.0.0.1" : "other",
           yesno(l == lev), ptr_name(arg));
    printf("  fd >= 0: %s, peer port matches: %s, O_NONBLOCK: %s, FD_CLOEXEC: %s\n",
           yesno(fd >= 0), yesno(peer_port(fd) == client_port[who]),
           yesno(fcntl(fd, F_GETFL) & O_NONBLOCK), yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC));
    accepted_fd[naccepted++] = fd;
    if (naccepted == 3) {
        printf("  evconnlistener_disable = %d\n", evconnlistener_disable(l));
    }
}

int main(void)
{
    start();
    base = new_base();
    static char arg[] = "arg";
    name_ptr(arg, "arg");
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lev = evconnlistener_new_bind(base, accept_cb, arg, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                  -1, (struct sockaddr *)&sin, sizeof sin);
    printf("listener != NULL: %s\n", yesno(lev != NULL));
    int lfd = evconnlistener_get_fd(lev);
    printf("get_fd >= 0: %s, get_base==base %s\n", yesno(lfd >= 0),
           yesno(evconnlistener_get_base(lev) == base));
    socklen_t len = sizeof sin;
    getsockname(lfd, (struct sockaddr *)&sin, &len);
    printf("bound to 127.0.0.1: %s, port != 0: %s\n",
           yesno(sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK)), yesno(sin.sin_port != 0));
    printf("listening socket O_NONBLOCK: %s\n", yesno(fcntl(lfd, F_GETFL) & O_NONBLOCK));

    int c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = tcp_connect(&sin);
        client_port[i] = local_port(c[i]);
        printf("client %d connected\n", i);
    }
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("accepted %d\n", naccepted);
    evconnlistener_free(lev);
    printf("listening fd after free: %s\n", fd_state(lfd) );
    for (int i = 0; i < 3; i++) {
        close(c[i]);
        close(accepted_fd[i]);
    }
    event_base_free(base);
    printf("done\n");
    return 0;
}
