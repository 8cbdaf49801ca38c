/* bufferevent_socket_connect_hostname without an evdns_base (libevent resolves with a blocking
 * getaddrinfo): "127.0.0.1" and "localhost" (AF_INET) reach a 127.0.0.1 listener and the
 * event callback hears CONNECTED; a name that does not resolve tells the event callback ERROR
 * inside the call, with the resolver's code in bufferevent_socket_get_dns_error; a bad family
 * or port returns -1. */
#include "common.h"
#include <netdb.h>

static struct event_base *base;
static const char *where = "main";

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    printf("  eventcb %s %s (from %s) dns_error is 0: %s\n", ptr_name(arg), bevflags(what), where,
           yesno(bufferevent_socket_get_dns_error(bev) == 0));
}

static void loop(const char *label)
{
    where = "loop";
    int r = event_base_loop(base, EVLOOP_ONCE);
    where = "main";
    printf("%s: loop = %d\n", label, r);
}

static void connect_to(const char *name, const char *host, int family, int port, int lfd)
{
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, NULL, NULL, eventcb, (void *)name);
    printf("%s: dns_error before = %d\n", name, bufferevent_socket_get_dns_error(bev));
    int r = bufferevent_socket_connect_hostname(bev, NULL, family, host, port);
    printf("%s: connect_hostname(\"%s\") = %d, fd set: %s\n", name, host, r,
           yesno(bufferevent_getfd(bev) >= 0));
    show_bev(name, bev);
    if (lfd >= 0) {
        loop(name);
        int s = accept(lfd, NULL, NULL);
        printf("%s: accepted: %s, ports match: %s\n", name, yesno(s >= 0),
               yesno(peer_port(s) == local_port(bufferevent_getfd(bev))));
        close(s);
    } else {
        int e = bufferevent_socket_get_dns_error(bev);
        printf("%s: dns_error non-zero: %s, same as getaddrinfo's: ", name, yesno(e != 0));
        struct addrinfo hints, *ai = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = family;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_protocol = IPPROTO_TCP;
        int g = getaddrinfo(host, "80", &hints, &ai);
        if (ai)
            freeaddrinfo(ai);
        printf("%s\n", yesno(g == e));
    }
    bufferevent_free(bev);
}

int main(void)
{
    start();
    base = new_base();
    static const char a[] = "numeric", b[] = "localhost", c[] = "unknown", d[] = "badargs";
    name_ptr(a, "numeric");
    name_ptr(b, "localhost");
    name_ptr(c, "unknown");
    name_ptr(d, "badargs");
    struct sockaddr_in sin;
    int lfd = tcp_listener(&sin);
    int port = ntohs(sin.sin_port);

    connect_to(a, "127.0.0.1", AF_UNSPEC, port, lfd);
    connect_to(b, "localhost", AF_INET, port, lfd);
    connect_to(c, "nonexistent.invalid", AF_UNSPEC, port, -1);

    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    bufferevent_setcb(bev, NULL, NULL, eventcb, (void *)d);
    printf("family AF_UNIX = %d\n", bufferevent_socket_connect_hostname(bev, NULL, AF_UNIX, "127.0.0.1", port));
    printf("port 0 = %d\n", bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", 0));
    printf("port 65536 = %d\n", bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", 65536));
    printf("getfd = %d\n", bufferevent_getfd(bev));
    bufferevent_free(bev);
    close(lfd);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    printf("done\n");
    return 0;
}
