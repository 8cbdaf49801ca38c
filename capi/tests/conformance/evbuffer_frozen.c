/* A bufferevent's buffers are frozen for the program: libevent refuses (-1, NULL) what would
 * add to a socket or pair bufferevent's input or take from its output, and allows the rest,
 * until bufferevent_socket_connect thaws them. Every evbuffer call, on each end. */
#include "common.h"

static struct evbuffer *other;

static void try_all(const char *label, struct evbuffer *b)
{
    char out[64];
    size_t n = 99;
    struct evbuffer_iovec v[2];
    struct evbuffer_ptr p;
    printf("-- %s (length %zu)\n", label, evbuffer_get_length(b));
    evbuffer_add(other, "other", 5);
    printf("add = %d\n", evbuffer_add(b, "ab", 2));
    printf("add(empty) = %d\n", evbuffer_add(b, "", 0));
    printf("add_printf = %d\n", evbuffer_add_printf(b, "%d", 42));
    printf("prepend = %d\n", evbuffer_prepend(b, "P", 1));
    printf("prepend(empty) = %d\n", evbuffer_prepend(b, "", 0));
    printf("add_buffer(it, other) = %d\n", evbuffer_add_buffer(b, other));
    evbuffer_add(other, "other", 5);
    printf("prepend_buffer(it, other) = %d\n", evbuffer_prepend_buffer(b, other));
    evbuffer_add(other, "other", 5);
    printf("remove_buffer(other, it, 2) = %d\n", evbuffer_remove_buffer(other, b, 2));
    printf("copyout(3) = %d\n", (int)evbuffer_copyout(b, out, 3));
    evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_SET);
    printf("copyout_from(1, 2) = %d\n", (int)evbuffer_copyout_from(b, &p, out, 2));
    char *line = evbuffer_readln(b, &n, EVBUFFER_EOL_ANY);
    printf("readln = %s n=%zu\n", line ? line : "NULL", n);
    free(line);
    printf("pullup(1) non-NULL: %s\n", yesno(evbuffer_pullup(b, 1) != NULL));
    printf("peek = %d\n", evbuffer_peek(b, -1, NULL, NULL, 0));
    printf("expand = %d\n", evbuffer_expand(b, 100));
    int r = evbuffer_reserve_space(b, 10, v, 1);
    printf("reserve_space = %d\n", r);
    if (r == 1) {
        memcpy(v[0].iov_base, "RS", 2);
        v[0].iov_len = 2;
        printf("commit_space = %d\n", evbuffer_commit_space(b, v, 1));
    }
    printf("commit_space(none) = %d\n", evbuffer_commit_space(b, v, 0));
    v[0].iov_base = "iov";
    v[0].iov_len = 3;
    printf("add_iovec = %d\n", (int)evbuffer_add_iovec(b, v, 1));
    printf("remove(2) = %d\n", evbuffer_remove(b, out, 2));
    printf("remove_buffer(it, other, 2) = %d\n", evbuffer_remove_buffer(b, other, 2));
    printf("add_buffer(other, it) = %d\n", evbuffer_add_buffer(other, b));
    printf("drain(1) = %d\n", evbuffer_drain(b, 1));
    printf("length %zu\n", evbuffer_get_length(b));
    evbuffer_drain(other, evbuffer_get_length(other));
}

static void readcb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    printf("readcb input=%zu\n", evbuffer_get_length(bufferevent_get_input(bev)));
    bufferevent_disable(bev, EV_READ);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    other = evbuffer_new();

    int sv[2];
    make_socketpair(sv);
    struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
    try_all("socket input, empty", bufferevent_get_input(bev));
    try_all("socket output, empty", bufferevent_get_output(bev));
    bufferevent_write(bev, "queued\nout", 10);
    try_all("socket output", bufferevent_get_output(bev));
    printf("write = %d\n", evbuffer_write(bufferevent_get_output(bev), sv[0]));
    if (write(sv[1], "line one\nline two\n", 18) != 18)
        return 1;
    bufferevent_setcb(bev, readcb, NULL, NULL, NULL);
    bufferevent_enable(bev, EV_READ);
    event_base_loop(base, EVLOOP_ONCE);
    try_all("socket input", bufferevent_get_input(bev));
    if (write(sv[1], "more", 4) != 4)
        return 1;
    printf("read = %d\n", evbuffer_read(bufferevent_get_input(bev), sv[0], -1));
    bufferevent_free(bev);

    struct bufferevent *pair[2];
    bufferevent_pair_new(base, 0, pair);
    try_all("pair input", bufferevent_get_input(pair[0]));
    try_all("pair output", bufferevent_get_output(pair[0]));
    bufferevent_free(pair[0]);
    bufferevent_free(pair[1]);

    struct sockaddr_in sin;
    int lfd = tcp_listener(&sin);
    bev = bufferevent_socket_new(base, -1, 0);
    bufferevent_write(bev, "queued\n", 7);
    try_all("before connect: output", bufferevent_get_output(bev));
    printf("connect = %d\n", bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin));
    try_all("connected: input", bufferevent_get_input(bev));
    try_all("connected: output", bufferevent_get_output(bev));
    bufferevent_free(bev);
    close(lfd);

    evbuffer_free(other);
    event_base_free(base);
    printf("done\n");
    return 0;
}
