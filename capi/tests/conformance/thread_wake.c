/* link: -levent_pthreads -lpthread */
/* After evthread_use_pthreads, calls made from another thread while a thread dispatches the
 * base take effect and wake the loop, which is blocked with no timeout (its only event is a
 * persistent read on a pipe nobody writes): event_active, event_add of a timer,
 * event_base_loopbreak; then, in a second dispatch, event_del of the last event ends the loop.
 * The helper waits for each callback before its next call, and keeps what its calls returned
 * for the main thread to print after joining, so the output does not depend on scheduling. */
#include "common.h"
#include <event2/thread.h>
#include <pthread.h>
#include <semaphore.h>

static struct event_base *base;
static struct event *idle, *start_ev, *act_ev, *tmr;
static sem_t started, acted, timed;
static int r_add = -9, r_break = -9, r_del = -9;

static void idle_cb(evutil_socket_t fd UNUSED, short what, void *arg UNUSED)
{
    printf("idle_cb what=%s (nobody writes the pipe)\n", evflags(what));
}

static void start_cb(evutil_socket_t fd UNUSED, short what, void *arg UNUSED)
{
    printf("start_cb what=%s\n", evflags(what));
    sem_post(&started);
}

static void act_cb(evutil_socket_t fd UNUSED, short what, void *arg UNUSED)
{
    printf("act_cb what=%s\n", evflags(what));
    sem_post(&acted);
}

static void tmr_cb(evutil_socket_t fd UNUSED, short what, void *arg UNUSED)
{
    printf("tmr_cb what=%s\n", evflags(what));
    sem_post(&timed);
}

/* Gives the loop time to block in its backend again. */
static void settle(void)
{
    usleep(50 * 1000);
}

static void *helper(void *arg UNUSED)
{
    sem_wait(&started);
    settle();
    event_active(act_ev, EV_READ, 0);
    sem_wait(&acted);
    settle();
    struct timeval tv = ms(10);
    r_add = event_add(tmr, &tv);
    sem_wait(&timed);
    settle();
    r_break = event_base_loopbreak(base);
    return NULL;
}

static void *deleter(void *arg UNUSED)
{
    sem_wait(&started);
    settle();
    r_del = event_del(idle);
    return NULL;
}

int main(void)
{
    start();
    int used = evthread_use_pthreads();
    base = new_base();
    printf("evthread_use_pthreads = %d\n", used);
    sem_init(&started, 0, 0);
    sem_init(&acted, 0, 0);
    sem_init(&timed, 0, 0);
    int p[2];
    make_pipe(p);
    idle = event_new(base, p[0], EV_READ | EV_PERSIST, idle_cb, NULL);
    start_ev = event_new(base, -1, 0, start_cb, NULL);
    act_ev = event_new(base, -1, 0, act_cb, NULL);
    tmr = evtimer_new(base, tmr_cb, NULL);
    printf("event_add(idle) = %d\n", event_add(idle, NULL));

    printf("-- dispatch 1: active, timer, loopbreak from another thread\n");
    event_active(start_ev, EV_TIMEOUT, 0);
    pthread_t t;
    pthread_create(&t, NULL, helper, NULL);
    int r = event_base_dispatch(base);
    pthread_join(t, NULL);
    printf("dispatch = %d got_break=%d\n", r, event_base_got_break(base));
    printf("helper: event_add(tmr) = %d, event_base_loopbreak = %d\n", r_add, r_break);
    show_pending("idle", idle);
    show_pending("tmr", tmr);

    printf("-- dispatch 2: event_del of the last event from another thread\n");
    event_active(start_ev, EV_TIMEOUT, 0);
    pthread_create(&t, NULL, deleter, NULL);
    r = event_base_dispatch(base);
    pthread_join(t, NULL);
    printf("dispatch = %d got_break=%d\n", r, event_base_got_break(base));
    printf("deleter: event_del(idle) = %d\n", r_del);
    show_pending("idle", idle);

    event_free(idle);
    event_free(start_ev);
    event_free(act_ev);
    event_free(tmr);
    event_base_free(base);
    printf("done\n");
    return 0;
}
