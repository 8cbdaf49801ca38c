/* File bytes in an evbuffer: evbuffer_add_file (the buffer takes the fd and closes it once the
 * bytes have all left it, or at once when the add fails), file segments with an offset and a
 * length added to two buffers, with a cleanup callback that runs when the program has freed the
 * segment and no buffer holds its bytes, evbuffer_set_flags(EVBUFFER_FLAG_DRAINS_TO_FD) and a
 * write of file bytes to a pipe; and the old evbuffer_find (found: a pointer into the pulled-up
 * bytes; not found: NULL). */
#include "common.h"
#include <event2/buffer_compat.h>

static const char *open_state(int fd)
{
    return fcntl(fd, F_GETFD) == -1 ? "closed" : "open";
}

static void show(const char *label, struct evbuffer *b)
{
    char out[64];
    size_t n = evbuffer_copyout(b, out, sizeof out);
    printf("%s: len=%zu bytes=%.*s\n", label, evbuffer_get_length(b), (int)n, out);
}

static void segcb(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
    (void)seg;
    printf("  segment cleanup %s flags=%d\n", (const char *)arg, flags);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    char path[] = "/tmp/evbuffer_file_XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    write(fd, "0123456789abcdefghij", 20);
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();

    printf("-- add_file with offset and length\n");
    int f1 = dup(fd);
    printf("add_file(5, 10) = %d\n", evbuffer_add_file(a, f1, 5, 10));
    show("a", a);
    printf("fd %s\n", open_state(f1));
    evbuffer_drain(a, 9);
    printf("drained 9: fd %s\n", open_state(f1));
    evbuffer_drain(a, 1);
    printf("drained the last: fd %s\n", open_state(f1));

    printf("-- add_file of the whole file, after other bytes\n");
    evbuffer_add(a, "[", 1);
    int f2 = dup(fd);
    printf("add_file(0, -1) = %d\n", evbuffer_add_file(a, f2, 0, -1));
    evbuffer_add(a, "]", 1);
    show("a", a);
    printf("moved to b\n");
    evbuffer_add_buffer(b, a);
    printf("fd %s\n", open_state(f2));
    printf("b freed\n");
    evbuffer_free(b);
    printf("fd %s\n", open_state(f2));
    b = evbuffer_new();

    printf("-- add_file(2, -1): the file's size from 2 on, zeros past its end\n");
    int f7 = dup(fd);
    printf("add_file = %d\n", evbuffer_add_file(a, f7, 2, -1));
    unsigned char tail[32];
    size_t tn = evbuffer_copyout(a, tail, sizeof tail);
    printf("len %zu, last three:", tn);
    for (size_t i = tn >= 3 ? tn - 3 : 0; i < tn; i++)
        printf(" %02x", tail[i]);
    printf("\n");
    evbuffer_drain(a, 100);
    printf("fd %s\n", open_state(f7));

    printf("-- add_file refused (frozen end): the fd is closed\n");
    int f3 = dup(fd);
    evbuffer_freeze(a, 0);
    printf("add_file = %d\n", evbuffer_add_file(a, f3, 0, 4));
    printf("fd %s\n", open_state(f3));
    evbuffer_unfreeze(a, 0);

    printf("-- a segment in two buffers\n");
    int f4 = dup(fd);
    struct evbuffer_file_segment *seg = evbuffer_file_segment_new(f4, 4, 8, EVBUF_FS_CLOSE_ON_FREE);
    printf("segment_new non-NULL: %s\n", yesno(seg != NULL));
    evbuffer_file_segment_add_cleanup_cb(seg, segcb, "seg");
    printf("add_file_segment(a, 2, 3) = %d\n", evbuffer_add_file_segment(a, seg, 2, 3));
    printf("add_file_segment(b, 0, -1) = %d\n", evbuffer_add_file_segment(b, seg, 0, -1));
    show("a", a);
    show("b", b);
    printf("segment_free\n");
    evbuffer_file_segment_free(seg);
    printf("drain a\n");
    evbuffer_drain(a, 100);
    printf("fd %s\n", open_state(f4));
    printf("drain b\n");
    evbuffer_drain(b, 100);
    printf("fd %s\n", open_state(f4));

    printf("-- a bad range drops the program's reference\n");
    int f5 = dup(fd);
    struct evbuffer_file_segment *seg2 = evbuffer_file_segment_new(f5, 0, 4, 0);
    evbuffer_file_segment_add_cleanup_cb(seg2, segcb, "seg2");
    printf("add_file_segment(a, 0, 4) = %d\n", evbuffer_add_file_segment(a, seg2, 0, 4));
    printf("add_file_segment(a, 3, 5) = %d\n", evbuffer_add_file_segment(a, seg2, 3, 5));
    show("a", a);
    printf("drain a\n");
    evbuffer_drain(a, 100);
    printf("fd %s (no CLOSE_ON_FREE)\n", open_state(f5));
    close(f5);
    printf("segment_new(-1, 0, -1) non-NULL: %s\n",
           yesno(evbuffer_file_segment_new(-1, 0, -1, 0) != NULL));

    printf("-- DRAINS_TO_FD, written to a pipe\n");
    int p[2];
    make_pipe(p);
    int f6 = dup(fd);
    evbuffer_set_flags(a, EVBUFFER_FLAG_DRAINS_TO_FD);
    evbuffer_add(a, "<", 1);
    evbuffer_add_file(a, f6, 10, 6);
    evbuffer_add(a, ">", 1);
    int total = 0;
    while (evbuffer_get_length(a) > 0) {
        int n = evbuffer_write(a, p[1]);
        if (n <= 0)
            break;
        total += n;
    }
    char got[32];
    ssize_t n = read(p[0], got, sizeof got);
    printf("wrote %d, pipe gave %zd: %.*s\n", total, n, (int)(n > 0 ? n : 0), got);
    printf("fd %s\n", open_state(f6));
    evbuffer_clear_flags(a, EVBUFFER_FLAG_DRAINS_TO_FD);

    printf("-- evbuffer_find\n");
    evbuffer_add(a, "hello ", 6);
    evbuffer_add_reference(a, "wor", 3, NULL, NULL);
    evbuffer_add(a, "ld!", 3);
    printf("chains before: %d\n", evbuffer_peek(a, -1, NULL, NULL, 0));
    unsigned char *at = evbuffer_find(a, (const unsigned char *)"world", 5);
    struct evbuffer_iovec v;
    evbuffer_peek(a, -1, NULL, &v, 1);
    printf("found: %s, offset %ld, first chain holds %zu\n", yesno(at != NULL),
           at ? (long)(at - (unsigned char *)v.iov_base) : -1L, v.iov_len);
    printf("chains after: %d\n", evbuffer_peek(a, -1, NULL, NULL, 0));
    printf("not found: %s\n", yesno(evbuffer_find(a, (const unsigned char *)"word", 4) == NULL));
    printf("past the end: %s\n", yesno(evbuffer_find(a, (const unsigned char *)"!!", 2) == NULL));
    at = evbuffer_find(a, (const unsigned char *)"hello", 5);
    printf("at the start: %s\n", yesno(at == v.iov_base));

    close(p[0]);
    close(p[1]);
    close(fd);
    evbuffer_free(a);
    evbuffer_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
