/* fork() and event_reinit (tmux's server): the child's base keeps its events, still added, on
 * kernel state of its own; the parent's and the child's loops each see their own readiness and
 * their own signals. The child runs first; the parent waits for it. */
#include "common.h"
#include <sys/wait.h>

static struct event *ev_read, *ev_sig;
static int p[2];
static const char *who = "parent";

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    char c = '?';
    int n = (int)read(fd, &c, 1);
    printf("%s: read_cb fd=%s what=%s arg=%s read=%d '%c'\n", who, fd_name(fd), evflags(what),
           ptr_name(arg), n, c);
}

static void sig_cb(evutil_socket_t sig, short what, void *arg)
{
    printf("%s: sig_cb sig=%s what=%s arg=%s\n", who, sig == SIGUSR1 ? "SIGUSR1" : "?",
           evflags(what), ptr_name(arg));
}

static void turn(struct event_base *base, char byte)
{
    printf("%s: write = %d\n", who, (int)write(p[1], &byte, 1));
    printf("%s: loop(ONCE) = %d\n", who, event_base_loop(base, EVLOOP_ONCE));
    printf("%s: raise = %d\n", who, raise(SIGUSR1));
    printf("%s: loop(ONCE) = %d\n", who, event_base_loop(base, EVLOOP_ONCE));
    show_pending("  ev_read", ev_read);
    show_pending("  ev_sig", ev_sig);
}

int main(void)
{
    start();
    make_pipe(p);
    name_fd(p[0], "p0");
    name_fd(p[1], "p1");
    static char rarg[] = "rarg", sarg[] = "sarg";
    name_ptr(rarg, "rarg");
    name_ptr(sarg, "sarg");
    struct event_base *base = new_base();
    ev_read = event_new(base, p[0], EV_READ | EV_PERSIST, read_cb, rarg);
    ev_sig = evsignal_new(base, SIGUSR1, sig_cb, sarg);
    printf("add read = %d, add signal = %d\n", event_add(ev_read, NULL), event_add(ev_sig, NULL));

    pid_t child = fork();
    if (child < 0) {
        printf("fork failed\n");
        return 1;
    }
    if (child == 0) {
        who = "child";
        printf("child: event_reinit = %d\n", event_reinit(base));
        show_pending("  ev_read", ev_read);
        show_pending("  ev_sig", ev_sig);
        turn(base, 'c');
        event_free(ev_read);
        event_free(ev_sig);
        event_base_free(base);
        printf("child: done\n");
        exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("parent: the child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    turn(base, 'p');
    printf("parent: event_reinit without a fork = %d\n", event_reinit(base));
    turn(base, 'q');
    event_free(ev_read);
    event_free(ev_sig);
    event_base_free(base);
    printf("done\n");
    return 0;
}
