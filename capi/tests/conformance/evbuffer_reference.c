/* evbuffer_add_reference: the bytes are the program's, and its cleanup runs when libevent frees
 * their chain: once the last of them is drained (not before), when they are pulled up into
 * another chain, or when the buffer is freed; moved to another buffer, they go with their
 * cleanup. Nothing is added into a referenced chain (a later add makes a new one; a prepend
 * goes in front). evbuffer_add_buffer_reference: the destination sees a copy, the source keeps
 * its bytes, and a reference's cleanup waits for both. Printed: each cleanup as it runs. */
#include "common.h"

static void cleanup(const void *data, size_t len, void *extra)
{
    printf("  cleanup %s: %.*s (len %zu)\n", (const char *)extra, (int)len, (const char *)data,
           len);
}

static int chains(struct evbuffer *b)
{
    return evbuffer_peek(b, -1, NULL, NULL, 0);
}

static void show(const char *label, struct evbuffer *b)
{
    char out[64];
    size_t n = evbuffer_copyout(b, out, sizeof out);
    printf("%s: len=%zu chains=%d bytes=%.*s\n", label, evbuffer_get_length(b), chains(b), (int)n,
           out);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    static const char r1[] = "REFERENCE", r2[] = "SECOND", r3[] = "THIRD", r4[] = "FOURTH";
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();

    printf("-- drained\n");
    printf("add_reference = %d\n", evbuffer_add_reference(a, r1, 9, cleanup, "r1"));
    show("a", a);
    printf("add 3 -> a new chain\n");
    evbuffer_add(a, "xyz", 3);
    printf("prepend 2 -> in front\n");
    evbuffer_prepend(a, "<<", 2);
    show("a", a);
    printf("drain 2+5\n");
    evbuffer_drain(a, 7);
    show("a", a);
    printf("drain 3 more (one byte of r1 left)\n");
    evbuffer_drain(a, 3);
    show("a", a);
    printf("drain 1 (the last of r1)\n");
    evbuffer_drain(a, 1);
    show("a", a);
    printf("drain all\n");
    evbuffer_drain(a, 100);

    printf("-- moved to b, removed there\n");
    evbuffer_add_reference(a, r2, 6, cleanup, "r2");
    evbuffer_add_buffer(b, a);
    printf("moved\n");
    char out[8];
    printf("remove 6 from b -> %d\n", evbuffer_remove(b, out, 6));

    printf("-- pulled up\n");
    evbuffer_add(a, "ab", 2);
    evbuffer_add_reference(a, r3, 5, cleanup, "r3");
    evbuffer_add(a, "cd", 2);
    show("a", a);
    printf("pullup all\n");
    evbuffer_pullup(a, -1);
    show("a", a);
    evbuffer_drain(a, 100);

    printf("-- freed with its buffer\n");
    evbuffer_add_reference(a, r4, 6, cleanup, "r4");
    evbuffer_add_reference(a, "nocb", 4, NULL, NULL);
    printf("free a\n");
    evbuffer_free(a);
    printf("freed\n");

    printf("-- add_buffer_reference\n");
    struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
    evbuffer_add(src, "head", 4);
    evbuffer_add_reference(src, r1, 9, cleanup, "shared");
    printf("same buffer = %d\n", evbuffer_add_buffer_reference(src, src));
    printf("add_buffer_reference = %d\n", evbuffer_add_buffer_reference(dst, src));
    show("src", src);
    show("dst", dst);
    printf("add 2 to src (its chains take no more)\n");
    evbuffer_add(src, "++", 2);
    show("src", src);
    printf("drain src\n");
    evbuffer_drain(src, 100);
    printf("drain dst 6\n");
    evbuffer_drain(dst, 6);
    show("dst", dst);
    printf("drain dst\n");
    evbuffer_drain(dst, 100);
    printf("-- a multicast copy cannot be referenced again\n");
    evbuffer_add(src, "again", 5);
    evbuffer_add_buffer_reference(dst, src);
    struct evbuffer *third = evbuffer_new();
    printf("add_buffer_reference(third, dst) = %d\n", evbuffer_add_buffer_reference(third, dst));
    printf("empty source = %d\n", evbuffer_add_buffer_reference(dst, third));

    evbuffer_free(src);
    evbuffer_free(dst);
    evbuffer_free(third);
    evbuffer_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
