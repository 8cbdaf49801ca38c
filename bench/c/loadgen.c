/* loadgen: a closed-loop echo load client on raw epoll, depending on neither library under test.
 *
 *   loadgen HOST PORT CONNS MSG_BYTES SECONDS
 *
 * Each connection sends one message, waits until every byte has come back and matches what was
 * sent, then sends the next. Loopback addresses only. Prints one line:
 *   msgs=N secs=S msgs_per_s=R bytes_verified=B errors=E
 * and exits non-zero if any byte differed or a connection failed. */
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
    int fd;
    uint64_t msg;      /* number of the message in flight */
    size_t sent;       /* bytes of it written */
    size_t got;        /* bytes of its echo read and checked */
};

static size_t msg_bytes;

/* The byte at position i of message m on connection c: differs per message and connection. */
static unsigned char pattern(int c, uint64_t m, size_t i) {
    return (unsigned char)((c * 131u + m * 31u + i * 7u) & 0xff);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int loopback_only(const char *host) {
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1) return 0;
    return (ntohl(a.s_addr) >> 24) == 127;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: loadgen HOST PORT CONNS MSG_BYTES SECONDS\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconn = atoi(argv[3]);
    msg_bytes = (size_t)atol(argv[4]);
    double secs = atof(argv[5]);
    if (!loopback_only(host)) {
        fprintf(stderr, "loadgen: %s is not a loopback address (127.0.0.0/8)\n", host);
        return 2;
    }
    if (nconn < 1 || msg_bytes < 1 || msg_bytes > (1 << 20) || secs <= 0 || secs > 600) {
        fprintf(stderr, "loadgen: bad arguments\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    unsigned char *buf = malloc(msg_bytes);
    unsigned char *rbuf = malloc(65536);
    for (int c = 0; c < nconn; c++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            fprintf(stderr, "loadgen: connect %d: %s\n", c, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        conns[c].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)c};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }

    uint64_t done = 0, verified = 0, errors = 0;
    double start = now_s(), end = start + secs;
    struct epoll_event evs[256];
    int stopping = 0;
    while (!stopping) {
        int n = epoll_wait(ep, evs, 256, 100);
        if (now_s() >= end) stopping = 1;
        for (int i = 0; i < n && !stopping; i++) {
            int c = (int)evs[i].data.u32;
            struct conn *k = &conns[c];
            if (k->sent < msg_bytes) {
                for (size_t j = k->sent; j < msg_bytes; j++) buf[j] = pattern(c, k->msg, j);
                ssize_t w = write(k->fd, buf + k->sent, msg_bytes - k->sent);
                if (w > 0) k->sent += (size_t)w;
                else if (w < 0 && errno != EAGAIN) { errors++; stopping = 1; break; }
                if (k->sent == msg_bytes) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
                }
            }
            for (;;) {
                size_t want = msg_bytes - k->got;
                if (want == 0) break;
                if (want > 65536) want = 65536;
                ssize_t r = read(k->fd, rbuf, want);
                if (r == 0) { fprintf(stderr, "loadgen: server closed connection %d\n", c); errors++; stopping = 1; break; }
                if (r < 0) { if (errno != EAGAIN) { errors++; stopping = 1; } break; }
                for (ssize_t j = 0; j < r; j++) {
                    if (rbuf[j] != pattern(c, k->msg, k->got + (size_t)j)) {
                        fprintf(stderr, "loadgen: byte %zu of message %llu on connection %d differs\n",
                                k->got + (size_t)j, (unsigned long long)k->msg, c);
                        errors++; stopping = 1; break;
                    }
                }
                if (stopping) break;
                k->got += (size_t)r;
                verified += (uint64_t)r;
                if (k->got > k->sent) { errors++; stopping = 1; break; }
            }
            if (k->got == msg_bytes) {
                done++;
                k->msg++;
                k->sent = k->got = 0;
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)c};
                epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
            }
        }
    }
    double took = now_s() - start;
    printf("msgs=%llu secs=%.3f msgs_per_s=%.0f bytes_verified=%llu errors=%llu\n",
           (unsigned long long)done, took, done / took, (unsigned long long)verified,
           (unsigned long long)errors);
    for (int c = 0; c < nconn; c++) close(conns[c].fd);
    return errors ? 1 : 0;
}
