/* evbuffer_readln with every EOL style: EVBUFFER_EOL_ANY, CRLF, CRLF_STRICT, LF, NUL, on the
 * same tricky input; n_read_out; NULL when no line is complete; evbuffer_search_eol. */
#include "common.h"

static const char input[] = "one\r\ntwo\nthree\r\r\nfour\n\rfive\r\n\r\nsix\0seven\n\neight";

static void show_line(const char *style, char *line, size_t n)
{
    if (line == NULL) {
        printf("  %s: NULL\n", style);
        return;
    }
    printf("  %s: n=%zu \"", style, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '\r')
            printf("\\r");
        else if (c == '\n')
            printf("\\n");
        else if (c == '\0')
            printf("\\0");
        else
            putchar(c);
    }
    printf("\"\n");
    free(line);
}

static void run(const char *name, enum evbuffer_eol_style style)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, input, sizeof input - 1);
    printf("-- %s\n", name);
    for (;;) {
        size_t n = 12345;
        char *line = evbuffer_readln(b, &n, style);
        show_line(name, line, line ? n : 0);
        if (line == NULL) {
            printf("  n_read_out untouched: %s, left %zu\n", yesno(n == 12345),
                   evbuffer_get_length(b));
            break;
        }
    }
    evbuffer_free(b);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    run("ANY", EVBUFFER_EOL_ANY);
    run("CRLF", EVBUFFER_EOL_CRLF);
    run("CRLF_STRICT", EVBUFFER_EOL_CRLF_STRICT);
    run("LF", EVBUFFER_EOL_LF);
    run("NUL", EVBUFFER_EOL_NUL);

    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, "ab\r\ncd", 6);
    char *line = evbuffer_readln(b, NULL, EVBUFFER_EOL_CRLF);
    printf("readln(NULL n_read_out) = \"%s\"\n", line ? line : "(null)");
    free(line);
    evbuffer_add(b, "\r", 1);
    line = evbuffer_readln(b, NULL, EVBUFFER_EOL_CRLF);
    printf("\"cd\\r\" CRLF -> %s\n", line ? line : "NULL");
    free(line);
    evbuffer_add(b, "\n", 1);
    line = evbuffer_readln(b, NULL, EVBUFFER_EOL_CRLF);
    printf("\"cd\\r\\n\" CRLF -> %s\n", line ? line : "NULL");
    free(line);

    evbuffer_add(b, "xy\r\n\nz", 6);
    size_t eol_len = 99;
    struct evbuffer_ptr p = evbuffer_search_eol(b, NULL, &eol_len, EVBUFFER_EOL_ANY);
    printf("search_eol ANY pos=%d eol_len=%zu\n", (int)p.pos, eol_len);
    p = evbuffer_search_eol(b, NULL, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
    printf("search_eol CRLF_STRICT pos=%d eol_len=%zu\n", (int)p.pos, eol_len);
    p = evbuffer_search_eol(b, NULL, &eol_len, EVBUFFER_EOL_NUL);
    printf("search_eol NUL pos=%d\n", (int)p.pos);
    evbuffer_free(b);
    event_base_free(base);
    printf("done\n");
    return 0;
}
