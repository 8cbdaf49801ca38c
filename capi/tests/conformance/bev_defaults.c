/* A socket bufferevent's defaults and setters: enabled is EV_WRITE after bufferevent_socket_new,
 * the two buffers, bufferevent_getcb / setcb (also with NULLs), getwatermark, getfd, get_base,
 * enable / disable and the internal events' pending state. */
#include "common.h"

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    printf("readcb arg=%s\n", ptr_name(arg));
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    printf("writecb arg=%s\n", ptr_name(arg));
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    printf("eventcb %s arg=%s\n", bevflags(what), ptr_name(arg));
}

static void show_cbs(const char *label, struct bufferevent *bev)
{
    bufferevent_data_cb r = (bufferevent_data_cb)1, w = (bufferevent_data_cb)1;
    bufferevent_event_cb e = (bufferevent_event_cb)1;
    void *arg = (void *)1;
    bufferevent_getcb(bev, &r, &w, &e, &arg);
    printf("%s: getcb readcb=%s writecb=%s eventcb=%s arg=%s\n", label, ptr_name((void *)r),
           ptr_name((void *)w), ptr_name((void *)e), ptr_name(arg));
    bufferevent_getcb(bev, NULL, NULL, NULL, NULL);
}

static void show_wm(const char *label, struct bufferevent *bev)
{
    size_t lo = 99, hi = 99;
    int r = bufferevent_getwatermark(bev, EV_READ, &lo, &hi);
    printf("%s: getwatermark(READ) = %d %zu/%zu", label, r, lo, hi);
    lo = hi = 99;
    r = bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi);
    printf(", getwatermark(WRITE) = %d %zu/%zu", r, lo, hi);
    lo = hi = 99;
    r = bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi);
    printf(", getwatermark(READ|WRITE) = %d %zu/%zu\n", r, lo, hi);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    int sv[2];
    make_socketpair(sv);
    name_fd(sv[0], "sv0");
    name_fd(sv[1], "sv1");
    static char arg[] = "arg";
    name_ptr(arg, "arg");
    name_ptr((void *)readcb, "readcb");
    name_ptr((void *)writecb, "writecb");
    name_ptr((void *)eventcb, "eventcb");

    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    show_bev("new", bev);
    printf("get_enabled == EV_WRITE: %s\n", yesno(bufferevent_get_enabled(bev) == EV_WRITE));
    printf("input != output: %s, input is empty: %s\n",
           yesno(bufferevent_get_input(bev) != bufferevent_get_output(bev)),
           yesno(evbuffer_get_length(bufferevent_get_input(bev)) == 0));
    printf("getfd=%s get_base==base %s\n", fd_name(bufferevent_getfd(bev)),
           yesno(bufferevent_get_base(bev) == base));
    show_cbs("new", bev);
    show_wm("new", bev);

    bufferevent_setcb(bev, readcb, writecb, eventcb, arg);
    show_cbs("setcb", bev);
    bufferevent_setcb(bev, readcb, NULL, NULL, arg);
    show_cbs("setcb(readcb, NULL, NULL)", bev);
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    show_cbs("setcb(NULLs)", bev);

    printf("enable(EV_READ) = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("enable(EV_READ)", bev);
    printf("enable(EV_READ) again = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("again", bev);
    printf("disable(EV_WRITE) = %d\n", bufferevent_disable(bev, EV_WRITE));
    show_bev("disable(EV_WRITE)", bev);
    printf("disable(EV_READ|EV_WRITE) = %d\n", bufferevent_disable(bev, EV_READ | EV_WRITE));
    show_bev("disable(EV_READ|EV_WRITE)", bev);
    printf("enable(EV_READ|EV_WRITE) = %d\n", bufferevent_enable(bev, EV_READ | EV_WRITE));
    show_bev("enable(EV_READ|EV_WRITE)", bev);
    printf("disable(0) = %d\n", bufferevent_disable(bev, 0));
    printf("enable(0) = %d\n", bufferevent_enable(bev, 0));
    show_bev("after 0", bev);

    bufferevent_setwatermark(bev, EV_READ, 3, 10);
    show_wm("read 3/10", bev);
    bufferevent_setwatermark(bev, EV_WRITE, 4, 0);
    show_wm("write 4/0", bev);
    bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 0, 0);
    show_wm("both 0/0", bev);

    printf("dispatch with nothing to read, nothing to write: loop(NONBLOCK) = %d\n",
           event_base_loop(base, EVLOOP_NONBLOCK));
    show_bev("after", bev);

    struct bufferevent *bev2 = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    show_bev("bev2 new", bev2);
    bufferevent_free(bev2);
    bufferevent_free(bev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
