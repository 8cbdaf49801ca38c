/* mcload: a closed-loop memcached load client (text protocol) on raw epoll, depending on neither
 * library under test; loadgen.c's counterpart for a real program.
 *
 *   mcload HOST PORT CONNS SECONDS [--warmup SECS] [--server-pid PID] [--keys K] [--value-bytes B]
 *
 * First stores K keys (default 1000) of B bytes each (default 100) with `set` on one connection,
 * checking every `STORED`. Then each of CONNS connections sends `get KEY\r\n` for a rotating key,
 * waits for the whole `VALUE KEY 0 B\r\n<data>\r\nEND\r\n` reply, compares every byte of it with
 * what was stored, and sends the next get at once (one request in flight per connection). A miss,
 * a wrong byte or a closed connection ends the run with a non-zero exit; such a reply is never
 * counted. Loopback addresses only. The first --warmup seconds (default 0.2) are run but not
 * counted. Prints one line:
 *   gets=N secs=S gets_per_s=R bytes_verified=B errors=E p50_us=L p99_us=L client_cpu_pct=C
 *   client_wait_pct=W
 * and, with --server-pid, server_cpu_us_per_get=U server_cpu_pct=C server_wait_pct=W: the
 * server's user + system time over the counted seconds (/proc/PID/stat fields 14 and 15, which
 * sum all of its threads) divided by the gets, and the share of the counted seconds its threads
 * spent runnable but waiting for a cpu (run_delay in /proc/PID/task/TID/schedstat, summed over
 * the threads, so it can pass 100 when several threads share one cpu and wait for each other).
 * client_wait_pct is the same for this process (one thread). p50_us / p99_us are round trips from
 * the request's first byte written to the reply's last byte checked.
 *
 * As in loadgen, the client is kept cheap: requests and expected replies are precomputed per
 * key, checks are memcmp, the next request is written from the read path, and EPOLLOUT is armed
 * only when a write falls short. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "load.h"


struct conn {
    int fd;
    int out_armed;   /* EPOLLOUT is in the interest set */
    unsigned key;    /* the key of the get in flight */
    size_t sent;     /* bytes of its request written */
    size_t got;      /* bytes of its reply read and checked */
    uint64_t t_sent; /* when the request's first byte was written (ns) */
};

static unsigned nkeys;
static size_t value_bytes;
static char **request;   /* request[k] = "get KEY\r\n" */
static size_t *req_len;
static char **reply;     /* reply[k] = "VALUE KEY 0 B\r\n<data>\r\nEND\r\n" */
static size_t *reply_len;
static int ep;



/* Byte j of key k's value: printable, different per key and position. */
static char value_byte(unsigned k, size_t j) {
    return (char)(33 + (k * 31u + (unsigned)j * 7u) % 94u);
}

static void key_name(unsigned k, char *out, size_t n) {
    snprintf(out, n, "mcload:%07u", k);
}

static void set_interest(struct conn *c, int i, int out) {
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_armed = out;
}

/* Writes what is left of the request in flight; -1 on a real error. */
static int send_rest(struct conn *c, int i) {
    const char *req = request[c->key];
    size_t len = req_len[c->key];
    while (c->sent < len) {
        ssize_t w = write(c->fd, req + c->sent, len - c->sent);
        if (w > 0) {
            c->sent += (size_t)w;
        } else if (w < 0 && errno == EAGAIN) {
            if (!c->out_armed) set_interest(c, i, 1);
            return 0;
        } else {
            fprintf(stderr, "mcload: write on connection %d: %s\n", i, strerror(errno));
            return -1;
        }
    }
    if (c->out_armed) set_interest(c, i, 0);
    return 0;
}

static void begin_get(struct conn *c) {
    c->key = (c->key + 1) % nkeys;
    c->sent = c->got = 0;
    c->t_sent = now_ns();
}

/* Blocking: writes all of buf or fails. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Stores every key on fd (blocking, with timeouts set), checking each "STORED\r\n". */
static int store_keys(int fd) {
    size_t cap = value_bytes + 128;
    char *buf = malloc(cap), key[32], ans[64];
    if (!buf) return -1;
    for (unsigned k = 0; k < nkeys; k++) {
        key_name(k, key, sizeof key);
        int h = snprintf(buf, cap, "set %s 0 0 %zu\r\n", key, value_bytes);
        for (size_t j = 0; j < value_bytes; j++) buf[h + (int)j] = value_byte(k, j);
        memcpy(buf + h + value_bytes, "\r\n", 2);
        if (write_all(fd, buf, (size_t)h + value_bytes + 2) < 0) {
            fprintf(stderr, "mcload: set %s: write: %s\n", key, strerror(errno));
            free(buf);
            return -1;
        }
        size_t got = 0;
        while (got < 8) {
            ssize_t r = read(fd, ans + got, 8 - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                fprintf(stderr, "mcload: set %s: %s\n", key, r == 0 ? "server closed the connection" : strerror(errno));
                free(buf);
                return -1;
            }
            got += (size_t)r;
        }
        if (memcmp(ans, "STORED\r\n", 8) != 0) {
            ans[got] = 0;
            fprintf(stderr, "mcload: set %s: answered '%.*s' instead of STORED\n", key, (int)strcspn(ans, "\r\n"), ans);
            free(buf);
            return -1;
        }
    }
    free(buf);
    return 0;
}






int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: mcload HOST PORT CONNS SECONDS [--warmup SECS] [--server-pid PID]"
                        " [--keys K] [--value-bytes B]\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconn = atoi(argv[3]);
    double secs = atof(argv[4]), warmup = 0.2;
    long server_pid = 0, keys = 1000, vbytes = 100;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) warmup = atof(argv[++i]);
        else if (strcmp(argv[i], "--server-pid") == 0 && i + 1 < argc) server_pid = atol(argv[++i]);
        else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc) keys = atol(argv[++i]);
        else if (strcmp(argv[i], "--value-bytes") == 0 && i + 1 < argc) vbytes = atol(argv[++i]);
        else { fprintf(stderr, "mcload: unknown argument '%s'\n", argv[i]); return 2; }
    }
    if (!loopback_only(host)) {
        fprintf(stderr, "mcload: %s is not a loopback address (127.0.0.0/8)\n", host);
        return 2;
    }
    if (port < 1 || port > 65535 || nconn < 1 || nconn > 10000 || secs <= 0 || secs > 600 ||
        warmup < 0 || warmup > 60 || keys < 1 || keys > 1000000 || vbytes < 1 || vbytes > 500000) {
        fprintf(stderr, "mcload: bad arguments\n");
        return 2;
    }
    nkeys = (unsigned)keys;
    value_bytes = (size_t)vbytes;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);

    request = calloc(nkeys, sizeof *request);
    req_len = calloc(nkeys, sizeof *req_len);
    reply = calloc(nkeys, sizeof *reply);
    reply_len = calloc(nkeys, sizeof *reply_len);
    size_t rbuf_cap = 65536;
    unsigned char *rbuf = malloc(rbuf_cap);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    if (!request || !req_len || !reply || !reply_len || !rbuf || !conns) { perror("mcload: malloc"); return 1; }
    for (unsigned k = 0; k < nkeys; k++) {
        char key[32];
        key_name(k, key, sizeof key);
        request[k] = malloc(64);
        reply[k] = malloc(value_bytes + 96);
        if (!request[k] || !reply[k]) { perror("mcload: malloc"); return 1; }
        req_len[k] = (size_t)snprintf(request[k], 64, "get %s\r\n", key);
        int h = snprintf(reply[k], 96, "VALUE %s 0 %zu\r\n", key, value_bytes);
        for (size_t j = 0; j < value_bytes; j++) reply[k][h + (int)j] = value_byte(k, j);
        memcpy(reply[k] + h + value_bytes, "\r\nEND\r\n", 7);
        reply_len[k] = (size_t)h + value_bytes + 7;
    }

    ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            fprintf(stderr, "mcload: connect %d: %s\n", i, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[i].fd = fd;
    }
    /* Store the keys on the first connection while it is still blocking, with timeouts so that
     * a server that never answers ends the run. */
    struct timeval tmo = {.tv_sec = 10};
    setsockopt(conns[0].fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
    setsockopt(conns[0].fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof tmo);
    if (store_keys(conns[0].fd) < 0) return 1;
    for (int i = 0; i < nconn; i++) {
        int fd = conns[i].fd;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        /* Connections start at different keys; begin_get moves on by one first. */
        conns[i].key = (unsigned)(((uint64_t)i * 37u + nkeys - 1) % nkeys);
    }

    uint64_t done = 0, verified = 0, errors = 0;
    uint64_t t0 = now_ns(), counting_from = t0 + (uint64_t)(warmup * 1e9);
    uint64_t end = counting_from + (uint64_t)(secs * 1e9), counted_at = 0;
    uint64_t ticks0 = 0, self_wait0 = 0, server_wait0 = 0;
    double cpu0 = 0;
    int counting = 0, stopping = 0;
    for (int i = 0; i < nconn && !stopping; i++) {
        begin_get(&conns[i]);
        if (send_rest(&conns[i], i) < 0) { errors++; stopping = 1; }
    }
    struct epoll_event evs[512];
    while (!stopping) {
        int n = epoll_wait(ep, evs, 512, 100);
        uint64_t t = now_ns();
        if (!counting && t >= counting_from) {
            counting = 1;
            counted_at = t;
            ticks0 = server_pid ? cpu_ticks(server_pid) : 0;
            server_wait0 = server_pid ? process_wait_ns(server_pid) : 0;
            self_wait0 = wait_ns("self");
            cpu0 = self_cpu_s();
        }
        if (t >= end) break;
        for (int e = 0; e < n && !stopping; e++) {
            int i = (int)evs[e].data.u32;
            struct conn *c = &conns[i];
            if ((evs[e].events & EPOLLOUT) && send_rest(c, i) < 0) { errors++; stopping = 1; break; }
            for (;;) {
                const char *want_bytes = reply[c->key] + c->got;
                size_t want = reply_len[c->key] - c->got;
                if (want > rbuf_cap) want = rbuf_cap;
                /* Ask for one byte more than the reply: a server that sends more than it should
                 * is caught here, not on the next get. */
                ssize_t r = read(c->fd, rbuf, want < rbuf_cap ? want + 1 : want);
                if (r == 0) {
                    fprintf(stderr, "mcload: server closed connection %d\n", i);
                    errors++; stopping = 1; break;
                }
                if (r < 0) {
                    if (errno != EAGAIN) {
                        fprintf(stderr, "mcload: read on connection %d: %s\n", i, strerror(errno));
                        errors++; stopping = 1;
                    }
                    break;
                }
                if ((size_t)r > want || memcmp(rbuf, want_bytes, (size_t)r) != 0) {
                    size_t j = 0;
                    while (j < (size_t)r && j < want && (char)rbuf[j] == want_bytes[j]) j++;
                    fprintf(stderr, "mcload: byte %zu of the reply to 'get' of key %u on connection %d"
                            " differs (got '%.*s')\n", c->got + j, c->key, i,
                            (int)((size_t)r - j < 40 ? (size_t)r - j : 40), (const char *)rbuf + j);
                    errors++; stopping = 1; break;
                }
                c->got += (size_t)r;
                verified += (uint64_t)r;
                if (c->got < reply_len[c->key]) continue;
                /* The whole reply is back and right: count it and send the next get at once. */
                if (counting) {
                    uint64_t us = (now_ns() - c->t_sent) / 1000;
                    lat[us < LAT_BUCKETS ? us : LAT_BUCKETS - 1]++;
                    done++;
                }
                begin_get(c);
                if (send_rest(c, i) < 0) { errors++; stopping = 1; }
                break;
            }
        }
    }
    uint64_t t1 = now_ns();
    if (!counting) counted_at = t1;
    double took = (double)(t1 - counted_at) / 1e9;
    double client_cpu = counting ? self_cpu_s() - cpu0 : 0;
    double self_wait = counting ? (double)(wait_ns("self") - self_wait0) / 1e9 : 0;
    printf("gets=%llu secs=%.3f gets_per_s=%.0f bytes_verified=%llu errors=%llu p50_us=%u p99_us=%u"
           " client_cpu_pct=%.0f client_wait_pct=%.0f",
           (unsigned long long)done, took, took > 0 ? done / took : 0.0,
           (unsigned long long)verified, (unsigned long long)errors, percentile(done, 0.5),
           percentile(done, 0.99), took > 0 ? 100 * client_cpu / took : 0.0,
           took > 0 ? 100 * self_wait / took : 0.0);
    if (server_pid) {
        uint64_t ticks = cpu_ticks(server_pid) - ticks0;
        double server_s = (double)ticks / (double)sysconf(_SC_CLK_TCK);
        uint64_t server_wait1 = process_wait_ns(server_pid);
        /* A thread that ended in the meantime takes its run_delay with it. */
        double server_wait = counting && server_wait1 > server_wait0 ? (double)(server_wait1 - server_wait0) / 1e9 : 0;
        printf(" server_cpu_us_per_get=%.3f server_cpu_pct=%.0f server_wait_pct=%.0f",
               done ? server_s * 1e6 / done : 0.0, took > 0 ? 100 * server_s / took : 0.0,
               took > 0 ? 100 * server_wait / took : 0.0);
    }
    printf("\n");
    for (int i = 0; i < nconn; i++) close(conns[i].fd);
    return errors ? 1 : 0;
}
