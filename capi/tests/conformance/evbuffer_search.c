/* evbuffer_search, evbuffer_search_range, evbuffer_ptr_set (SET and ADD, past the end), across
 * chain boundaries. */
#include "common.h"

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, "abcab", 5);
    evbuffer_add(b, "cabc--", 6);
    static char big[2000];
    memset(big, '.', sizeof big);
    evbuffer_add(b, big, sizeof big);
    evbuffer_add(b, "needle!", 7);
    printf("length=%zu\n", evbuffer_get_length(b));

    struct evbuffer_ptr p = evbuffer_search(b, "abc", 3, NULL);
    printf("search abc = %d\n", (int)p.pos);
    struct evbuffer_ptr q = p;
    printf("ptr_set ADD 1 = %d\n", evbuffer_ptr_set(b, &q, 1, EVBUFFER_PTR_ADD));
    q = evbuffer_search(b, "abc", 3, &q);
    printf("search abc from there = %d\n", (int)q.pos);
    printf("ptr_set ADD 1 = %d\n", evbuffer_ptr_set(b, &q, 1, EVBUFFER_PTR_ADD));
    q = evbuffer_search(b, "abc", 3, &q);
    printf("search abc from there = %d\n", (int)q.pos);
    printf("ptr_set ADD 1 = %d\n", evbuffer_ptr_set(b, &q, 1, EVBUFFER_PTR_ADD));
    q = evbuffer_search(b, "abc", 3, &q);
    printf("search abc from there = %d\n", (int)q.pos);
    p = evbuffer_search(b, "needle", 6, NULL);
    printf("search needle = %d\n", (int)p.pos);
    p = evbuffer_search(b, "haystack", 8, NULL);
    printf("search haystack = %d\n", (int)p.pos);
    p = evbuffer_search(b, "", 0, NULL);
    printf("search empty = %d\n", (int)p.pos);

    struct evbuffer_ptr start_at, end_at;
    evbuffer_ptr_set(b, &start_at, 2, EVBUFFER_PTR_SET);
    evbuffer_ptr_set(b, &end_at, 10, EVBUFFER_PTR_SET);
    p = evbuffer_search_range(b, "abc", 3, &start_at, &end_at);
    printf("search_range abc [2,10) = %d\n", (int)p.pos);
    evbuffer_ptr_set(b, &end_at, 9, EVBUFFER_PTR_SET);
    p = evbuffer_search_range(b, "bc-", 3, &start_at, &end_at);
    printf("search_range bc- [2,9) = %d\n", (int)p.pos);
    p = evbuffer_search_range(b, "needle", 6, NULL, NULL);
    printf("search_range needle whole = %d\n", (int)p.pos);

    struct evbuffer_ptr r;
    printf("ptr_set SET length = %d\n",
           evbuffer_ptr_set(b, &r, evbuffer_get_length(b), EVBUFFER_PTR_SET));
    printf("ptr_set SET length+1 = %d\n",
           evbuffer_ptr_set(b, &r, evbuffer_get_length(b) + 1, EVBUFFER_PTR_SET));
    evbuffer_ptr_set(b, &r, 0, EVBUFFER_PTR_SET);
    int rc = evbuffer_ptr_set(b, &r, 2011, EVBUFFER_PTR_ADD);
    printf("ptr_set ADD 2011 = %d pos=%d\n", rc, (int)r.pos);
    char out[16];
    ev_ssize_t n = evbuffer_copyout_from(b, &r, out, 6);
    out[n < 0 ? 0 : n] = '\0';
    printf("copyout_from = %d \"%s\"\n", (int)n, out);
    evbuffer_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
