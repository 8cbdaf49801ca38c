/* loadgen: a closed-loop echo load client on raw epoll, depending on neither library under test.
 *
 *   loadgen HOST PORT CONNS MSG_BYTES SECONDS [--warmup SECS] [--server-pid PID]
 *
 * Each connection sends one message, waits until every byte has come back and matches what was
 * sent, then sends the next at once (one message in flight per connection). Loopback addresses
 * only. The first --warmup seconds (default 0.2) are run but not counted. Prints one line:
 *   msgs=N secs=S msgs_per_s=R bytes_verified=B errors=E p50_us=L p99_us=L client_cpu_pct=C
 * and, with --server-pid, server_cpu_us_per_msg=U server_cpu_pct=C: the server's user + system
 * time (/proc/PID/stat fields 14 and 15) over the counted seconds, divided by the messages.
 * client_wait_pct / server_wait_pct: the share of the counted seconds each spent runnable but
 * waiting for its cpu (/proc/PID/schedstat, field 2): other work on the machine took it.
 * server_trace_cpu_us_per_msg: the time on a cpu of the server's threads named evscope-* (an
 * observed program's trace writer and live-link threads; /proc/PID/task/TID/schedstat, field
 * 1) over the counted seconds, divided by the messages; printed when it has such threads.
 * p50_us / p99_us are round-trip times from the first byte written to the last byte checked.
 * Exits non-zero if any byte differed or a connection failed.
 *
 * The client is kept cheap so that it is not what limits the server: messages are slices of one
 * precomputed table (nothing is generated per message, checks are memcmp), the next message is
 * written from the read path without waiting for EPOLLOUT, and EPOLLOUT is armed only when a
 * write falls short. Per message that is one write, one read and a share of one epoll_wait. */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include <time.h>
#include <unistd.h>

#include "load.h"


struct conn {
    int fd;
    int out_armed;     /* EPOLLOUT is in the interest set */
    uint64_t msg;      /* number of the message in flight */
    size_t start;      /* where the message starts in `table` */
    size_t sent;       /* bytes of it written */
    size_t got;        /* bytes of its echo read and checked */
    uint64_t t_sent;   /* when its first byte was written (ns) */
};

static size_t msg_bytes;
static unsigned char *table; /* table[j] = 7j mod 256, for j < msg_bytes + 256 */
static int ep;



/* Message m on connection c is bytes (c*131 + m*31 + 7i) mod 256: the slice of `table` that
 * starts at k with 7k = c*131 + m*31 (mod 256), since 183 is the inverse of 7 mod 256. */
static size_t slice_start(int c, uint64_t m) {
    return (size_t)(((unsigned)c * 131u + (unsigned)m * 31u) * 183u & 0xffu);
}

static void set_interest(struct conn *k, int c, int out) {
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = (uint32_t)c};
    epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
    k->out_armed = out;
}

/* Writes what is left of the message in flight; -1 on a real error. */
static int send_rest(struct conn *k, int c) {
    while (k->sent < msg_bytes) {
        ssize_t w = write(k->fd, table + k->start + k->sent, msg_bytes - k->sent);
        if (w > 0) {
            k->sent += (size_t)w;
        } else if (w < 0 && errno == EAGAIN) {
            if (!k->out_armed) set_interest(k, c, 1);
            return 0;
        } else {
            fprintf(stderr, "loadgen: write on connection %d: %s\n", c, strerror(errno));
            return -1;
        }
    }
    if (k->out_armed) set_interest(k, c, 0);
    return 0;
}

static void begin_message(struct conn *k, int c) {
    k->start = slice_start(c, k->msg);
    k->sent = k->got = 0;
    k->t_sent = now_ns();
}





int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: loadgen HOST PORT CONNS MSG_BYTES SECONDS [--warmup SECS] [--server-pid PID]\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconn = atoi(argv[3]);
    msg_bytes = (size_t)atol(argv[4]);
    double secs = atof(argv[5]), warmup = 0.2;
    long server_pid = 0;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) warmup = atof(argv[++i]);
        else if (strcmp(argv[i], "--server-pid") == 0 && i + 1 < argc) server_pid = atol(argv[++i]);
        else { fprintf(stderr, "loadgen: unknown argument '%s'\n", argv[i]); return 2; }
    }
    if (!loopback_only(host)) {
        fprintf(stderr, "loadgen: %s is not a loopback address (127.0.0.0/8)\n", host);
        return 2;
    }
    if (nconn < 1 || msg_bytes < 1 || msg_bytes > (1 << 20) || secs <= 0 || secs > 600 ||
        warmup < 0 || warmup > 60) {
        fprintf(stderr, "loadgen: bad arguments\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);

    table = malloc(msg_bytes + 256);
    unsigned char *rbuf = malloc(65536);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    if (!table || !rbuf || !conns) { perror("loadgen: malloc"); return 1; }
    for (size_t j = 0; j < msg_bytes + 256; j++) table[j] = (unsigned char)(7 * j);

    ep = epoll_create1(EPOLL_CLOEXEC);
    for (int c = 0; c < nconn; c++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            fprintf(stderr, "loadgen: connect %d: %s\n", c, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        conns[c].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }

    uint64_t done = 0, verified = 0, errors = 0;
    uint64_t t0 = now_ns(), counting_from = t0 + (uint64_t)(warmup * 1e9);
    uint64_t end = counting_from + (uint64_t)(secs * 1e9), counted_at = 0;
    uint64_t ticks0 = 0, self_wait0 = 0, server_wait0 = 0, trace_run0 = 0;
    int trace_threads = 0;
    char server_who[32];
    snprintf(server_who, sizeof server_who, "%ld", server_pid);
    double cpu0 = 0;
    int counting = 0, stopping = 0;
    for (int c = 0; c < nconn && !stopping; c++) {
        begin_message(&conns[c], c);
        if (send_rest(&conns[c], c) < 0) { errors++; stopping = 1; }
    }
    struct epoll_event evs[512];
    while (!stopping) {
        int n = epoll_wait(ep, evs, 512, 100);
        uint64_t t = now_ns();
        if (!counting && t >= counting_from) {
            counting = 1;
            counted_at = t;
            ticks0 = server_pid ? cpu_ticks(server_pid) : 0;
            server_wait0 = server_pid ? wait_ns(server_who) : 0;
            trace_run0 =
                server_pid ? threads_sched_ns(server_pid, "evscope-", 1, &trace_threads) : 0;
            self_wait0 = wait_ns("self");
            cpu0 = self_cpu_s();
        }
        if (t >= end) break;
        for (int i = 0; i < n && !stopping; i++) {
            int c = (int)evs[i].data.u32;
            struct conn *k = &conns[c];
            if ((evs[i].events & EPOLLOUT) && send_rest(k, c) < 0) { errors++; stopping = 1; break; }
            for (;;) {
                size_t want = msg_bytes - k->got;
                if (want > 65536) want = 65536;
                ssize_t r = read(k->fd, rbuf, want);
                if (r == 0) {
                    fprintf(stderr, "loadgen: server closed connection %d\n", c);
                    errors++; stopping = 1; break;
                }
                if (r < 0) {
                    if (errno != EAGAIN) {
                        fprintf(stderr, "loadgen: read on connection %d: %s\n", c, strerror(errno));
                        errors++; stopping = 1;
                    }
                    break;
                }
                if (k->got + (size_t)r > k->sent) {
                    fprintf(stderr, "loadgen: connection %d got bytes it never sent\n", c);
                    errors++; stopping = 1; break;
                }
                const unsigned char *want_bytes = table + k->start + k->got;
                if (memcmp(rbuf, want_bytes, (size_t)r) != 0) {
                    size_t j = 0;
                    while (rbuf[j] == want_bytes[j]) j++;
                    fprintf(stderr, "loadgen: byte %zu of message %llu on connection %d differs\n",
                            k->got + j, (unsigned long long)k->msg, c);
                    errors++; stopping = 1; break;
                }
                k->got += (size_t)r;
                verified += (uint64_t)r;
                if (k->got < msg_bytes) continue;
                /* The whole echo is back: count it and send the next message at once. */
                if (counting) {
                    uint64_t us = (now_ns() - k->t_sent) / 1000;
                    lat[us < LAT_BUCKETS ? us : LAT_BUCKETS - 1]++;
                    done++;
                }
                k->msg++;
                begin_message(k, c);
                if (send_rest(k, c) < 0) { errors++; stopping = 1; }
                break;
            }
        }
    }
    uint64_t t1 = now_ns();
    if (!counting) counted_at = t1;
    double took = (double)(t1 - counted_at) / 1e9;
    double client_cpu = counting ? self_cpu_s() - cpu0 : 0;
    double self_wait = counting ? (double)(wait_ns("self") - self_wait0) / 1e9 : 0;
    printf("msgs=%llu secs=%.3f msgs_per_s=%.0f bytes_verified=%llu errors=%llu p50_us=%u p99_us=%u"
           " client_cpu_pct=%.0f client_wait_pct=%.0f",
           (unsigned long long)done, took, took > 0 ? done / took : 0.0,
           (unsigned long long)verified, (unsigned long long)errors, percentile(done, 0.5),
           percentile(done, 0.99), took > 0 ? 100 * client_cpu / took : 0.0,
           took > 0 ? 100 * self_wait / took : 0.0);
    if (server_pid) {
        uint64_t ticks = cpu_ticks(server_pid) - ticks0;
        double server_s = (double)ticks / (double)sysconf(_SC_CLK_TCK);
        double server_wait = counting ? (double)(wait_ns(server_who) - server_wait0) / 1e9 : 0;
        printf(" server_cpu_us_per_msg=%.3f server_cpu_pct=%.0f server_wait_pct=%.0f",
               done ? server_s * 1e6 / done : 0.0, took > 0 ? 100 * server_s / took : 0.0,
               took > 0 ? 100 * server_wait / took : 0.0);
        int now_threads = 0;
        uint64_t trace_run = threads_sched_ns(server_pid, "evscope-", 1, &now_threads);
        if (counting && trace_threads > 0 && now_threads > 0 && trace_run >= trace_run0)
            printf(" server_trace_cpu_us_per_msg=%.3f",
                   done ? (double)(trace_run - trace_run0) / 1e3 / done : 0.0);
    }
    printf("\n");
    for (int c = 0; c < nconn; c++) close(conns[c].fd);
    return errors ? 1 : 0;
}
