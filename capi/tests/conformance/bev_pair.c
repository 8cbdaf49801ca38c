/* bufferevent_pair_new: data written on one side reaches the other side's input at once (when
 * it reads), the callbacks run later from the loop; bufferevent_flush(BEV_FINISHED) tells the
 * partner EOF; freeing one side. */
#include "common.h"

static struct event_base *base;
static struct bufferevent *a, *b;

static void pair_state(const char *label)
{
    printf("%s: a enabled=%s in=%zu out=%zu | b enabled=%s in=%zu out=%zu\n", label,
           evflags(bufferevent_get_enabled(a)), evbuffer_get_length(bufferevent_get_input(a)),
           evbuffer_get_length(bufferevent_get_output(a)), evflags(bufferevent_get_enabled(b)),
           evbuffer_get_length(bufferevent_get_input(b)),
           evbuffer_get_length(bufferevent_get_output(b)));
}

static void readcb(struct bufferevent *bev, void *arg)
{
    char buf[64];
    printf("readcb %s\n", ptr_name(arg));
    pair_state("  state");
    size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("  read %zu \"%s\"\n", n, buf);
    if (bev == b && strcmp(buf, "ping") == 0) {
        printf("  reply = %d\n", bufferevent_write(b, "pong", 4));
        pair_state("  after reply");
    }
}

static void writecb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    printf("writecb %s\n", ptr_name(arg));
    pair_state("  state");
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    printf("eventcb %s %s\n", ptr_name(arg), bevflags(what));
    pair_state("  state");
}

int main(void)
{
    start();
    base = new_base();
    struct bufferevent *pair[2] = {NULL, NULL};
    printf("bufferevent_pair_new = %d\n", bufferevent_pair_new(base, 0, pair));
    a = pair[0];
    b = pair[1];
    static char an[] = "a", bn[] = "b";
    name_ptr(an, "a");
    name_ptr(bn, "b");
    bufferevent_setcb(a, readcb, writecb, eventcb, an);
    bufferevent_setcb(b, readcb, writecb, eventcb, bn);
    printf("getfd a=%d b=%d, get_base==base %s\n", bufferevent_getfd(a), bufferevent_getfd(b),
           yesno(bufferevent_get_base(a) == base && bufferevent_get_base(b) == base));
    pair_state("new");

    printf("write(a, ping) = %d\n", bufferevent_write(a, "ping", 4));
    pair_state("b not reading yet");
    printf("enable(b, EV_READ) = %d\n", bufferevent_enable(b, EV_READ));
    pair_state("b reading");
    printf("enable(a, EV_READ) = %d\n", bufferevent_enable(a, EV_READ));
    printf("dispatch = %d\n", event_base_dispatch(base));
    pair_state("after dispatch");

    printf("write(a, last) = %d\n", bufferevent_write(a, "last", 4));
    pair_state("written");
    printf("flush(a, EV_WRITE, BEV_FINISHED) = %d\n", bufferevent_flush(a, EV_WRITE, BEV_FINISHED));
    pair_state("flushed");
    printf("flush(a, EV_WRITE, BEV_NORMAL) = %d\n", bufferevent_flush(a, EV_WRITE, BEV_NORMAL));
    printf("dispatch = %d\n", event_base_dispatch(base));

    bufferevent_free(a);
    printf("write(b) after a is freed = %d\n", bufferevent_write(b, "alone", 5));
    printf("b in=%zu out=%zu\n", evbuffer_get_length(bufferevent_get_input(b)),
           evbuffer_get_length(bufferevent_get_output(b)));
    printf("flush(b, EV_WRITE, BEV_FINISHED) = %d\n", bufferevent_flush(b, EV_WRITE, BEV_FINISHED));
    printf("dispatch = %d\n", event_base_dispatch(base));
    bufferevent_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
