/* event_finalize and event_free_finalize: the finalizer runs from the loop after the event's
 * callback (finalized inside it) has returned and after the callbacks queued before it; the
 * event's ev_flags meanwhile; event_add fails and event_del does nothing on a finalizing event;
 * a finalizer that frees its event; finalizers still queued run at event_base_free, not at
 * event_base_free_nofinalize; an event without a base. */
#include "common.h"

static struct event_base *base;
static struct event *a, *b, *c, *p, *d;
static struct event own;

static void fin(struct event *ev, void *arg)
{
    printf("fin %s arg=%s ev_flags=%s\n", ptr_name(ev), ptr_name(arg),
           evlistflags(ev == &own ? own.ev_evcallback.evcb_flags : 0));
}

static void fin_free(struct event *ev, void *arg)
{
    printf("fin_free %s arg=%s: freeing it\n", ptr_name(ev), ptr_name(arg));
    event_free(ev);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("cb %s what=%s\n", ptr_name(arg), evflags(what));
    if (arg == a) {
        printf("  event_finalize(a) = %d\n", event_finalize(0, a, fin_free));
        printf("  a: pending=%s running is a=%s\n", pending(a),
               yesno(event_base_get_running_event(base) == a));
        printf("  event_add(a) = %d\n", event_add(a, NULL));
        printf("  event_del(a) = %d\n", event_del(a));
        printf("  a: pending=%s\n", pending(a));
    }
    if (arg == &own) {
        int r = event_finalize(0, &own, fin);
        printf("  event_finalize(own) = %d ev_flags=%s\n", r,
               evlistflags(own.ev_evcallback.evcb_flags));
        struct timeval t10 = ms(10);
        r = event_add(&own, &t10);
        printf("  event_add(own) = %d ev_flags=%s\n", r, evlistflags(own.ev_evcallback.evcb_flags));
    }
}

int main(void)
{
    start();
    base = new_base();
    a = event_new(base, -1, 0, cb, event_self_cbarg());
    b = event_new(base, -1, 0, cb, event_self_cbarg());
    c = event_new(base, -1, 0, cb, event_self_cbarg());
    int sv[2];
    make_socketpair(sv);
    p = event_new(base, sv[0], EV_READ | EV_PERSIST, cb, event_self_cbarg());
    event_assign(&own, base, -1, 0, cb, &own);
    name_ptr(a, "a");
    name_ptr(b, "b");
    name_ptr(c, "c");
    name_ptr(p, "p");
    name_ptr(&own, "own");

    event_add(p, NULL);
    event_active(a, EV_READ, 0);
    event_active(b, EV_WRITE, 0);
    printf("event_free_finalize(c) = %d\n", event_free_finalize(0, c, fin));
    printf("c: pending=%s\n", pending(c));
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    event_active(&own, EV_TIMEOUT, 0);
    printf("own: ev_flags=%s\n", evlistflags(own.ev_evcallback.evcb_flags));
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("own after: ev_flags=%s pending=%s\n", evlistflags(own.ev_evcallback.evcb_flags), pending(&own));

    printf("event_finalize(p) while pending = %d\n", event_finalize(0, p, fin));
    printf("p: pending=%s\n", pending(p));
    printf("event_base_free with p's finalizer queued:\n");
    event_base_free(base);
    printf("base freed\n");
    event_free(p);

    base = event_base_new();
    d = event_new(base, -1, 0, cb, event_self_cbarg());
    name_ptr(d, "d");
    printf("event_finalize(d) = %d\n", event_finalize(0, d, fin));
    printf("event_base_free_nofinalize with d's finalizer queued:\n");
    event_base_free_nofinalize(base);
    printf("base freed\n");
    event_free(d);
    printf("done\n");
    return 0;
}
