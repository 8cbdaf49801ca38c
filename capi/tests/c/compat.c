/* The pre-2.0 API older course notes use: event_init, event_set, event_base_set,
 * event_dispatch, on a pipe and a timer. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <event.h>

static struct event reader, ticker;
static int fds[2];
static int ticks;

static void read_cb(int fd, short what, void *arg)
{
	char buf[64];
	(void)what;
	(void)arg;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n <= 0) {
		printf("pipe closed\n");
		event_del(&reader);
		return;
	}
	buf[n] = '\0';
	printf("read %zd bytes: %s\n", n, buf);
}

static void tick_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	char msg[32];
	snprintf(msg, sizeof msg, "tick %d", ++ticks);
	if (write(fds[1], msg, strlen(msg)) < 0)
		return;
	if (ticks < 3) {
		struct timeval tv = {0, 20 * 1000};
		evtimer_add(&ticker, &tv);
	} else {
		close(fds[1]);
	}
}

int main(void)
{
	struct event_base *base = event_init();
	if (pipe(fds) < 0)
		return 1;
	event_set(&reader, fds[0], EV_READ | EV_PERSIST, read_cb, NULL);
	evtimer_set(&ticker, tick_cb, NULL);
	event_base_set(base, &ticker);
	event_add(&reader, NULL);
	struct timeval tv = {0, 20 * 1000};
	evtimer_add(&ticker, &tv);
	printf("method is a string: %d\n", event_get_method() != NULL);
	int r = event_dispatch();
	printf("event_dispatch returned %d after %d ticks\n", r, ticks);
	event_base_free(base);
	return 0;
}
