/* evbuffer callbacks: after each change of a buffer's length, every enabled callback runs,
 * newest first, with {orig_size, n_added, n_deleted}: add, drain, remove, prepend, readln, each
 * side of add_buffer / prepend_buffer / remove_buffer, reserve/commit, add_printf. Disabling and
 * enabling with cb_clear_flags / cb_set_flags, evbuffer_remove_cb_entry and evbuffer_remove_cb
 * return values, the old evbuffer_setcb (old and new length), and a callback that changes its
 * own buffer (it runs again from inside). */
#include "common.h"
#include <event2/buffer_compat.h>

static struct evbuffer *a, *b;

static const char *bname(struct evbuffer *buf)
{
    return buf == a ? "a" : buf == b ? "b" : "?";
}

static void cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    printf("  cb %s on %s: orig=%zu added=%zu deleted=%zu len=%zu\n", (const char *)arg,
           bname(buf), info->orig_size, info->n_added, info->n_deleted,
           evbuffer_get_length(buf));
}

static int depth;

static void trimmer(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)arg;
    printf("  trimmer depth=%d orig=%zu added=%zu deleted=%zu len=%zu\n", depth,
           info->orig_size, info->n_added, info->n_deleted, evbuffer_get_length(buf));
    if (evbuffer_get_length(buf) > 4) {
        depth++;
        printf("  trimmer drains 3 -> %d\n", evbuffer_drain(buf, 3));
        depth--;
    }
}

static void oldcb(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
    printf("  oldcb %s on %s: %zu -> %zu\n", (const char *)arg, bname(buf), old_len, new_len);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    char out[16];
    size_t n;
    a = evbuffer_new();
    b = evbuffer_new();

    printf("-- one callback on a\n");
    struct evbuffer_cb_entry *ea = evbuffer_add_cb(a, cb, "A1");
    printf("add_cb non-NULL: %s\n", yesno(ea != NULL));
    printf("add 5\n");
    evbuffer_add(a, "hello", 5);
    printf("add 0\n");
    evbuffer_add(a, "", 0);
    printf("drain 2\n");
    evbuffer_drain(a, 2);
    printf("drain 0\n");
    evbuffer_drain(a, 0);
    printf("remove 2 -> %d\n", evbuffer_remove(a, out, 2));
    printf("copyout 1 -> %d\n", (int)evbuffer_copyout(a, out, 1));
    printf("prepend 3\n");
    evbuffer_prepend(a, "xyz", 3);
    printf("add_printf\n");
    evbuffer_add_printf(a, "%d\r\nrest\n", 12345);
    printf("readln\n");
    char *line = evbuffer_readln(a, &n, EVBUFFER_EOL_CRLF);
    printf("line=%s\n", line ? line : "NULL");
    free(line);
    printf("pullup 2 (no change)\n");
    evbuffer_pullup(a, 2);
    struct evbuffer_iovec v[1];
    evbuffer_reserve_space(a, 8, v, 1);
    memcpy(v[0].iov_base, "RSV", 3);
    v[0].iov_len = 3;
    printf("commit 3\n");
    evbuffer_commit_space(a, v, 1);

    printf("-- a second callback runs first\n");
    struct evbuffer_cb_entry *ea2 = evbuffer_add_cb(a, cb, "A2");
    evbuffer_add(a, "!", 1);
    printf("-- both buffers with callbacks\n");
    struct evbuffer_cb_entry *eb = evbuffer_add_cb(b, cb, "B");
    evbuffer_add(b, "bbbb", 4);
    printf("add_buffer(a, b)\n");
    printf("= %d\n", evbuffer_add_buffer(a, b));
    evbuffer_add(b, "cc", 2);
    printf("prepend_buffer(a, b)\n");
    printf("= %d\n", evbuffer_prepend_buffer(a, b));
    printf("remove_buffer(a, b, 3)\n");
    printf("= %d\n", evbuffer_remove_buffer(a, b, 3));
    printf("add_buffer(a, empty b... after drain)\n");
    evbuffer_drain(b, 100);
    printf("= %d\n", evbuffer_add_buffer(a, b));

    printf("-- A1 disabled\n");
    printf("clear_flags = %d\n", evbuffer_cb_clear_flags(a, ea, EVBUFFER_CB_ENABLED));
    evbuffer_add(a, "1", 1);
    printf("-- A1 enabled again\n");
    printf("set_flags = %d\n", evbuffer_cb_set_flags(a, ea, EVBUFFER_CB_ENABLED));
    evbuffer_drain(a, 1);
    printf("-- remove entries\n");
    printf("remove_cb_entry(A2) = %d\n", evbuffer_remove_cb_entry(a, ea2));
    printf("remove_cb(cb, \"nope\") = %d\n", evbuffer_remove_cb(a, cb, "nope"));
    printf("remove_cb(cb, A1) = %d\n", evbuffer_remove_cb(a, cb, ea ? "A1" : "A1"));
    evbuffer_add(a, "2", 1);
    printf("(no callback above)\n");
    printf("remove_cb_entry(B) = %d\n", evbuffer_remove_cb_entry(b, eb));
    evbuffer_add(b, "3", 1);

    printf("-- a callback that drains its own buffer\n");
    evbuffer_drain(a, evbuffer_get_length(a));
    evbuffer_add_cb(a, trimmer, NULL);
    evbuffer_add_cb(a, cb, "A3");
    evbuffer_add(a, "abc", 3);
    evbuffer_add(a, "defg", 4);
    printf("length %zu\n", evbuffer_get_length(a));

    printf("-- old-style setcb replaces them all\n");
    evbuffer_setcb(a, oldcb, "old");
    evbuffer_add(a, "12345", 5);
    evbuffer_drain(a, 3);
    evbuffer_add_buffer(b, a);
    printf("setcb(NULL)\n");
    evbuffer_setcb(a, NULL, NULL);
    evbuffer_add(a, "x", 1);
    printf("(no callback above)\n");

    evbuffer_free(a);
    evbuffer_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
