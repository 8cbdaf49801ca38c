/* Mistakes a student makes: using freed handles, NULL, freeing the base inside its own
 * callback. On the system's libevent these crash or corrupt memory; evscope refuses each call
 * with -1 (or NULL) and a line on stderr naming it. Run on evscope only. */
#include <stdio.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void free_base_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_free(arg); /* refused: the base is running this callback */
	printf("still running after event_base_free inside a callback\n");
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct event *ev = evtimer_new(base, nothing_cb, NULL);
	event_free(ev);
	printf("event_add on a freed event: %d\n", event_add(ev, NULL));
	printf("event_initialized on a freed event: %d\n", event_initialized(ev));
	printf("event_add(NULL): %d\n", event_add(NULL, NULL));

	struct evbuffer *buf = evbuffer_new();
	evbuffer_free(buf);
	printf("evbuffer_add on a freed evbuffer: %d\n", evbuffer_add(buf, "x", 1));

	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	struct evbuffer *out = bufferevent_get_output(bev);
	printf("evbuffer_free on a bufferevent's buffer: ");
	evbuffer_free(out);
	printf("refused, length still %zu\n", evbuffer_get_length(out));
	bufferevent_free(bev);
	printf("bufferevent_write on a freed bufferevent: %d\n", bufferevent_write(bev, "x", 1));
	printf("evbuffer_add on its old output buffer: %d\n", evbuffer_add(out, "x", 1));
	printf("bufferevent_socket_new on a closed fd: %s\n",
	    bufferevent_socket_new(base, 999, 0) ? "made" : "NULL");

	struct timeval soon = {0, 1000};
	event_base_once(base, -1, EV_TIMEOUT, free_base_cb, base, &soon);
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_base_free(base);
	printf("dispatch on a freed base: %d\n", event_base_dispatch(base));
	return 0;
}
