/* The string and address helpers: evutil_ascii_strcasecmp / strncasecmp (sign of the result),
 * evutil_strtoll (bases, signs, end pointers), evutil_sockaddr_cmp (family, address, port, with
 * include_port 0 and 1), evutil_inet_pton_scope (zone by name and by number, bad input) and
 * evutil_make_tcp_listen_socket_deferred. */
#include "common.h"
#include <net/if.h>
#include <netinet/tcp.h>

static int sign(int r)
{
    return r < 0 ? -1 : r > 0 ? 1 : 0;
}

static void cases(void)
{
    const char *pairs[][2] = {{"abc", "ABC"},  {"abc", "abd"},   {"ABD", "abc"}, {"abc", "abcd"},
                              {"abcd", "abc"}, {"", ""},         {"", "a"},      {"[", "a"},
                              {"_", "A"},      {"Hello", "hELLo"}, {"a\xe9", "A\xc9"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        printf("strcasecmp(\"%s\", \"%s\") sign=%d\n", pairs[i][0], pairs[i][1],
               sign(evutil_ascii_strcasecmp(pairs[i][0], pairs[i][1])));
    printf("strcasecmp(\"a\\x80\", \"a\\x7f\") = %d\n", evutil_ascii_strcasecmp("a\x80", "a\x7f"));
    const struct {
        const char *a, *b;
        size_t n;
    } n_cases[] = {{"abcX", "ABCy", 3}, {"abcX", "ABCy", 4}, {"abc", "abd", 0}, {"ab", "AB", 10},
                   {"ab", "ABc", 3},    {"Zed", "zee", 2},   {"Zed", "zee", 3}};
    for (size_t i = 0; i < sizeof n_cases / sizeof n_cases[0]; i++)
        printf("strncasecmp(\"%s\", \"%s\", %zu) sign=%d\n", n_cases[i].a, n_cases[i].b,
               n_cases[i].n, sign(evutil_ascii_strncasecmp(n_cases[i].a, n_cases[i].b, n_cases[i].n)));
}

static void strtoll_cases(void)
{
    const struct {
        const char *s;
        int base;
    } c[] = {{"12345", 10},        {"  -42xyz", 10},          {"0x1F", 16},
             {"0x1F", 0},          {"017", 0},                {"z", 36},
             {"9223372036854775807", 10}, {"9223372036854775808", 10},
             {"-9223372036854775809", 10}, {"", 10},           {"abc", 10},
             {"+7", 10},           {"101", 2},                {"0x", 16}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *end = NULL;
        errno = 0;
        ev_int64_t v = evutil_strtoll(c[i].s, &end, c[i].base);
        int e = errno;
        printf("strtoll(\"%s\", %d) = %lld end=+%d errno=%s\n", c[i].s, c[i].base, (long long)v,
               (int)(end - c[i].s), errname(e));
    }
    printf("strtoll(\"55\", NULL end) = %lld\n", (long long)evutil_strtoll("55", NULL, 10));
}

static struct sockaddr_storage v4(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, ip, &sin->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &sin6->sin6_addr);
    return ss;
}

static void cmp(const char *what, struct sockaddr_storage a, struct sockaddr_storage b)
{
    int r0 = evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 0);
    int r1 = evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1);
    printf("sockaddr_cmp %-32s port0 sign=%d port1 sign=%d\n", what, sign(r0), sign(r1));
}

static void sockaddrs(void)
{
    cmp("1.2.3.4:80 vs 1.2.3.4:80", v4("1.2.3.4", 80), v4("1.2.3.4", 80));
    cmp("1.2.3.4:80 vs 1.2.3.4:81", v4("1.2.3.4", 80), v4("1.2.3.4", 81));
    cmp("1.2.3.4:81 vs 1.2.3.4:80", v4("1.2.3.4", 81), v4("1.2.3.4", 80));
    cmp("1.2.3.4:1 vs 1.2.3.5:0", v4("1.2.3.4", 1), v4("1.2.3.5", 0));
    cmp("2.0.0.0:0 vs 1.0.0.1:0", v4("2.0.0.0", 0), v4("1.0.0.1", 0));
    cmp("1.0.0.2:0 vs 2.0.0.1:0", v4("1.0.0.2", 0), v4("2.0.0.1", 0));
    cmp("::1:80 vs ::1:80", v6("::1", 80), v6("::1", 80));
    cmp("::1:80 vs ::1:90", v6("::1", 80), v6("::1", 90));
    cmp("::1:1 vs ::2:0", v6("::1", 1), v6("::2", 0));
    cmp("fe80::1:0 vs ::1:0", v6("fe80::1", 0), v6("::1", 0));
    cmp("v4 1.2.3.4 vs v6 ::1", v4("1.2.3.4", 0), v6("::1", 0));
    cmp("v6 ::1 vs v4 1.2.3.4", v6("::1", 0), v4("1.2.3.4", 0));
    struct sockaddr_storage a = v4("1.2.3.4", 80), b = v6("::1", 80);
    printf("family difference v4-v6 = %d, v6-v4 = %d\n",
           evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1),
           evutil_sockaddr_cmp((struct sockaddr *)&b, (struct sockaddr *)&a, 1));
    struct sockaddr_storage u1, u2;
    memset(&u1, 0, sizeof u1);
    memset(&u2, 0, sizeof u2);
    u1.ss_family = AF_UNIX;
    u2.ss_family = AF_UNIX;
    printf("AF_UNIX vs AF_UNIX = %d\n",
           evutil_sockaddr_cmp((struct sockaddr *)&u1, (struct sockaddr *)&u2, 1));
}

static void pton_scope(const char *src, int af)
{
    unsigned char out[16];
    unsigned idx = 12345;
    memset(out, 0, sizeof out);
    int r = evutil_inet_pton_scope(af, src, out, &idx);
    char text[64] = "-";
    if (r == 1)
        evutil_inet_ntop(af, out, text, sizeof text);
    unsigned lo = if_nametoindex("lo");
    printf("inet_pton_scope(%s, \"%s\") = %d addr=%s index=%s\n",
           af == AF_INET6 ? "AF_INET6" : af == AF_INET ? "AF_INET" : "other", src, r, text,
           idx == 0 ? "0" : idx == lo ? "lo" : idx == 12345 ? "untouched" : idx == 7 ? "7" : "other");
}

static void deferred(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    printf("make_tcp_listen_socket_deferred(tcp) = %d\n", evutil_make_tcp_listen_socket_deferred(fd));
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len);
    printf("  TCP_DEFER_ACCEPT set=%s\n", yesno(v != 0));
    close(fd);
    int sv[2];
    make_socketpair(sv);
    errno = 0;
    int r = evutil_make_tcp_listen_socket_deferred(sv[0]);
    printf("make_tcp_listen_socket_deferred(unix) = %d errno=%s\n", r, errname(r ? errno : 0));
    close(sv[0]);
    close(sv[1]);
    errno = 0;
    r = evutil_make_tcp_listen_socket_deferred(-1);
    printf("make_tcp_listen_socket_deferred(-1) = %d errno=%s\n", r, errname(errno));
}

int main(void)
{
    start();
    event_base_free(new_base());
    cases();
    strtoll_cases();
    sockaddrs();
    pton_scope("fe80::1%lo", AF_INET6);
    pton_scope("fe80::1%7", AF_INET6);
    pton_scope("fe80::1%nosuchif0", AF_INET6);
    pton_scope("fe80::1%", AF_INET6);
    pton_scope("::1", AF_INET6);
    pton_scope("fe80::zz%lo", AF_INET6);
    pton_scope("10.0.0.1", AF_INET);
    pton_scope("10.0.0.1%lo", AF_INET);
    pton_scope("nonsense", AF_INET6);
    deferred();
    printf("done\n");
    return 0;
}
