/* Shared helpers of the conformance scenarios.
 *
 * Every scenario prints, at fixed points, what a libevent 2.1 program can observe, in a form
 * that does not depend on the run: events, buffers and file descriptors are printed by the names
 * the scenario gives them, flags by name, timeouts only as "pending / in the future", never as
 * times. The same binary runs on the system's libevent and on evscope's, and the two outputs
 * must be identical.
 */
#ifndef CONFORMANCE_COMMON_H
#define CONFORMANCE_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#define UNUSED __attribute__((unused))

/* ---- names -------------------------------------------------------------------------------- */

#define MAX_NAMES 128

static struct {
    const void *ptr;
    const char *name;
} ptr_names[MAX_NAMES];
static int n_ptr_names;

static struct {
    int fd;
    const char *name;
} fd_names[MAX_NAMES];
static int n_fd_names;

/* Gives a pointer (an event, a bufferevent, a callback argument) a name to be printed by. */
static UNUSED void name_ptr(const void *ptr, const char *name)
{
    for (int i = 0; i < n_ptr_names; i++) {
        if (ptr_names[i].ptr == ptr) {
            ptr_names[i].name = name;
            return;
        }
    }
    if (n_ptr_names < MAX_NAMES) {
        ptr_names[n_ptr_names].ptr = ptr;
        ptr_names[n_ptr_names].name = name;
        n_ptr_names++;
    }
}

static UNUSED const char *ptr_name(const void *ptr)
{
    if (ptr == NULL)
        return "NULL";
    for (int i = n_ptr_names - 1; i >= 0; i--) {
        if (ptr_names[i].ptr == ptr)
            return ptr_names[i].name;
    }
    return "?ptr";
}

/* Gives a file descriptor a name to be printed by. */
static UNUSED void name_fd(int fd, const char *name)
{
    for (int i = 0; i < n_fd_names; i++) {
        if (fd_names[i].fd == fd) {
            fd_names[i].name = name;
            return;
        }
    }
    if (n_fd_names < MAX_NAMES) {
        fd_names[n_fd_names].fd = fd;
        fd_names[n_fd_names].name = name;
        n_fd_names++;
    }
}

static UNUSED const char *fd_name(int fd)
{
    if (fd == -1)
        return "-1";
    for (int i = n_fd_names - 1; i >= 0; i--) {
        if (fd_names[i].fd == fd)
            return fd_names[i].name;
    }
    return fd < 0 ? "negative-fd" : "fd?";
}

/* ---- flags -------------------------------------------------------------------------------- */

static char *next_buf(void)
{
    static char bufs[16][256];
    static int next;
    next = (next + 1) % 16;
    bufs[next][0] = '\0';
    return bufs[next];
}

static void add_name(char *buf, const char *name)
{
    if (buf[0] != '\0')
        strcat(buf, "|");
    strcat(buf, name);
}

/* EV_* flags by name: "READ|PERSIST", "0" for none; unknown bits in hex. */
static UNUSED const char *evflags(int f)
{
    char *b = next_buf();
    static const struct {
        int bit;
        const char *name;
    } names[] = {
        {EV_TIMEOUT, "TIMEOUT"}, {EV_READ, "READ"}, {EV_WRITE, "WRITE"},
        {EV_SIGNAL, "SIGNAL"},   {EV_PERSIST, "PERSIST"}, {EV_ET, "ET"},
        {EV_FINALIZE, "FINALIZE"}, {EV_CLOSED, "CLOSED"},
    };
    int rest = f;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (f & names[i].bit) {
            add_name(b, names[i].name);
            rest &= ~names[i].bit;
        }
    }
    if (rest) {
        char x[32];
        snprintf(x, sizeof x, "0x%x", rest);
        add_name(b, x);
    }
    if (b[0] == '\0')
        strcpy(b, "0");
    return b;
}

/* BEV_EVENT_* flags by name. */
static UNUSED const char *bevflags(int f)
{
    char *b = next_buf();
    static const struct {
        int bit;
        const char *name;
    } names[] = {
        {BEV_EVENT_READING, "READING"}, {BEV_EVENT_WRITING, "WRITING"},
        {BEV_EVENT_EOF, "EOF"},         {BEV_EVENT_ERROR, "ERROR"},
        {BEV_EVENT_TIMEOUT, "TIMEOUT"}, {BEV_EVENT_CONNECTED, "CONNECTED"},
    };
    int rest = f;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (f & names[i].bit) {
            add_name(b, names[i].name);
            rest &= ~names[i].bit;
        }
    }
    if (rest) {
        char x[32];
        snprintf(x, sizeof x, "0x%x", rest);
        add_name(b, x);
    }
    if (b[0] == '\0')
        strcpy(b, "0");
    return b;
}

/* EVLIST_* bits of ev_flags (event_struct.h) by name. */
static UNUSED const char *evlistflags(int f)
{
    char *b = next_buf();
    static const struct {
        int bit;
        const char *name;
    } names[] = {
        {EVLIST_TIMEOUT, "TIMEOUT"},   {EVLIST_INSERTED, "INSERTED"},
        {EVLIST_SIGNAL, "SIGNAL"},     {EVLIST_ACTIVE, "ACTIVE"},
        {EVLIST_INTERNAL, "INTERNAL"}, {EVLIST_ACTIVE_LATER, "ACTIVE_LATER"},
        {EVLIST_FINALIZING, "FINALIZING"}, {EVLIST_INIT, "INIT"},
    };
    int rest = f;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (f & names[i].bit) {
            add_name(b, names[i].name);
            rest &= ~names[i].bit;
        }
    }
    if (rest) {
        char x[32];
        snprintf(x, sizeof x, "0x%x", rest);
        add_name(b, x);
    }
    if (b[0] == '\0')
        strcpy(b, "0");
    return b;
}

static UNUSED const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ECONNABORTED: return "ECONNABORTED";
    case EINPROGRESS: return "EINPROGRESS";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOENT: return "ENOENT";
    case ENOTCONN: return "ENOTCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EADDRINUSE: return "EADDRINUSE";
    default: {
        char *b = next_buf();
        snprintf(b, 256, "errno-%d", e);
        return b;
    }
    }
}

static UNUSED const char *yesno(int b)
{
    return b ? "yes" : "no";
}

/* ---- start -------------------------------------------------------------------------------- */

/* Line-buffered stdout (a crash keeps every finished line), a safety alarm, SIGPIPE ignored. */
static UNUSED void start(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(5);
    signal(SIGPIPE, SIG_IGN);
}

static UNUSED struct event_base *new_base(void)
{
    struct event_base *base = event_base_new();
    if (base == NULL) {
        printf("event_base_new: NULL\n");
        exit(1);
    }
    printf("method: %s\n", event_base_get_method(base));
    return base;
}

static UNUSED struct timeval ms(int n)
{
    struct timeval tv;
    tv.tv_sec = n / 1000;
    tv.tv_usec = (n % 1000) * 1000;
    return tv;
}

/* ---- events ------------------------------------------------------------------------------- */

/* What event_pending says of every kind of condition. */
static UNUSED const char *pending(const struct event *ev)
{
    return evflags(event_pending(ev, EV_READ | EV_WRITE | EV_SIGNAL | EV_TIMEOUT, NULL));
}

static UNUSED void show_pending(const char *label, const struct event *ev)
{
    printf("%s: pending=%s\n", label, pending(ev));
}

/* Whether the event waits for a timeout, and whether the time it reports lies in the future. */
static UNUSED void show_timeout(const char *label, const struct event *ev)
{
    struct timeval tv = {-1, -1}, now;
    int r = event_pending(ev, EV_TIMEOUT, &tv);
    gettimeofday(&now, NULL);
    if (!r) {
        printf("%s: timeout pending=no tv %s\n", label,
               tv.tv_sec == -1 && tv.tv_usec == -1 ? "untouched" : "written");
        return;
    }
    printf("%s: timeout pending=%s tv in future=%s\n", label, evflags(r),
           yesno(timercmp(&tv, &now, >)));
}

/* Everything the accessors say of an event. */
static UNUSED void show_event(const char *label, struct event *ev, struct event_base *base)
{
    printf("%s: initialized=%d pending=%s fd=%s events=%s arg=%s base=%s priority=%d cb=%s\n",
           label, event_initialized(ev), pending(ev), fd_name(event_get_fd(ev)),
           evflags(event_get_events(ev)), ptr_name(event_get_callback_arg(ev)),
           event_get_base(ev) == base ? "base" : ptr_name(event_get_base(ev)),
           event_get_priority(ev), ptr_name((const void *)event_get_callback(ev)));
}

/* ---- bufferevents ------------------------------------------------------------------------- */

static UNUSED void show_bev(const char *label, struct bufferevent *bev)
{
    printf("%s: enabled=%s input=%zu output=%zu ev_read=%s ev_write=%s\n", label,
           evflags(bufferevent_get_enabled(bev)),
           evbuffer_get_length(bufferevent_get_input(bev)),
           evbuffer_get_length(bufferevent_get_output(bev)), pending(&bev->ev_read),
           pending(&bev->ev_write));
}

/* Whether fd is open (fcntl F_GETFD succeeds), or closed (EBADF). */
static UNUSED const char *fd_state(int fd)
{
    errno = 0;
    int r = fcntl(fd, F_GETFD);
    if (r != -1)
        return "open";
    if (errno == EBADF)
        return "closed(EBADF)";
    return errname(errno);
}

/* ---- sockets ------------------------------------------------------------------------------ */

static UNUSED void make_socketpair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        exit(1);
    }
}

static UNUSED void make_pipe(int p[2])
{
    if (pipe(p) != 0) {
        perror("pipe");
        exit(1);
    }
}

/* A 127.0.0.1 TCP socket listening on a port of the kernel's choice; *sin gets its address. */
static UNUSED int tcp_listener(struct sockaddr_in *sin)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = 0;
    if (bind(fd, (struct sockaddr *)sin, sizeof *sin) != 0 || listen(fd, 16) != 0) {
        perror("bind/listen");
        exit(1);
    }
    socklen_t len = sizeof *sin;
    getsockname(fd, (struct sockaddr *)sin, &len);
    return fd;
}

/* A blocking TCP connection to sin. */
static UNUSED int tcp_connect(const struct sockaddr_in *sin)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* A connected pair of TCP sockets on 127.0.0.1: *client and *server. */
static UNUSED void tcp_pair(int *client, int *server)
{
    struct sockaddr_in sin;
    int lfd = tcp_listener(&sin);
    *client = tcp_connect(&sin);
    *server = accept(lfd, NULL, NULL);
    if (*server < 0) {
        perror("accept");
        exit(1);
    }
    close(lfd);
}

/* The local port of a socket, to recognise which client an accepted socket belongs to. */
static UNUSED int local_port(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    return ntohs(sin.sin_port);
}

static UNUSED int peer_port(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    getpeername(fd, (struct sockaddr *)&sin, &len);
    return ntohs(sin.sin_port);
}

/* Reads everything there is to read now (without blocking); the count, or -errno. Up to cap - 1
 * bytes are kept in buf (NUL-terminated) when buf is not NULL. */
static UNUSED int drain_fd(int fd, char *buf, size_t cap)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    char tmp[65536];
    size_t kept = 0;
    int total = 0, err = 0;
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n > 0) {
            if (buf != NULL && kept + 1 < cap) {
                size_t take = (size_t)n < cap - 1 - kept ? (size_t)n : cap - 1 - kept;
                memcpy(buf + kept, tmp, take);
                kept += take;
            }
            total += (int)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN)
            err = errno;
        break;
    }
    if (buf != NULL)
        buf[kept] = '\0';
    fcntl(fd, F_SETFL, flags);
    return err ? -err : total;
}

/* ---- event_base_dump_events ---------------------------------------------------------------- */

/* Prints event_base_dump_events, each pointer replaced by its name, each fd by its name and each
 * timeout by T. */
static UNUSED void dump_events(struct event_base *base)
{
    FILE *f = tmpfile();
    if (f == NULL) {
        perror("tmpfile");
        exit(1);
    }
    event_base_dump_events(base, f);
    fflush(f);
    rewind(f);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char out[2048];
        size_t o = 0;
        for (size_t i = 0; line[i] != '\0' && o < sizeof out - 64;) {
            if (line[i] == '0' && line[i + 1] == 'x') {
                char *end;
                unsigned long long p = strtoull(line + i, &end, 16);
                const char *name = ptr_name((const void *)(uintptr_t)p);
                o += (size_t)snprintf(out + o, sizeof out - o, "%s", name);
                i = (size_t)(end - line);
            } else if (strncmp(line + i, "[fd ", 4) == 0) {
                size_t j = i + 3;
                while (line[j] == ' ')
                    j++;
                char *end;
                long fd = strtol(line + j, &end, 10);
                if (end == line + j) {
                    out[o++] = line[i++];
                    continue;
                }
                o += (size_t)snprintf(out + o, sizeof out - o, "%.*s%s", (int)(j - i), line + i,
                                      fd_name((int)fd));
                i = (size_t)(end - line);
            } else if (strncmp(line + i, "Timeout=", 8) == 0 && line[i + 8] >= '0' &&
                       line[i + 8] <= '9') {
                o += (size_t)snprintf(out + o, sizeof out - o, "Timeout=T");
                i += 8;
                while ((line[i] >= '0' && line[i] <= '9') || line[i] == '.')
                    i++;
            } else {
                out[o++] = line[i++];
            }
        }
        out[o] = '\0';
        printf("dump: %s", out);
        if (o == 0 || out[o - 1] != '\n')
            printf("\n");
    }
    fclose(f);
}

#endif
