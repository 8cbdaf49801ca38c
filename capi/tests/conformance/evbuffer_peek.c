/* evbuffer_peek: how many extents hold the first n bytes, and what they hold. */
#include "common.h"

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, "first-", 6);
    evbuffer_add(b, "second-", 7);
    static char big[4000];
    memset(big, '#', sizeof big);
    evbuffer_add(b, big, sizeof big);
    evbuffer_add(b, "tail", 4);
    printf("length=%zu\n", evbuffer_get_length(b));

    int needed = evbuffer_peek(b, -1, NULL, NULL, 0);
    printf("peek(all, no vecs) = %d\n", needed);
    struct evbuffer_iovec v[16];
    int n = evbuffer_peek(b, 10, NULL, v, 16);
    printf("peek(10) = %d first=\"%.*s\"\n", n, (int)(v[0].iov_len < 10 ? v[0].iov_len : 10),
           (char *)v[0].iov_base);
    n = evbuffer_peek(b, -1, NULL, v, 16);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += v[i].iov_len;
    printf("peek(all) = %d total=%zu\n", n, total);
    struct evbuffer_ptr p = evbuffer_search(b, "tail", 4, NULL);
    n = evbuffer_peek(b, 4, &p, v, 16);
    printf("peek(4 at tail) = %d \"%.*s\"\n", n, (int)v[0].iov_len, (char *)v[0].iov_base);
    evbuffer_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
