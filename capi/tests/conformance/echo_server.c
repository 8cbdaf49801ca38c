/* The course's echo server: an evconnlistener accepts, each connection gets a socket
 * bufferevent (BEV_OPT_CLOSE_ON_FREE) whose read callback moves the input to the output; a
 * client bufferevent connects, sends two lines, reads the echo, and closes. (The listener is
 * enabled once the client is connected, and the client writes once it is accepted, so that no
 * two visible callbacks depend on the same round of the backend.) */
#include "common.h"

static struct event_base *base;
static struct evconnlistener *lev;
static struct bufferevent *client;
static int echoed;

static void echo_read_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    printf("echo_read_cb input=%zu\n", evbuffer_get_length(in));
    printf("  add_buffer = %d\n", evbuffer_add_buffer(bufferevent_get_output(bev), in));
    show_bev("  server bev", bev);
}

static void echo_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    printf("echo_event_cb %s\n", bevflags(what));
    show_bev("  server bev", bev);
    bufferevent_free(bev);
    evconnlistener_free(lev);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)l;
    (void)sa;
    (void)socklen;
    (void)arg;
    printf("accept_cb\n");
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
    printf("  enable(EV_READ|EV_WRITE) = %d\n", bufferevent_enable(bev, EV_READ | EV_WRITE));
    show_bev("  server bev", bev);
    printf("  client write = %d\n", bufferevent_write(client, "hello\n", 6));
    printf("  client printf = %d\n",
           evbuffer_add_printf(bufferevent_get_output(client), "line %d\n", 2));
    show_bev("  client bev", client);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char *line;
    size_t n;
    while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
        printf("client got line %zu \"%s\"\n", n, line);
        free(line);
        echoed++;
    }
    if (echoed == 2) {
        printf("client closes\n");
        bufferevent_free(bev);
        client = NULL;
    }
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    show_bev("client_write_cb", bev);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    printf("client_event_cb %s\n", bevflags(what));
    show_bev("  client bev", bev);
    if (what & BEV_EVENT_CONNECTED)
        printf("  evconnlistener_enable = %d\n", evconnlistener_enable(lev));
}

int main(void)
{
    start();
    base = new_base();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lev = evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_DISABLED,
                                  -1, (struct sockaddr *)&sin, sizeof sin);
    socklen_t len = sizeof sin;
    getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);

    client = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(client, client_read_cb, client_write_cb, client_event_cb, NULL);
    bufferevent_enable(client, EV_READ | EV_WRITE);
    printf("connect = %d\n", bufferevent_socket_connect(client, (struct sockaddr *)&sin, sizeof sin));
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("echoed %d\n", echoed);
    event_base_free(base);
    printf("done\n");
    return 0;
}
