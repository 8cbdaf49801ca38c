/* A persistent timer that ticks three times, a one-shot timer, and event_base_once. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <event2/event.h>

static int ticks;
static struct event *oneshot;

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	ticks++;
	printf("tick %d (fd %d, what %s, still pending: %s)\n", ticks, (int)fd,
	    (what & EV_TIMEOUT) ? "EV_TIMEOUT" : "?",
	    evtimer_pending(self, NULL) ? "yes" : "no");
	if (ticks == 3) {
		event_del(self);
		printf("persistent timer deleted: pending %s\n",
		    evtimer_pending(self, NULL) ? "yes" : "no");
	}
}

static void oneshot_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	printf("one-shot fired (what %d, still pending: %s)\n", what,
	    evtimer_pending(oneshot, NULL) ? "yes" : "no");
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("event_base_once: %s (what %d)\n", (const char *)arg, what);
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base)
		return 1;
	struct timeval every = {0, 50 * 1000};
	struct timeval once_at = {0, 10 * 1000};
	struct timeval shot_at = {0, 75 * 1000};

	struct event *tick = event_new(base, -1, EV_PERSIST, tick_cb, event_self_cbarg());
	oneshot = evtimer_new(base, oneshot_cb, NULL);
	printf("events: tick %d, oneshot %d\n", event_get_events(tick), event_get_events(oneshot));
	printf("self arg: %s\n", event_get_callback_arg(tick) == tick ? "the event" : "other");
	event_add(tick, &every);
	evtimer_add(oneshot, &shot_at);
	event_base_once(base, -1, EV_TIMEOUT, once_cb, "hello", &once_at);
	printf("pending before dispatch: tick %d, oneshot %d\n",
	    event_pending(tick, EV_TIMEOUT, NULL) != 0, evtimer_pending(oneshot, NULL) != 0);

	int r = event_base_dispatch(base);
	printf("dispatch returned %d after %d ticks; got_exit %d got_break %d\n", r, ticks,
	    event_base_got_exit(base), event_base_got_break(base));

	event_free(tick);
	event_free(oneshot);
	event_base_free(base);
	return 0;
}
