/* The fatal path, each case in a child process: event_errx / event_err / event_sock_err write
 * "[err] ..." on stderr (": strerror" for err and sock_err) and exit with their code; with a
 * fatal callback it runs first (and the process still exits with the code when it returns);
 * with a log callback the message goes there. event_enable_debug_mode twice, or after a base
 * exists, is fatal; event_disable_debug_mode turns it off. event_enable_debug_logging leaves a
 * program working. */
#include "common.h"
#include <sys/wait.h>

void event_err(int eval, const char *fmt, ...);
void event_errx(int eval, const char *fmt, ...);
void event_sock_err(int eval, evutil_socket_t sock, const char *fmt, ...);
void event_warnx(const char *fmt, ...);
void event_warn(const char *fmt, ...);
void event_msgx(const char *fmt, ...);
void event_sock_warn(evutil_socket_t sock, const char *fmt, ...);
void event_disable_debug_mode(void);

static void fatal_cb(int code)
{
    printf("  fatal_cb(%d)\n", code);
}

static void fatal_exit_cb(int code)
{
    printf("  fatal_exit_cb(%d): exiting with 77\n", code);
    exit(77);
}

static int debug_messages;

static void log_cb(int sev, const char *msg)
{
    if (sev == EVENT_LOG_DEBUG)
        debug_messages++;
    else
        printf("  log_cb sev=%d \"%s\"\n", sev, msg);
}

/* Runs `body` in a child whose stderr is read back; prints the child's stderr and status. */
static void child(const char *what, void (*body)(void))
{
    printf("%s:\n", what);
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        body();
        printf("  body returned\n");
        exit(0);
    }
    close(p[1]);
    char buf[4096];
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    /* Only the lines libevent's log writes ("[...] ..."). */
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (line[0] == '[')
            printf("  stderr: %s\n", line);
    if (WIFEXITED(st))
        printf("  exit status %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("  killed by signal %d\n", WTERMSIG(st));
}

static void stderr_messages(void)
{
    event_msgx("a message %d", 1);
    event_warnx("a warning %s", "x");
    errno = ENOSPC;
    event_warn("a warning with errno");
    errno = ETIMEDOUT;
    event_sock_warn(3, "a socket warning");
    event_set_log_callback(log_cb);
    event_warnx("to the callback");
    event_set_log_callback(NULL);
    event_warnx("back on stderr");
}

static void errx_plain(void) { event_errx(3, "fatal %s #%d", "problem", 1); }
static void err_plain(void)
{
    errno = EACCES;
    event_err(4, "open(%s)", "x");
}
static void sock_err_plain(void)
{
    errno = ECONNREFUSED;
    event_sock_err(5, 9, "connect");
}
static void errx_fatal_cb(void)
{
    event_set_fatal_callback(fatal_cb);
    event_errx(6, "with fatal callback");
}
static void errx_fatal_exit_cb(void)
{
    event_set_fatal_callback(fatal_exit_cb);
    event_errx(6, "fatal callback exits");
}
static void errx_log_cb(void)
{
    event_set_log_callback(log_cb);
    event_set_fatal_callback(fatal_cb);
    errno = EINTR;
    event_err(8, "logged %s", "there");
}
static void errx_abort(void)
{
    event_errx((int)0xdeaddead, "abort code");
}
static void errx_abort_cb(void)
{
    event_set_fatal_callback(fatal_cb);
    event_errx((int)0xdeaddead, "abort code with fatal callback");
}
static void errx_zero(void)
{
    event_errx(0, "exit code zero");
}
static void debug_twice(void)
{
    event_set_fatal_callback(fatal_cb);
    event_enable_debug_mode();
    printf("  first event_enable_debug_mode returned\n");
    event_enable_debug_mode();
}
static void debug_late(void)
{
    event_set_fatal_callback(fatal_cb);
    struct event_base *b = event_base_new();
    event_base_free(b);
    event_enable_debug_mode();
}
static void debug_off_on(void)
{
    event_set_fatal_callback(fatal_cb);
    event_enable_debug_mode();
    event_disable_debug_mode();
    printf("  disabled\n");
    event_enable_debug_mode();
    printf("  enabled again\n");
    event_disable_debug_mode();
}

static int ticks;
static void tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("  tick %d what=%s\n", ++ticks, evflags(what));
    if (ticks % 3 == 0)
        event_base_loopbreak(arg);
}

static void debug_mode_loop(void)
{
    event_set_log_callback(log_cb);
    event_enable_debug_mode();
    event_enable_debug_logging(EVENT_DBG_ALL);
    struct event_base *b = event_base_new();
    struct event *ev = event_new(b, -1, EV_PERSIST, tick, b);
    struct timeval tv = {0, 5000};
    event_add(ev, &tv);
    printf("  loop = %d\n", event_base_dispatch(b));
    printf("  debug messages while EVENT_DBG_ALL: %s\n", yesno(debug_messages > 0));
    event_enable_debug_logging(EVENT_DBG_NONE);
    debug_messages = 0;
    printf("  loop = %d\n", event_base_dispatch(b));
    printf("  debug messages while EVENT_DBG_NONE: %s\n", yesno(debug_messages > 0));
    event_free(ev);
    event_base_free(b);
    event_warnx("still logging");
}

int main(void)
{
    start();
    /* The backend's name, from a base made in a child: this process makes none, so that
     * event_enable_debug_mode is not too late in the children below. */
    pid_t pid = fork();
    if (pid == 0) {
        event_base_free(new_base());
        exit(0);
    }
    waitpid(pid, NULL, 0);
    child("messages on stderr without a log callback", stderr_messages);
    child("event_errx", errx_plain);
    child("event_err", err_plain);
    child("event_sock_err", sock_err_plain);
    child("event_errx with a fatal callback that returns", errx_fatal_cb);
    child("event_errx with a fatal callback that exits", errx_fatal_exit_cb);
    child("event_err with log and fatal callbacks", errx_log_cb);
    child("event_errx(EVENT_ERR_ABORT_)", errx_abort);
    child("event_errx(EVENT_ERR_ABORT_) with a fatal callback", errx_abort_cb);
    child("event_errx(0)", errx_zero);
    child("event_enable_debug_mode twice", debug_twice);
    child("event_enable_debug_mode after a base", debug_late);
    child("event_disable_debug_mode then enable again", debug_off_on);
    child("debug mode and debug logging on a running loop", debug_mode_loop);
    printf("done\n");
    return 0;
}
