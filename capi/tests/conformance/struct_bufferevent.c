/* The public layout of struct bufferevent (bufferevent_struct.h): the input and output buffers,
 * the internal events ev_read and ev_write, enabled, the watermarks, the callbacks and their
 * argument, the timeouts, read as fields. */
#include "common.h"

static struct event_base *base;
static int sv[2];

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    (void)bev;
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    (void)bev;
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    (void)bev;
    (void)what;
}

static void fields(const char *label, struct bufferevent *bev)
{
    printf("%s: ev_base==base %s input==get_input %s output==get_output %s enabled=%s\n",
           label, yesno(bev->ev_base == base), yesno(bev->input == bufferevent_get_input(bev)),
           yesno(bev->output == bufferevent_get_output(bev)), evflags(bev->enabled));
    printf("  wm_read=%zu/%zu wm_write=%zu/%zu readcb=%s writecb=%s errorcb=%s cbarg=%s\n",
           bev->wm_read.low, bev->wm_read.high, bev->wm_write.low, bev->wm_write.high,
           ptr_name((void *)bev->readcb), ptr_name((void *)bev->writecb),
           ptr_name((void *)bev->errorcb), ptr_name(bev->cbarg));
    printf("  timeout_read=%ld.%06ld timeout_write=%ld.%06ld\n", (long)bev->timeout_read.tv_sec,
           (long)bev->timeout_read.tv_usec, (long)bev->timeout_write.tv_sec,
           (long)bev->timeout_write.tv_usec);
    printf("  ev_read: pending=%s fd=%s events=%s base==base %s\n", pending(&bev->ev_read),
           fd_name(event_get_fd(&bev->ev_read)), evflags(event_get_events(&bev->ev_read)),
           yesno(event_get_base(&bev->ev_read) == base));
    printf("  ev_write: pending=%s fd=%s events=%s base==base %s\n", pending(&bev->ev_write),
           fd_name(event_get_fd(&bev->ev_write)), evflags(event_get_events(&bev->ev_write)),
           yesno(event_get_base(&bev->ev_write) == base));
    printf("  ev_read fields: ev_fd=%s ev_events=%s; ev_write fields: ev_fd=%s ev_events=%s\n",
           fd_name(bev->ev_read.ev_fd), evflags(bev->ev_read.ev_events),
           fd_name(bev->ev_write.ev_fd), evflags(bev->ev_write.ev_events));
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
    name_ptr((void *)readcb, "readcb");
    name_ptr((void *)writecb, "writecb");
    name_ptr((void *)eventcb, "eventcb");

    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    fields("new", bev);
    bufferevent_setcb(bev, readcb, writecb, eventcb, arg);
    bufferevent_enable(bev, EV_READ);
    bufferevent_setwatermark(bev, EV_READ, 10, 100);
    bufferevent_setwatermark(bev, EV_WRITE, 5, 0);
    struct timeval rt = ms(1500), wt = ms(2500);
    bufferevent_set_timeouts(bev, &rt, &wt);
    fields("configured", bev);
    bufferevent_write(bev, "abc", 3);
    fields("after write", bev);
    printf("event_pending(&bev->ev_write, EV_WRITE) != 0: %s\n",
           yesno(event_pending(&bev->ev_write, EV_WRITE, NULL) != 0));
    show_timeout("ev_read", &bev->ev_read);
    show_timeout("ev_write", &bev->ev_write);
    bufferevent_disable(bev, EV_READ | EV_WRITE);
    fields("disabled", bev);
    bufferevent_set_timeouts(bev, NULL, NULL);
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    fields("cleared", bev);

    struct bufferevent *unset = bufferevent_socket_new(base, -1, 0);
    fields("fd -1", unset);
    bufferevent_free(unset);
    bufferevent_free(bev);
    event_base_free(base);
    close(sv[1]);
    printf("done\n");
    return 0;
}
