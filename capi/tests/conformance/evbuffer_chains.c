/* The chain behind an evbuffer, as a program sees it: after each of a few hundred calls
 * (add, add_printf, add_iovec, prepend, add_buffer, prepend_buffer, remove_buffer, drain,
 * remove, readln, pullup, expand, reserve_space / commit_space, read from and write to a
 * socket) chosen by a fixed pseudo-random sequence, the length, evbuffer_get_contiguous_space
 * and the length of every extent evbuffer_peek reports (empty ones included). */
#include "common.h"

static unsigned long long seed = 88172645463325252ULL;

static unsigned next_rand(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed >> 11);
}

/* Mostly small, some around a chunk's size, a few big; sometimes nothing. */
static size_t some_size(void)
{
    unsigned k = next_rand() % 100;
    if (k < 8)
        return 0;
    if (k < 40)
        return 1 + next_rand() % 60;
    if (k < 75)
        return 60 + next_rand() % 2040;
    if (k < 96)
        return 2100 + next_rand() % 6900;
    return 9000 + next_rand() % 20000;
}

static char data[65536];

static void fill(size_t n)
{
    static unsigned counter;
    for (size_t i = 0; i < n; i++) {
        unsigned c = counter++ % 29;
        data[i] = c == 27 ? '\n' : c == 28 ? '\r' : (char)('a' + c);
    }
}

static void show(int step, const char *what, long r, struct evbuffer *b)
{
    struct evbuffer_iovec v[64];
    int n = evbuffer_peek(b, -1, NULL, v, 64);
    printf("%3d %s = %ld | len=%zu contiguous=%zu peek=%d [", step, what, r,
           evbuffer_get_length(b), evbuffer_get_contiguous_space(b), n);
    for (int i = 0; i < n && i < 64; i++)
        printf(i ? " %zu" : "%zu", v[i].iov_len);
    printf("]\n");
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct evbuffer *bufs[2] = {evbuffer_new(), evbuffer_new()};
    int sv[2];
    make_socketpair(sv);
    int big = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    evutil_make_socket_nonblocking(sv[0]);
    evutil_make_socket_nonblocking(sv[1]);

    for (int step = 0; step < 400; step++) {
        int which = (int)(next_rand() % 2);
        struct evbuffer *b = bufs[which], *other = bufs[1 - which];
        /* Keep both under ~150 KiB, so one write takes all it is offered. */
        if (evbuffer_get_length(b) > 150000)
            evbuffer_drain(b, evbuffer_get_length(b) - 1000);
        char what[96];
        long r = 0;
        size_t n = some_size();
        switch (next_rand() % 19) {
        case 0:
        case 1:
        case 2:
            fill(n);
            r = evbuffer_add(b, data, n);
            snprintf(what, sizeof what, "b%d add(%zu)", which, n);
            break;
        case 3:
            n %= 3000;
            fill(n);
            data[n] = '\0';
            r = evbuffer_add_printf(b, "%s", data);
            snprintf(what, sizeof what, "b%d add_printf(%zu)", which, n);
            break;
        case 4: {
            struct evbuffer_iovec v[2];
            size_t m = some_size() % 20000;
            n %= 20000;
            fill(n + m);
            v[0].iov_base = data;
            v[0].iov_len = n;
            v[1].iov_base = data + n;
            v[1].iov_len = m;
            r = (long)evbuffer_add_iovec(b, v, 2);
            snprintf(what, sizeof what, "b%d add_iovec(%zu, %zu)", which, n, m);
            break;
        }
        case 5:
            fill(n);
            r = evbuffer_prepend(b, data, n);
            snprintf(what, sizeof what, "b%d prepend(%zu)", which, n);
            break;
        case 6:
            r = evbuffer_add_buffer(b, other);
            snprintf(what, sizeof what, "b%d add_buffer(b%d)", which, 1 - which);
            break;
        case 7:
            r = evbuffer_prepend_buffer(b, other);
            snprintf(what, sizeof what, "b%d prepend_buffer(b%d)", which, 1 - which);
            break;
        case 8:
            r = evbuffer_remove_buffer(other, b, n);
            snprintf(what, sizeof what, "b%d remove_buffer(b%d, %zu)", which, 1 - which, n);
            break;
        case 9:
            r = evbuffer_drain(b, n);
            snprintf(what, sizeof what, "b%d drain(%zu)", which, n);
            break;
        case 10:
            n %= sizeof data;
            r = evbuffer_remove(b, data, n);
            snprintf(what, sizeof what, "b%d remove(%zu)", which, n);
            break;
        case 11: {
            size_t len = 99;
            char *line = evbuffer_readln(b, &len, (enum evbuffer_eol_style)(next_rand() % 5));
            r = line ? (long)len : -1;
            free(line);
            snprintf(what, sizeof what, "b%d readln", which);
            break;
        }
        case 12: {
            ev_ssize_t size = next_rand() % 4 ? (ev_ssize_t)n : -1;
            r = evbuffer_pullup(b, size) != NULL;
            snprintf(what, sizeof what, "b%d pullup(%ld)", which, (long)size);
            break;
        }
        case 13:
            r = evbuffer_expand(b, n);
            snprintf(what, sizeof what, "b%d expand(%zu)", which, n);
            break;
        case 14: {
            struct evbuffer_iovec v[4];
            int nv = 1 + (int)(next_rand() % 4);
            if (n == 0 && nv > 1)
                n = 1;
            int got = evbuffer_reserve_space(b, (ev_ssize_t)n, v, nv);
            size_t want = some_size(), done = 0;
            int k = 0;
            printf("    reserve(%zu, %d) = %d [", n, nv, got);
            for (int i = 0; i < got; i++)
                printf(i ? " %zu" : "%zu", v[i].iov_len);
            printf("]\n");
            for (; k < got && done < want; k++) {
                size_t t = v[k].iov_len < want - done ? v[k].iov_len : want - done;
                fill(t);
                memcpy(v[k].iov_base, data, t);
                v[k].iov_len = t;
                done += t;
            }
            r = got > 0 ? evbuffer_commit_space(b, v, k) : got;
            snprintf(what, sizeof what, "b%d commit_space(%zu in %d)", which, done, k);
            break;
        }
        case 15:
        case 16: {
            size_t w = next_rand() % 3 ? n : 4000 + next_rand() % 6000;
            int howmuch = next_rand() % 3 ? -1 : 1 + (int)(next_rand() % 9000);
            fill(w);
            if (w > 0 && write(sv[0], data, w) != (ssize_t)w) {
                printf("socket write failed\n");
                return 1;
            }
            r = evbuffer_read(b, sv[1], howmuch);
            if (r < 0)
                r = -1000 - (errno == EAGAIN ? 11 : errno);
            drain_fd(sv[1], NULL, 0);
            snprintf(what, sizeof what, "b%d read(%zu waiting, %d)", which, w, howmuch);
            break;
        }
        default: {
            ev_ssize_t most = next_rand() % 2 ? -1 : (ev_ssize_t)n;
            r = evbuffer_write_atmost(b, sv[0], most);
            drain_fd(sv[1], NULL, 0);
            snprintf(what, sizeof what, "b%d write_atmost(%ld)", which, (long)most);
            break;
        }
        }
        show(step, what, r, b);
    }
    evbuffer_free(bufs[0]);
    evbuffer_free(bufs[1]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
