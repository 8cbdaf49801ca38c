/* A bufferevent pair handing data over one byte at a time: each round's deferred callback is
 * queued from the one before, and past 32 in one loop iteration the rest wait for the next
 * iteration (MAX_DEFERREDS_QUEUED), so the loop still polls: a persistent event on a readable
 * pipe runs once per iteration. Then the reader is freed while its deferred callback is still
 * queued: its reference keeps the pair linked until the loop runs it; then
 * bufferevent_pair_get_partner says NULL. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *w, *r;
static struct event *pipe_ev;
static int rounds;

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    char c;
    bufferevent_read(bev, &c, 1);
    rounds++;
    if (rounds == 100) {
        printf("readcb: round 100, w out=%zu\n", evbuffer_get_length(bufferevent_get_output(w)));
        event_del(pipe_ev);
    }
}

static void pipe_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("pipe %s after round %d\n", evflags(what), rounds);
}

static void state(const char *label)
{
    printf("%s: w out=%zu | r in=%zu\n", label, evbuffer_get_length(bufferevent_get_output(w)),
           evbuffer_get_length(bufferevent_get_input(r)));
}

int main(void)
{
    start();
    base = new_base();
    struct bufferevent *pair[2];
    printf("bufferevent_pair_new = %d\n", bufferevent_pair_new(base, 0, pair));
    w = pair[0];
    r = pair[1];
    bufferevent_setcb(r, readcb, NULL, NULL, NULL);
    bufferevent_setwatermark(r, EV_READ, 0, 1);
    bufferevent_enable(r, EV_READ);

    int p[2];
    if (pipe(p) != 0 || write(p[1], "x", 1) != 1)
        return 1;
    pipe_ev = event_new(base, p[0], EV_READ | EV_PERSIST, pipe_cb, NULL);
    event_add(pipe_ev, NULL);

    char data[100];
    memset(data, 'x', sizeof data);
    printf("write 100 = %d\n", bufferevent_write(w, data, sizeof data));
    state("written");
    printf("dispatch = %d\n", event_base_dispatch(base));
    printf("rounds = %d\n", rounds);
    state("after dispatch");

    bufferevent_setwatermark(r, EV_READ, 0, 0);
    printf("write 1 = %d\n", bufferevent_write(w, "y", 1));
    state("written");
    printf("partners: w's is r %s, r's is w %s\n", yesno(bufferevent_pair_get_partner(w) == r),
           yesno(bufferevent_pair_get_partner(r) == w));
    bufferevent_free(r);
    printf("write 1 after freeing r = %d\n", bufferevent_write(w, "z", 1));
    printf("w out=%zu\n", evbuffer_get_length(bufferevent_get_output(w)));
    printf("loop once = %d\n", event_base_loop(base, EVLOOP_ONCE));
    printf("w's partner is NULL %s\n", yesno(bufferevent_pair_get_partner(w) == NULL));
    printf("write 1 after the loop = %d\n", bufferevent_write(w, "z", 1));
    printf("w out=%zu\n", evbuffer_get_length(bufferevent_get_output(w)));

    event_free(pipe_ev);
    close(p[0]);
    close(p[1]);
    bufferevent_free(w);
    event_base_free(base);
    printf("done\n");
    return 0;
}
