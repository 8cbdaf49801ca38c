/* event_set_log_callback receives what event_msgx / event_warnx / event_warn / event_sock_warn
 * log, with its severity and exact text (": strerror" appended for the errno kinds; a long
 * message cut to 1023 bytes), and libevent's own warnings too; NULL puts messages back on
 * stderr. */
#include "common.h"

/* Exported by libevent, declared only in its internal log-internal.h. */
void event_warn(const char *fmt, ...);
void event_sock_warn(evutil_socket_t sock, const char *fmt, ...);
void event_warnx(const char *fmt, ...);
void event_msgx(const char *fmt, ...);

static const char *severity(int s)
{
    switch (s) {
    case EVENT_LOG_DEBUG: return "DEBUG";
    case EVENT_LOG_MSG: return "MSG";
    case EVENT_LOG_WARN: return "WARN";
    case EVENT_LOG_ERR: return "ERR";
    default: return "?";
    }
}

static int calls;

static void log_cb(int sev, const char *msg)
{
    calls++;
    if (sev == EVENT_LOG_DEBUG)
        return;
    if (strlen(msg) > 100)
        printf("log_cb %s len=%zu starts \"%.10s\" ends \"%s\"\n", severity(sev), strlen(msg),
               msg, msg + strlen(msg) - 5);
    else
        printf("log_cb %s \"%s\"\n", severity(sev), msg);
}

int main(void)
{
    start();
    event_base_free(new_base());
    event_set_log_callback(log_cb);
    event_msgx("plain %s %d", "message", 42);
    event_warnx("warning %05.1f|%-4s|", 3.14159, "ab");
    errno = ENOENT;
    event_warn("opening %s", "/nonexistent");
    errno = 0;
    event_warn("errno zero");
    int sv[2];
    make_socketpair(sv);
    errno = ECONNRESET;
    event_sock_warn(sv[0], "socket %s", "trouble");
    errno = EAGAIN;
    event_sock_warn(-1, "bad fd");
    event_msgx("%s", "");

    char *big = malloc(2001);
    memset(big, 'x', 2000);
    big[1995] = 'E';
    big[2000] = 0;
    event_warnx("%s", big);
    errno = EPIPE;
    event_warn("%s", big);
    big[1018] = 0;
    errno = EPIPE;
    event_warn("%s", big);
    free(big);

    /* libevent's own warning goes to the callback too. */
    event_base_free(NULL);

    int before = calls;
    event_set_log_callback(NULL);
    event_warnx("this one goes to stderr");
    printf("after reset: callback calls %d -> %d\n", before, calls);
    close(sv[0]);
    close(sv[1]);
    printf("done\n");
    return 0;
}
