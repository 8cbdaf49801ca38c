/* evbuffer basics: add, add_printf, get_length, drain (also more than there is), remove,
 * copyout, pullup (part, all, more than there is), get_contiguous_space, expand, add_buffer,
 * prepend, prepend_buffer, remove_buffer. */
#include "common.h"

static void show(const char *label, struct evbuffer *b)
{
    size_t len = evbuffer_get_length(b);
    char buf[256];
    ev_ssize_t n = evbuffer_copyout(b, buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = '\0';
    printf("%s: length=%zu copyout=%d \"%s\"\n", label, len, (int)n, buf);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    struct evbuffer *b = evbuffer_new();
    show("new", b);
    printf("contiguous_space(empty) = %zu\n", evbuffer_get_contiguous_space(b));
    printf("pullup(empty, -1) is NULL: %s\n", yesno(evbuffer_pullup(b, -1) == NULL));
    printf("evbuffer_add = %d\n", evbuffer_add(b, "hello", 5));
    show("add", b);
    printf("contiguous_space = %zu\n", evbuffer_get_contiguous_space(b));
    printf("evbuffer_add_printf = %d\n", evbuffer_add_printf(b, " %s %d %05.1f|", "world", -42, 3.14159));
    show("add_printf", b);
    printf("evbuffer_add(empty) = %d\n", evbuffer_add(b, "", 0));
    printf("evbuffer_drain(2) = %d\n", evbuffer_drain(b, 2));
    show("drain", b);

    char out[64];
    int n = evbuffer_remove(b, out, 4);
    out[n] = '\0';
    printf("evbuffer_remove(4) = %d \"%s\"\n", n, out);
    show("remove", b);
    n = (int)evbuffer_copyout(b, out, 3);
    out[n] = '\0';
    printf("evbuffer_copyout(3) = %d \"%s\"\n", n, out);
    show("copyout leaves it", b);

    /* Many pieces: several chains. */
    static char big[3000];
    memset(big, 'a', sizeof big);
    for (int i = 0; i < 4; i++)
        evbuffer_add(b, big, sizeof big);
    printf("length=%zu contiguous_space=%zu\n", evbuffer_get_length(b),
           evbuffer_get_contiguous_space(b));
    unsigned char *p = evbuffer_pullup(b, 20);
    printf("pullup(20) starts \"%.*s\", contiguous_space>=20 %s\n", 20, (char *)p,
           yesno(evbuffer_get_contiguous_space(b) >= 20));
    p = evbuffer_pullup(b, -1);
    printf("pullup(-1) non-NULL %s, contiguous_space == length %s\n", yesno(p != NULL),
           yesno(evbuffer_get_contiguous_space(b) == evbuffer_get_length(b)));
    printf("pullup(more than length) is NULL: %s\n",
           yesno(evbuffer_pullup(b, (ev_ssize_t)evbuffer_get_length(b) + 1) == NULL));
    printf("evbuffer_drain(huge) = %d\n", evbuffer_drain(b, 1000000));
    show("drained", b);
    n = evbuffer_remove(b, out, sizeof out);
    printf("evbuffer_remove on empty = %d\n", n);

    printf("evbuffer_expand(1000) = %d\n", evbuffer_expand(b, 1000));
    printf("length=%zu\n", evbuffer_get_length(b));
    evbuffer_add(b, "xyz", 3);
    printf("contiguous_space = %zu\n", evbuffer_get_contiguous_space(b));

    struct evbuffer *c = evbuffer_new();
    evbuffer_add(c, "ABC", 3);
    printf("evbuffer_add_buffer = %d\n", evbuffer_add_buffer(b, c));
    show("b", b);
    show("c", c);
    printf("evbuffer_prepend = %d\n", evbuffer_prepend(b, ">>", 2));
    show("prepend", b);
    evbuffer_add(c, "[pre]", 5);
    printf("evbuffer_prepend_buffer = %d\n", evbuffer_prepend_buffer(b, c));
    show("prepend_buffer", b);
    show("c", c);
    printf("evbuffer_remove_buffer(4) = %d\n", evbuffer_remove_buffer(b, c, 4));
    show("b", b);
    show("c", c);
    printf("evbuffer_remove_buffer(100) = %d\n", evbuffer_remove_buffer(b, c, 100));
    show("b", b);
    show("c", c);
    printf("evbuffer_add_buffer(same) = %d\n", evbuffer_add_buffer(c, c));
    show("c", c);

    evbuffer_free(b);
    evbuffer_free(c);
    event_base_free(base);
    printf("done\n");
    return 0;
}
