/* event_new(STDIN_FILENO, EV_READ|EV_PERSIST): read lines through an evbuffer until EOF. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

static struct evbuffer *pending_text;
static int lines;
static size_t total;

static void stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	char chunk[777];
	(void)what;
	ssize_t n = read(fd, chunk, sizeof chunk);
	if (n > 0) {
		total += (size_t)n;
		evbuffer_add(pending_text, chunk, (size_t)n);
		char *line;
		size_t len;
		while ((line = evbuffer_readln(pending_text, &len, EVBUFFER_EOL_LF)) != NULL) {
			lines++;
			for (size_t i = 0; i < len; i++)
				line[i] = (char)toupper((unsigned char)line[i]);
			printf("line %d (%zu bytes): %s\n", lines, len, line);
			free(line);
		}
		return;
	}
	printf("end of input: %d lines, %zu bytes, %zu left without a newline\n", lines, total,
	    evbuffer_get_length(pending_text));
	event_del(self);
	event_free(self);
}

int main(void)
{
	struct event_base *base = event_base_new();
	pending_text = evbuffer_new();
	struct event *ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST, stdin_cb,
	    event_self_cbarg());
	printf("fd %d, events %d\n", event_get_fd(ev), event_get_events(ev));
	event_add(ev, NULL);
	int r = event_base_dispatch(base);
	printf("dispatch returned %d\n", r);
	evbuffer_free(pending_text);
	event_base_free(base);
	return 0;
}
