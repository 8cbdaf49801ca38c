/* floor_echo: the floor for echo throughput — a minimal single-threaded raw-epoll echo server.
 * Level-triggered; reads once per readiness, writes at once, arms EPOLLOUT only when a write
 * would block. TCP_NODELAY, backlog 1024. Loopback only.
 *
 *   floor_echo PORT        (prints "listening on 127.0.0.1:PORT" and runs until killed) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536
struct pend { char *data; size_t len, off; };

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 1024) < 0) {
        perror("floor_echo: bind/listen");
        return 1;
    }
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    static char buf[BUF];
    struct pend *pend = calloc(65536, sizeof *pend);
    struct epoll_event evs[512];
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            struct pend *p = &pend[fd];
            if (p->len) { /* flush what was left */
                ssize_t w = write(fd, p->data + p->off, p->len - p->off);
                if (w > 0) p->off += (size_t)w;
                if (p->off == p->len) {
                    free(p->data); p->data = NULL; p->len = p->off = 0;
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
                }
                continue;
            }
            ssize_t r = read(fd, buf, BUF);
            if (r == 0 || (r < 0 && errno != EAGAIN)) { close(fd); continue; }
            if (r < 0) continue;
            ssize_t w = write(fd, buf, (size_t)r);
            if (w < 0) w = 0;
            if (w < r) {
                p->len = (size_t)(r - w); p->off = 0;
                p->data = malloc(p->len);
                memcpy(p->data, buf + w, p->len);
                struct epoll_event e = {.events = EPOLLOUT, .data.fd = fd};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
            }
        }
    }
}
