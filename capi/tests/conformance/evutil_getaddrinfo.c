/* evutil_getaddrinfo on numeric hosts and the loopback (no network): each answer's family,
 * socktype, protocol, address and port; the errors of a bad numeric host and a bad service,
 * with evutil_gai_strerror's text; evutil_freeaddrinfo of every answer. */
#include "common.h"

static const char *family(int f)
{
    switch (f) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNSPEC: return "AF_UNSPEC";
    default: return "?";
    }
}

static const char *socktype(int t)
{
    switch (t) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_RAW: return "SOCK_RAW";
    case 0: return "0";
    default: return "?";
    }
}

static void show(const char *node, const char *serv, int fam, int type, int flags)
{
    struct evutil_addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = fam;
    hints.ai_socktype = type;
    hints.ai_flags = flags;
    int r = evutil_getaddrinfo(node, serv, &hints, &res);
    printf("getaddrinfo(%s, %s, %s, %s, flags=%#x) = %d", node ? node : "NULL",
           serv ? serv : "NULL", family(fam), socktype(type), flags, r);
    if (r != 0) {
        printf(" (%s) res=%s\n", evutil_gai_strerror(r), res ? "set" : "NULL");
        return;
    }
    printf("\n");
    for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next) {
        char text[128] = "?";
        int port = -1;
        if (ai->ai_family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
            evutil_inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
            port = ntohs(sin->sin_port);
        } else if (ai->ai_family == AF_INET6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
            evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
            port = ntohs(sin6->sin6_port);
        }
        printf("  %s %s proto=%d addrlen=%d addr=%s port=%d canon=%s\n", family(ai->ai_family),
               socktype(ai->ai_socktype), ai->ai_protocol, (int)ai->ai_addrlen, text, port,
               ai->ai_canonname ? ai->ai_canonname : "NULL");
    }
    evutil_freeaddrinfo(res);
}

int main(void)
{
    start();
    event_base_free(new_base());
    show("127.0.0.1", "80", AF_UNSPEC, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
    show("127.0.0.1", "8080", AF_INET, 0, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV);
    show("::1", "443", AF_UNSPEC, SOCK_DGRAM, EVUTIL_AI_NUMERICHOST);
    show("::1", NULL, AF_INET6, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
    show(NULL, "9000", AF_INET, SOCK_STREAM, EVUTIL_AI_PASSIVE);
    show(NULL, "9000", AF_INET6, SOCK_STREAM, EVUTIL_AI_PASSIVE);
    show(NULL, "9001", AF_INET, SOCK_STREAM, 0);
    show("127.0.0.1", NULL, AF_INET, 0, EVUTIL_AI_NUMERICHOST);
    show("127.0.0.1", "80", AF_INET, 0, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_CANONNAME);
    /* The flag only libevent knows (its "allocated by libevent" mark) is cleared, not refused. */
    show("127.0.0.1", "81", AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICHOST | (int)0x80000000);

    /* Errors. */
    show("not-a-number", "80", AF_UNSPEC, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
    show("300.1.2.3", "80", AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
    show("127.0.0.1", "http-nope", AF_INET, SOCK_STREAM,
         EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV);
    show("::1", "80", AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
    show(NULL, NULL, AF_UNSPEC, SOCK_STREAM, 0);
    show("127.0.0.1", "80", 12345, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);

    /* NULL hints: PF_UNSPEC, every socket type. */
    struct evutil_addrinfo *res = NULL;
    int r = evutil_getaddrinfo("127.0.0.1", "7", NULL, &res);
    int n = 0;
    for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
        n++;
    printf("getaddrinfo(127.0.0.1, 7, NULL hints) = %d answers=%d\n", r, n);
    for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
        printf("  %s %s proto=%d\n", family(ai->ai_family), socktype(ai->ai_socktype),
               ai->ai_protocol);
    evutil_freeaddrinfo(res);

    int codes[] = {0, EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS,
                   EVUTIL_EAI_FAIL, EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA,
                   EVUTIL_EAI_NONAME, EVUTIL_EAI_SERVICE, EVUTIL_EAI_SOCKTYPE,
                   EVUTIL_EAI_SYSTEM, EVUTIL_EAI_CANCEL, -9, -5, -12345};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        printf("gai_strerror(%d) = %s\n", codes[i], evutil_gai_strerror(codes[i]));
    printf("done\n");
    return 0;
}
