/* The write path of a socket bufferevent: bufferevent_write queues the data in the output buffer
 * and adds ev_write; in the loop ev_write's callback writes to the socket, deletes ev_write once
 * the output is empty, then calls the user's write callback. */
#include "common.h"

static struct event_base *base;
static int sv[2];
static int nwrite;

static void peer_reads(void)
{
    char buf[256];
    int n = drain_fd(sv[1], buf, sizeof buf);
    printf("  peer read %d: \"%s\"\n", n, n > 0 ? buf : "");
}

static void readcb(struct bufferevent *bev, void *arg)
{
    printf("readcb arg=%s\n", ptr_name(arg));
    show_bev("  in readcb", bev);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    nwrite++;
    printf("writecb %d arg=%s\n", nwrite, ptr_name(arg));
    show_bev("  in writecb", bev);
    peer_reads();
    if (nwrite == 1) {
        int r = bufferevent_write(bev, " world", 6);
        printf("  bufferevent_write(\" world\") = %d\n", r);
        show_bev("  after write", bev);
    } else if (nwrite == 2) {
        int r = bufferevent_write(bev, "", 0);
        printf("  bufferevent_write(\"\", 0) = %d\n", r);
        show_bev("  after empty write", bev);
        r = bufferevent_disable(bev, EV_WRITE);
        printf("  bufferevent_disable(EV_WRITE) = %d\n", r);
        show_bev("  after disable", bev);
        r = bufferevent_write(bev, "!", 1);
        printf("  bufferevent_write(\"!\") = %d\n", r);
        show_bev("  after write while disabled", bev);
    }
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    printf("eventcb %s arg=%s\n", bevflags(what), ptr_name(arg));
}

int main(void)
{
    start();
    base = new_base();
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    name_fd(sv[1], "sv1");
    static char arg[] = "arg";
    name_ptr(arg, "arg");

    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    show_bev("new", bev);
    bufferevent_setcb(bev, readcb, writecb, eventcb, arg);
    show_bev("setcb", bev);
    int r = bufferevent_write(bev, "hello", 5);
    printf("bufferevent_write(\"hello\") = %d\n", r);
    show_bev("after write", bev);
    printf("ev_write: pending(EV_WRITE)!=0: %s\n",
           yesno(event_pending(&bev->ev_write, EV_WRITE, NULL) != 0));
    peer_reads();

    r = event_base_dispatch(base);
    printf("dispatch = %d\n", r);
    show_bev("after dispatch", bev);
    peer_reads();

    r = bufferevent_enable(bev, EV_WRITE);
    printf("bufferevent_enable(EV_WRITE) = %d\n", r);
    show_bev("after enable", bev);
    r = event_base_dispatch(base);
    printf("dispatch = %d\n", r);
    show_bev("after dispatch", bev);
    peer_reads();

    bufferevent_free(bev);
    event_base_free(base);
    close(sv[1]);
    printf("done\n");
    return 0;
}
