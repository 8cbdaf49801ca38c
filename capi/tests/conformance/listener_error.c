/* The listener's error callback: accept fails with EMFILE (RLIMIT_NOFILE lowered to the next
 * free descriptor); the error callback raises the limit again and the pending connection is
 * accepted on the next round. */
#include "common.h"

static struct event_base *base;
static struct evconnlistener *lev;
static struct rlimit saved;
static int nerrors;

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)sa;
    (void)socklen;
    printf("accept_cb arg=%s fd >= 0: %s\n", ptr_name(arg), yesno(fd >= 0));
    close(fd);
    evconnlistener_disable(l);
}

static void error_cb(struct evconnlistener *l, void *arg)
{
    nerrors++;
    int err = EVUTIL_SOCKET_ERROR();
    printf("error_cb %d listener==lev %s arg=%s errno=%s\n", nerrors, yesno(l == lev),
           ptr_name(arg), errname(err));
    if (nerrors == 1) {
        printf("  raising the limit again\n");
        setrlimit(RLIMIT_NOFILE, &saved);
    } else {
        evconnlistener_disable(l);
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
    evconnlistener_set_error_cb(lev, error_cb);
    socklen_t len = sizeof sin;
    getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);
    int c = tcp_connect(&sin);
    printf("client connected\n");

    getrlimit(RLIMIT_NOFILE, &saved);
    int probe = dup(0);
    close(probe);
    struct rlimit low = saved;
    low.rlim_cur = (rlim_t)probe;
    printf("setrlimit = %d\n", setrlimit(RLIMIT_NOFILE, &low));
    printf("dispatch = %d\n", event_base_dispatch(base));
    setrlimit(RLIMIT_NOFILE, &saved);
    printf("errors %d\n", nerrors);
    evconnlistener_free(lev);
    close(c);
    event_base_free(base);
    printf("done\n");
    return 0;
}
