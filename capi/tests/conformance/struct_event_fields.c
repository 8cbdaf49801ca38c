/* The public layout of struct event (event_struct.h): a program embeds a struct event in its
 * own struct and event_assign()s into it, and reads the fields of events made by event_new. */
#include "common.h"

struct conn {
    int id;
    struct event ev;
    char tag[8];
};

static struct event_base *base;
static struct conn conn;
static struct event *heap_ev;

#define FIELDS(label, e)                                                                        \
    printf("%s: ev_fd=%s ev_events=%s ev_res=%s flags=%s pri=%d ev_base==base %s arg=%s\n",    \
           label, fd_name((e)->ev_fd), evflags((e)->ev_events), evflags((e)->ev_res),           \
           evlistflags((e)->ev_evcallback.evcb_flags), (e)->ev_evcallback.evcb_pri,            \
           yesno((e)->ev_base == base), ptr_name((e)->ev_evcallback.evcb_arg))

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    char buf[8];
    printf("conn_cb fd=%s what=%s conn id=%d tag=%s\n", fd_name(fd), evflags(what), c->id,
           c->tag);
    FIELDS("  conn.ev", &c->ev);
    show_pending("  conn.ev", &c->ev);
    printf("  read = %d\n", (int)read(fd, buf, sizeof buf));
}

static void heap_cb(evutil_socket_t fd, short what, void *arg)
{
    printf("heap_cb fd=%s what=%s arg=%s\n", fd_name(fd), evflags(what), ptr_name(arg));
    FIELDS("  heap_ev", heap_ev);
}

int main(void)
{
    start();
    base = new_base();
    int p[2];
    make_pipe(p);
    name_fd(p[0], "p0");
    name_fd(p[1], "p1");
    name_ptr(&conn, "conn");
    static char harg[] = "harg";
    name_ptr(harg, "harg");
    conn.id = 7;
    strcpy(conn.tag, "tag");

    printf("event_assign = %d\n", event_assign(&conn.ev, base, p[0], EV_READ, conn_cb, &conn));
    FIELDS("conn.ev", &conn.ev);
    printf("conn neighbours intact: id=%d tag=%s\n", conn.id, conn.tag);

    heap_ev = event_new(base, p[1], EV_WRITE | EV_PERSIST, heap_cb, harg);
    FIELDS("heap_ev", heap_ev);
    printf("event_add(conn.ev) = %d\n", event_add(&conn.ev, NULL));
    FIELDS("conn.ev", &conn.ev);
    struct timeval tv = ms(50);
    printf("event_add(heap_ev, 50ms) = %d\n", event_add(heap_ev, &tv));
    FIELDS("heap_ev", heap_ev);
    printf("event_del(heap_ev) = %d\n", event_del(heap_ev));
    FIELDS("heap_ev", heap_ev);
    event_active(heap_ev, EV_WRITE, 0);
    FIELDS("heap_ev after event_active", heap_ev);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    FIELDS("heap_ev", heap_ev);
    printf("event_del(heap_ev) = %d\n", event_del(heap_ev));

    printf("write = %d\n", (int)write(p[1], "x", 1));
    printf("dispatch = %d\n", event_base_dispatch(base));
    FIELDS("conn.ev", &conn.ev);
    printf("conn neighbours intact: id=%d tag=%s\n", conn.id, conn.tag);

    printf("event_priority_set(heap_ev, 0) = %d\n", event_priority_set(heap_ev, 0));
    event_free(heap_ev);
    event_base_free(base);
    printf("done\n");
    return 0;
}
