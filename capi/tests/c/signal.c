/* A signal event: a timer raises SIGUSR1 three times; the signal callback counts. The timer
 * lives in the program's own memory (event_assign). The timer stops itself after the third
 * raise: on a loaded machine it may fire again before the loop has delivered the signal. */
#include <signal.h>
#include <stdio.h>
#include <event2/event.h>
#include <event2/event_struct.h>

static int raised, caught;
static struct event timer_storage;
static struct event *timer = &timer_storage;

static void raise_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	raised++;
	raise(SIGUSR1);
	if (raised == 3)
		evtimer_del(timer);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event *self = arg;
	caught++;
	printf("caught signal %d (%s) #%d, what %s\n", (int)sig, sig == SIGUSR1 ? "SIGUSR1" : "?",
	    caught, (what & EV_SIGNAL) ? "EV_SIGNAL" : "?");
	if (caught == 3)
		evsignal_del(self);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct event *sig = evsignal_new(base, SIGUSR1, signal_cb, event_self_cbarg());
	event_assign(timer, base, -1, EV_PERSIST, raise_cb, NULL);
	struct timeval every = {0, 20 * 1000};
	evsignal_add(sig, NULL);
	evtimer_add(timer, &every);
	printf("signal event: fd %d, pending %d\n", event_get_fd(sig),
	    evsignal_pending(sig, NULL) != 0);
	int r = event_base_dispatch(base);
	printf("dispatch returned %d: raised %d, caught %d\n", r, raised, caught);
	event_free(sig);
	printf("assigned timer initialized: %d\n", event_initialized(timer));
	event_base_free(base);
	return 0;
}
