/* libevent_echo: the course's echo server on Debian's libevent 2.1 — evconnlistener plus one
 * bufferevent per client whose read callback moves input to output. TCP_NODELAY, backlog 1024,
 * single thread, loopback only.
 *
 *   libevent_echo PORT     (prints "listening on 127.0.0.1:PORT" and runs until killed) */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void read_cb(struct bufferevent *bev, void *arg) {
    (void)arg;
    evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev));
}

static void event_cb(struct bufferevent *bev, short what, void *arg) {
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg) {
    (void)sa; (void)len; (void)arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct bufferevent *bev =
        bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    struct event_base *base = event_base_new();
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l = evconnlistener_new_bind(
        base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
        (struct sockaddr *)&sa, sizeof sa);
    if (!l) { perror("libevent_echo: bind"); return 1; }
    socklen_t sl = sizeof sa;
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sa, &sl);
    printf("listening on 127.0.0.1:%d (libevent %s, %s)\n", ntohs(sa.sin_port),
           event_get_version(), event_base_get_method(base));
    fflush(stdout);
    event_base_dispatch(base);
    return 0;
}
