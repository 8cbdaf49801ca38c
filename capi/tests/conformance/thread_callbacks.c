/* link: -levent_pthreads -lpthread */
/* The lock and condition callback tables: empty before evthread_use_pthreads, refused when
 * incomplete, filled by evthread_use_pthreads (at the same address the getters gave before),
 * set again to the same functions (allowed) or to others (refused). The pthread callbacks
 * really lock: a try from another thread finds a held lock busy, a recursive lock nests, a
 * condition wait times out or is woken by another thread. evthread_make_base_notifiable: its
 * return values, and the internal event it adds (event_base_dump_events). */
#include "common.h"
#include <event2/thread.h>
#include <pthread.h>

/* Not in the header: libevent exports them, and programs declare them. */
struct evthread_lock_callbacks *evthread_get_lock_callbacks(void);
struct evthread_condition_callbacks *evthread_get_condition_callbacks(void);

static struct evthread_lock_callbacks *L;
static struct evthread_condition_callbacks *C;
static void *lock_, *cond_;
static int try_busy = -9, try_free = -9, unlock_free = -9, flag;

static void show_tables(const char *when)
{
    printf("%s: lock api=%d types=%u alloc=%s free=%s lock=%s unlock=%s\n", when,
           L->lock_api_version, L->supported_locktypes, yesno(L->alloc != NULL),
           yesno(L->free != NULL), yesno(L->lock != NULL), yesno(L->unlock != NULL));
    printf("%s: cond api=%d alloc=%s free=%s signal=%s wait=%s\n", when,
           C->condition_api_version, yesno(C->alloc_condition != NULL),
           yesno(C->free_condition != NULL), yesno(C->signal_condition != NULL),
           yesno(C->wait_condition != NULL));
}

static void *try_held(void *arg UNUSED)
{
    try_busy = L->lock(EVTHREAD_TRY, lock_);
    return NULL;
}

static void *try_released(void *arg UNUSED)
{
    try_free = L->lock(EVTHREAD_TRY, lock_);
    if (try_free == 0)
        unlock_free = L->unlock(0, lock_);
    return NULL;
}

static void *signaller(void *arg UNUSED)
{
    L->lock(0, lock_);
    flag = 1;
    C->signal_condition(cond_, 0);
    L->unlock(0, lock_);
    return NULL;
}

static void *fake_alloc(unsigned t UNUSED) { return NULL; }
static void fake_free(void *l UNUSED, unsigned t UNUSED) {}
static int fake_lock(unsigned m UNUSED, void *l UNUSED) { return 0; }

int main(void)
{
    start();
    /* A base made before any callbacks are set: no internal event. */
    struct event_base *base = new_base();
    dump_events(base);
    event_base_free(base);
    L = evthread_get_lock_callbacks();
    C = evthread_get_condition_callbacks();
    printf("getters non-NULL: lock=%s cond=%s\n", yesno(L != NULL), yesno(C != NULL));
    show_tables("before");
    struct evthread_lock_callbacks partial = {EVTHREAD_LOCK_API_VERSION, 0, fake_alloc, NULL,
                                              fake_lock, fake_lock};
    printf("set_lock_callbacks(incomplete) = %d\n", evthread_set_lock_callbacks(&partial));
    printf("set_lock_callbacks(NULL) = %d\n", evthread_set_lock_callbacks(NULL));
    struct evthread_condition_callbacks cpartial = {EVTHREAD_CONDITION_API_VERSION, NULL, NULL,
                                                    NULL, NULL};
    printf("set_condition_callbacks(incomplete) = %d\n",
           evthread_set_condition_callbacks(&cpartial));
    show_tables("after incomplete");

    printf("evthread_use_pthreads = %d\n", evthread_use_pthreads());
    printf("same tables: lock=%s cond=%s\n", yesno(evthread_get_lock_callbacks() == L),
           yesno(evthread_get_condition_callbacks() == C));
    show_tables("pthreads");
    struct evthread_lock_callbacks same = *L;
    printf("set_lock_callbacks(same) = %d\n", evthread_set_lock_callbacks(&same));
    struct evthread_lock_callbacks other = {EVTHREAD_LOCK_API_VERSION, 1, fake_alloc, fake_free,
                                            fake_lock, fake_lock};
    printf("set_lock_callbacks(other) = %d\n", evthread_set_lock_callbacks(&other));
    struct evthread_condition_callbacks csame = *C;
    printf("set_condition_callbacks(same) = %d\n", evthread_set_condition_callbacks(&csame));
    csame.condition_api_version = 2;
    printf("set_condition_callbacks(other version) = %d\n",
           evthread_set_condition_callbacks(&csame));
    printf("evthread_use_pthreads again = %d\n", evthread_use_pthreads());
    show_tables("still");

    printf("-- the pthread lock callbacks\n");
    lock_ = L->alloc(0);
    printf("alloc(0): %s\n", yesno(lock_ != NULL));
    printf("lock = %d\n", L->lock(0, lock_));
    pthread_t t;
    pthread_create(&t, NULL, try_held, NULL);
    pthread_join(t, NULL);
    printf("try from another thread while held: busy=%s\n", yesno(try_busy != 0));
    printf("unlock = %d\n", L->unlock(0, lock_));
    pthread_create(&t, NULL, try_released, NULL);
    pthread_join(t, NULL);
    printf("try from another thread once released = %d, its unlock = %d\n", try_free,
           unlock_free);
    void *rec = L->alloc(EVTHREAD_LOCKTYPE_RECURSIVE);
    printf("alloc(RECURSIVE): %s\n", yesno(rec != NULL));
    int a = L->lock(0, rec), b = L->lock(0, rec);
    printf("lock twice = %d %d\n", a, b);
    a = L->unlock(0, rec);
    b = L->unlock(0, rec);
    printf("unlock twice = %d %d\n", a, b);
    L->free(rec, EVTHREAD_LOCKTYPE_RECURSIVE);

    printf("-- the pthread condition callbacks\n");
    cond_ = C->alloc_condition(0);
    printf("alloc_condition: %s\n", yesno(cond_ != NULL));
    L->lock(0, lock_);
    struct timeval tv = ms(20);
    printf("wait 20ms, nobody signals = %d\n", C->wait_condition(cond_, lock_, &tv));
    pthread_create(&t, NULL, signaller, NULL);
    int w = 0;
    while (!flag && w == 0)
        w = C->wait_condition(cond_, lock_, NULL);
    printf("wait until signalled = %d flag=%d\n", w, flag);
    L->unlock(0, lock_);
    pthread_join(t, NULL);
    printf("broadcast with no waiter = %d\n", C->signal_condition(cond_, 1));
    C->free_condition(cond_);
    L->free(lock_, 0);

    printf("-- notifiable bases\n");
    base = new_base();
    printf("a base made now:\n");
    dump_events(base);
    printf("evthread_make_base_notifiable = %d\n", evthread_make_base_notifiable(base));
    printf("evthread_make_base_notifiable(NULL) = %d\n", evthread_make_base_notifiable(NULL));
    dump_events(base);
    printf("dispatch with only the internal event = %d\n", event_base_dispatch(base));
    event_base_free(base);

    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    printf("a NOLOCK base:\n");
    dump_events(base);
    printf("evthread_make_base_notifiable = %d\n", evthread_make_base_notifiable(base));
    dump_events(base);
    event_base_free(base);
    printf("done\n");
    return 0;
}
