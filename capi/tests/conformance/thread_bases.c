/* memcached's threads: the main thread makes a base per worker and puts an event on each with
 * event_set / event_base_set / event_add; each worker thread runs its own base's loop. Worker 1
 * reuses a struct event last set on worker 0's base while worker 0's loop runs (memcached reuses
 * a connection's struct for the next connection on its fd, which may go to another worker).
 * The workers write what they saw into their own logs; the main thread prints them after
 * joining, so the output does not depend on how the threads interleave. */
#include "common.h"
#include <event2/event_compat.h>
#include <pthread.h>

struct worker {
    const char *name;
    struct event_base *base;
    int p[2];
    struct event ev_read;
    char log[2048];
    int loop_result;
};

static struct worker w[2];
static struct event shared;

static void logf_(struct worker *me, const char *fmt, ...)
{
    size_t used = strlen(me->log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(me->log + used, sizeof me->log - used, fmt, ap);
    va_end(ap);
}

static void shared_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *me = arg;
    logf_(me, "  shared_cb fd=%d what=%s on my base: %s\n", (int)fd, evflags(what),
          yesno(event_get_base(&shared) == me->base));
    logf_(me, "  event_del(my read) = %d\n", event_del(&me->ev_read));
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *me = arg;
    char c = '?';
    int n = (int)read(fd, &c, 1);
    logf_(me, "  read_cb what=%s read=%d '%c'\n", evflags(what), n, c);
    if (c == 'r') {
        /* Set up again on this thread's base: memcached's conn_new inside its worker. */
        event_set(&shared, -1, 0, shared_cb, me);
        logf_(me, "  event_set(shared): initialized=%d base NULL: %s\n",
              event_initialized(&shared), yesno(event_get_base(&shared) == NULL));
        logf_(me, "  event_base_set(shared) = %d\n", event_base_set(me->base, &shared));
        struct timeval tv = ms(1);
        logf_(me, "  event_add(shared, 1ms) = %d\n", event_add(&shared, &tv));
    } else {
        logf_(me, "  event_del(my read) = %d\n", event_del(&me->ev_read));
    }
}

static void *run(void *arg)
{
    struct worker *me = arg;
    me->loop_result = event_base_loop(me->base, 0);
    return NULL;
}

int main(void)
{
    start();
    struct event_config *cfg = event_config_new();
    for (int i = 0; i < 2; i++)
        w[i].base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    printf("method: %s\n", event_base_get_method(w[0].base));
    for (int i = 0; i < 2; i++) {
        w[i].name = i == 0 ? "worker 0" : "worker 1";
        make_pipe(w[i].p);
        event_set(&w[i].ev_read, w[i].p[0], EV_READ | EV_PERSIST, read_cb, &w[i]);
        int set = event_base_set(w[i].base, &w[i].ev_read);
        printf("%s: event_base_set = %d, event_add = %d\n", w[i].name, set,
               event_add(&w[i].ev_read, NULL));
    }
    /* The shared struct starts on worker 0's base, set up but not added. */
    event_set(&shared, -1, 0, shared_cb, &w[0]);
    printf("shared: event_base_set(worker 0) = %d\n", event_base_set(w[0].base, &shared));

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, run, &w[i]);
    /* Worker 1 moves `shared` to its base while worker 0's loop waits, then stops. */
    printf("write to worker 1 = %d\n", (int)write(w[1].p[1], "r", 1));
    pthread_join(t[1], NULL);
    printf("worker 1 joined\n");
    printf("write to worker 0 = %d\n", (int)write(w[0].p[1], "x", 1));
    pthread_join(t[0], NULL);
    for (int i = 0; i < 2; i++) {
        printf("%s:\n%s  loop returned %d\n", w[i].name, w[i].log, w[i].loop_result);
        show_pending("  its read event", &w[i].ev_read);
    }
    printf("shared on worker 1's base: %s\n", yesno(event_get_base(&shared) == w[1].base));
    show_pending("shared", &shared);
    for (int i = 0; i < 2; i++)
        event_base_free(w[i].base);
    printf("done\n");
    return 0;
}
