/* link: -levent_pthreads -lpthread */
/* After evthread_use_pthreads, bufferevent_write on a BEV_OPT_THREADSAFE bufferevent from
 * another thread, while the main thread's loop is blocked with no timeout: the loop wakes,
 * writes the bytes to the socket (the peer reads them) and runs the write callback; a second
 * write from the peer side is read by the loop; then the helper breaks the loop. The helper
 * keeps what it saw for the main thread to print after joining. */
#include "common.h"
#include <event2/thread.h>
#include <pthread.h>
#include <semaphore.h>

static struct event_base *base;
static struct bufferevent *bev;
static struct event *start_ev;
static int sv[2];
static sem_t started, wrote, readit;
static int r_write = -9, r_write2 = -9, r_break = -9, peer_read = -9;
static char peer_buf[64];

static void start_cb(evutil_socket_t fd UNUSED, short what, void *arg UNUSED)
{
    printf("start_cb what=%s\n", evflags(what));
    sem_post(&started);
}

static void write_cb(struct bufferevent *b, void *arg UNUSED)
{
    printf("write_cb output=%zu\n", evbuffer_get_length(bufferevent_get_output(b)));
    sem_post(&wrote);
}

static void read_cb(struct bufferevent *b, void *arg UNUSED)
{
    char buf[64];
    size_t n = bufferevent_read(b, buf, sizeof buf - 1);
    buf[n] = '\0';
    printf("read_cb read=%zu '%s'\n", n, buf);
    sem_post(&readit);
}

static void event_cb(struct bufferevent *b UNUSED, short what, void *arg UNUSED)
{
    printf("event_cb what=%s\n", bevflags(what));
}

static void *helper(void *arg UNUSED)
{
    sem_wait(&started);
    usleep(50 * 1000);
    r_write = bufferevent_write(bev, "hello", 5);
    sem_wait(&wrote);
    /* The bytes are in the socket by the time the write callback runs. */
    peer_read = drain_fd(sv[1], peer_buf, sizeof peer_buf);
    usleep(20 * 1000);
    r_write2 = (int)write(sv[1], "back", 4);
    sem_wait(&readit);
    usleep(20 * 1000);
    r_break = event_base_loopbreak(base);
    return NULL;
}

int main(void)
{
    start();
    int used = evthread_use_pthreads();
    base = new_base();
    printf("evthread_use_pthreads = %d\n", used);
    sem_init(&started, 0, 0);
    sem_init(&wrote, 0, 0);
    sem_init(&readit, 0, 0);
    make_socketpair(sv);
    evutil_make_socket_nonblocking(sv[0]);
    bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, NULL);
    printf("bufferevent_enable(READ) = %d\n", bufferevent_enable(bev, EV_READ));
    show_bev("bev", bev);
    start_ev = event_new(base, -1, 0, start_cb, NULL);
    event_active(start_ev, EV_TIMEOUT, 0);
    pthread_t t;
    pthread_create(&t, NULL, helper, NULL);
    int r = event_base_dispatch(base);
    pthread_join(t, NULL);
    printf("dispatch = %d got_break=%d\n", r, event_base_got_break(base));
    printf("helper: bufferevent_write = %d, peer read %d '%s', peer wrote %d, "
           "event_base_loopbreak = %d\n",
           r_write, peer_read, peer_buf, r_write2, r_break);
    show_bev("bev", bev);
    bufferevent_free(bev);
    event_free(start_ev);
    event_base_free(base);
    close(sv[1]);
    printf("done\n");
    return 0;
}
