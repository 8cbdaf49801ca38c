/* event_set_mem_functions: once set, the library's own allocations go through the program's
 * malloc / realloc / free: objects it makes, and the strings it hands over (evbuffer_readln),
 * which the program frees with its own free. Counts differ between libraries, so only whether
 * the replacements ran, and whether every block was given back, are printed. */
#include "common.h"

#define MAX_LIVE 4096
static void *live[MAX_LIVE];
static int n_malloc, n_free, n_outstanding, n_foreign_free;

static void remember(void *p)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) {
            live[i] = p;
            n_outstanding++;
            return;
        }
}

static int forget(void *p)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == p) {
            live[i] = NULL;
            n_outstanding--;
            return 1;
        }
    return 0;
}

static void *my_malloc(size_t n)
{
    n_malloc++;
    void *p = malloc(n);
    if (p)
        remember(p);
    return p;
}

static void *my_realloc(void *old, size_t n)
{
    n_malloc++;
    if (old && !forget(old))
        n_foreign_free++;
    void *p = realloc(old, n);
    if (p)
        remember(p);
    return p;
}

static void my_free(void *p)
{
    if (!p)
        return;
    n_free++;
    if (!forget(p))
        n_foreign_free++;
    free(p);
}

static int is_live(const void *p)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == p)
            return 1;
    return 0;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("cb what=%s\n", evflags(what));
}

int main(void)
{
    start();
    event_set_mem_functions(my_malloc, my_realloc, my_free);
    struct event_base *base = new_base();
    printf("base made: replacement malloc used=%s\n", yesno(n_malloc > 0));
    int before = n_malloc;
    struct event *ev = event_new(base, -1, 0, cb, NULL);
    printf("event_new: replacement malloc used=%s event block is one of its=%s\n",
           yesno(n_malloc > before), yesno(is_live(ev)));
    event_active(ev, EV_TIMEOUT, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);

    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, "first line\nsecond\n", 18);
    size_t len = 0;
    char *line = evbuffer_readln(buf, &len, EVBUFFER_EOL_LF);
    printf("readln = \"%s\" len=%zu from the replacement malloc=%s\n", line, len,
           yesno(is_live(line)));
    my_free(line);
    evbuffer_free(buf);
    event_free(ev);
    event_base_free(base);
    printf("after freeing everything: blocks outstanding=%d freed by the replacement=%s "
           "frees of blocks it did not make=%d\n",
           n_outstanding, yesno(n_free > 0), n_foreign_free);
    printf("done\n");
    return 0;
}
