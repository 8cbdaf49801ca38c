/* link: -levent_pthreads -lpthread */
/* evthread_set_id_callback: libevent asks the program's id function as a loop starts, and no
 * longer once it is cleared; without lock callbacks a new base has no internal event. Then
 * lock debugging (through the misspelt evthread_enable_lock_debuging): it moves the getters
 * to the program's own tables (the table in force, still readable through the old pointer,
 * now holds the debugging wrappers), turns locking on (new bases are notifiable), and the
 * pthread callbacks set afterwards land in the program's table; the wrappers lock through
 * them. */
#include "common.h"
#include <event2/thread.h>
#include <pthread.h>

struct evthread_lock_callbacks *evthread_get_lock_callbacks(void);
struct evthread_condition_callbacks *evthread_get_condition_callbacks(void);

static int id_calls;

static unsigned long my_id(void)
{
    id_calls++;
    return 42;
}

static void show_lock(const char *label, const struct evthread_lock_callbacks *l)
{
    printf("%s: api=%d types=%u alloc=%s free=%s lock=%s unlock=%s\n", label,
           l->lock_api_version, l->supported_locktypes, yesno(l->alloc != NULL),
           yesno(l->free != NULL), yesno(l->lock != NULL), yesno(l->unlock != NULL));
}

static void show_cond(const char *label, const struct evthread_condition_callbacks *c)
{
    printf("%s: api=%d alloc=%s free=%s signal=%s wait=%s\n", label, c->condition_api_version,
           yesno(c->alloc_condition != NULL), yesno(c->free_condition != NULL),
           yesno(c->signal_condition != NULL), yesno(c->wait_condition != NULL));
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    printf("no lock callbacks, a new base:\n");
    dump_events(base);
    evthread_set_id_callback(my_id);
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("id asked during the loop: %s\n", yesno(id_calls > 0));
    evthread_set_id_callback(NULL);
    id_calls = 0;
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    printf("id asked once cleared: %s\n", yesno(id_calls > 0));
    event_base_free(base);

    printf("-- lock debugging\n");
    struct evthread_lock_callbacks *L0 = evthread_get_lock_callbacks();
    struct evthread_condition_callbacks *C0 = evthread_get_condition_callbacks();
    evthread_enable_lock_debuging();
    struct evthread_lock_callbacks *L1 = evthread_get_lock_callbacks();
    struct evthread_condition_callbacks *C1 = evthread_get_condition_callbacks();
    printf("getters moved: lock=%s cond=%s\n", yesno(L1 != L0), yesno(C1 != C0));
    show_lock("program's lock table", L1);
    show_lock("lock table in force", L0);
    show_cond("program's cond table", C1);
    show_cond("cond table in force", C0);
    evthread_enable_lock_debugging();
    printf("enabled again: getters still moved: %s\n", yesno(evthread_get_lock_callbacks() == L1));
    base = new_base();
    printf("a base made with lock debugging on:\n");
    dump_events(base);
    event_base_free(base);

    printf("evthread_use_pthreads = %d\n", evthread_use_pthreads());
    show_lock("program's lock table", L1);
    show_lock("lock table in force", L0);
    show_cond("program's cond table", C1);
    show_cond("cond table in force", C0);
    void *l = L0->alloc(0);
    printf("debug alloc: %s\n", yesno(l != NULL));
    int a = L0->lock(0, l), b = L0->unlock(0, l);
    printf("debug lock = %d, unlock = %d\n", a, b);
    L0->free(l, 0);
    base = new_base();
    dump_events(base);
    printf("loop(NONBLOCK) = %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
    event_base_free(base);
    printf("done\n");
    return 0;
}
