/* The public structs of event_struct.h and bufferevent_struct.h: a program embeds struct event
 * in its own structs and reads the fields of events and bufferevents directly (flags, ev_res,
 * priority, fd, events, base, a bufferevent's buffers, events, enabled, watermarks, callbacks
 * and timeouts). Also event_set before any base exists, bufferevent_free inside the
 * bufferevent's own callbacks, and event_base_dump_events. Prints what it sees; the output is
 * the same on libevent and on evscope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>

/* A program's own struct with an event inside it, fenced to catch stray writes. */
struct conn {
	long before;
	struct event ev;
	long after;
};

static struct event_base *base;
static struct event early;
static int tag;

static void show(const char *what, const struct event *ev)
{
	printf("%s: flags 0x%x res 0x%x pri %d\n", what, ev->ev_evcallback.evcb_flags,
	    ev->ev_res, ev->ev_evcallback.evcb_pri);
}

static void early_cb(evutil_socket_t fd, short what, void *arg)
{
	printf("early_cb: fd %d, what 0x%x, arg ok %d\n", (int)fd, what, arg == &tag);
	show("early inside its callback", &early);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char buf[16];
	ssize_t n = read(fd, buf, sizeof buf);
	printf("conn_cb: fd matches %d, what 0x%x, read %zd\n", c->ev.ev_fd == fd, what, n);
	show("conn inside its callback", &c->ev);
	event_del(&c->ev);
	show("conn after event_del", &c->ev);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = *(struct event **)arg;
	(void)fd;
	printf("timer_cb: what 0x%x\n", what);
	show("timer inside its callback", self);
}

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void bev_read_cb(struct bufferevent *bev, void *arg)
{
	char buf[16];
	size_t n = bufferevent_read(bev, buf, sizeof buf);
	printf("bev_read_cb: arg ok %d, read %zu, enabled 0x%x\n", arg == &tag, n, bev->enabled);
	show("ev_read inside the read callback", &bev->ev_read);
	bufferevent_free(bev);
	printf("after bufferevent_free: base ok %d, ", bufferevent_get_base(bev) == base);
	printf("ev_read pending 0x%x, ", event_pending(&bev->ev_read, EV_READ, NULL));
	printf("callbacks cleared %d\n", bev->readcb == NULL && bev->errorcb == NULL);
}

static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	printf("bev_event_cb: what 0x%x, enabled 0x%x, ev_read pending 0x%x\n", what,
	    bev->enabled, event_pending(&bev->ev_read, EV_READ, NULL));
	show("ev_read inside the event callback", &bev->ev_read);
	bufferevent_free(bev);
	printf("after bufferevent_free: base ok %d\n", bufferevent_get_base(bev) == base);
}

/* Replaces the first `from` in `line` (of `size` bytes) with `to`. */
static void replace(char *line, size_t size, const char *from, const char *to)
{
	char *p = strstr(line, from);
	size_t tail, used = strlen(line);
	if (p == NULL || used - strlen(from) + strlen(to) >= size)
		return;
	tail = strlen(p + strlen(from)) + 1;
	memmove(p + strlen(to), p + strlen(from), tail);
	memcpy(p, to, strlen(to));
}

/* Reads the dump back, naming the pointers and fds the program knows, hiding times. */
static void dump(struct event **evs, const char **names, int n, int *fds, int nfds)
{
	char line[512], from[32], to[32];
	FILE *f = tmpfile();
	event_base_dump_events(base, f);
	rewind(f);
	while (fgets(line, sizeof line, f)) {
		char *p;
		for (int i = 0; i < n; i++) {
			snprintf(from, sizeof from, "%p", (void *)evs[i]);
			replace(line, sizeof line, from, names[i]);
		}
		for (int i = 0; i < nfds; i++) {
			snprintf(from, sizeof from, "[fd  %d]", fds[i]);
			snprintf(to, sizeof to, "[fd S%d]", i);
			replace(line, sizeof line, from, to);
		}
		if ((p = strstr(line, "Timeout=")) != NULL)
			snprintf(p, sizeof line - (size_t)(p - line), "Timeout=T\n");
		printf("dump| %s", line);
	}
	fclose(f);
}

int main(void)
{
	struct timeval tv = {5, 0};
	int sv[2], sv2[2], sv3[2];

	printf("sizeof struct event %zu (library %zu), struct bufferevent %zu\n",
	    sizeof(struct event), event_get_struct_event_size(), sizeof(struct bufferevent));

	/* Before any base: event_set leaves the base NULL until event_base_set. */
	event_set(&early, -1, EV_TIMEOUT, early_cb, &tag);
	printf("event_set with no base: base NULL %d, flags 0x%x, initialized %d\n",
	    early.ev_base == NULL, early.ev_evcallback.evcb_flags, event_initialized(&early));
	printf("event_get_base NULL %d, fd %d, events 0x%x\n", event_get_base(&early) == NULL,
	    event_get_fd(&early), event_get_events(&early));
	printf("event_add with no base: %d\n", event_add(&early, &tv));
	printf("event_pending with no base: %d\n", event_pending(&early, EV_TIMEOUT, NULL));

	base = event_base_new();
	event_base_priority_init(base, 3);
	int r = event_base_set(base, &early);
	printf("event_base_set: %d, base ok %d\n", r, early.ev_base == base);
	show("early after event_base_set", &early);
	struct timeval soon = {0, 1000};
	printf("event_add: %d\n", event_add(&early, &soon));
	show("early after event_add", &early);
	printf("event_base_set on a pending event: %d\n", event_base_set(base, &early));
	printf("dispatch: %d\n", event_base_dispatch(base));
	show("early after its callback", &early);

	/* event_new: a real struct event. */
	struct event *t = NULL;
	t = evtimer_new(base, timer_cb, &t);
	printf("evtimer_new: fd %d, events 0x%x, base ok %d, arg ok %d, cb ok %d, heap idx %d\n",
	    t->ev_fd, t->ev_events, t->ev_base == base, t->ev_evcallback.evcb_arg == &t,
	    t->ev_evcallback.evcb_cb_union.evcb_callback == timer_cb, t->ev_timeout_pos.min_heap_idx);
	show("timer new", t);
	evtimer_add(t, &tv);
	show("timer added with a timeout", t);
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	long left = (long)t->ev_timeout.tv_sec - (long)mono.tv_sec;
	printf("ev_timeout is about 5 s ahead: %d\n", left >= 4 && left <= 6);
	struct timeval when;
	struct timeval now;
	event_pending(t, EV_TIMEOUT, &when);
	gettimeofday(&now, NULL);
	left = (long)when.tv_sec - (long)now.tv_sec;
	printf("event_pending's time is about 5 s ahead: %d\n", left >= 4 && left <= 6);
	event_del(t);
	show("timer deleted", t);
	event_active(t, EV_TIMEOUT, 1);
	show("timer active", t);
	event_active(t, EV_READ, 1);
	show("timer active again with EV_READ", t);
	printf("pending while active: 0x%x\n", event_pending(t, EV_READ | EV_TIMEOUT, NULL));
	event_del(t);
	show("timer deleted while active", t);
	event_priority_set(t, 2);
	show("timer priority 2", t);
	event_active(t, EV_TIMEOUT, 1);
	printf("event_priority_set while active: %d\n", event_priority_set(t, 0));

	/* event_assign into the program's own memory. */
	struct conn *c = calloc(1, sizeof *c);
	c->before = 0x1111;
	c->after = 0x2222;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	event_assign(&c->ev, base, sv[0], EV_READ | EV_PERSIST, conn_cb, c);
	printf("event_assign: fd ok %d, events 0x%x, base ok %d\n", c->ev.ev_fd == sv[0],
	    c->ev.ev_events, c->ev.ev_base == base);
	show("conn assigned", &c->ev);
	event_add(&c->ev, &tv);
	show("conn added", &c->ev);
	printf("conn's interval %ld.%06ld\n", (long)c->ev.ev_.ev_io.ev_timeout.tv_sec,
	    (long)c->ev.ev_.ev_io.ev_timeout.tv_usec);
	event_add(&c->ev, NULL);
	show("conn added again without a timeout", &c->ev);
	event_remove_timer(&c->ev);
	show("conn after event_remove_timer", &c->ev);
	event_add(&c->ev, &tv);

	/* A bufferevent's public fields. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv2);
	struct bufferevent *bev = bufferevent_socket_new(base, sv2[0], BEV_OPT_CLOSE_ON_FREE);
	printf("bufferevent: base ok %d, input ok %d, output ok %d, enabled 0x%x\n",
	    bev->ev_base == base, bev->input == bufferevent_get_input(bev),
	    bev->output == bufferevent_get_output(bev), bev->enabled);
	printf("ev_read: fd ok %d, events 0x%x, initialized %d, get_fd ok %d, pending 0x%x\n",
	    bev->ev_read.ev_fd == sv2[0], bev->ev_read.ev_events, event_initialized(&bev->ev_read),
	    event_get_fd(&bev->ev_read) == sv2[0], event_pending(&bev->ev_read, EV_READ, NULL));
	printf("ev_write: fd ok %d, events 0x%x, base ok %d, pending 0x%x, arg ok %d\n",
	    bev->ev_write.ev_fd == sv2[0], bev->ev_write.ev_events, bev->ev_write.ev_base == base,
	    event_pending(&bev->ev_write, EV_WRITE, NULL),
	    bev->ev_write.ev_evcallback.evcb_arg == bev);
	show("ev_read new", &bev->ev_read);
	bufferevent_setcb(bev, bev_read_cb, NULL, bev_event_cb, &tag);
	printf("callbacks: read ok %d, write NULL %d, event ok %d, arg ok %d\n",
	    bev->readcb == bev_read_cb, bev->writecb == NULL, bev->errorcb == bev_event_cb,
	    bev->cbarg == &tag);
	bufferevent_enable(bev, EV_READ);
	printf("enabled 0x%x, ev_read pending 0x%x\n", bev->enabled,
	    event_pending(&bev->ev_read, EV_READ, NULL));
	show("ev_read enabled", &bev->ev_read);
	bufferevent_setwatermark(bev, EV_READ, 3, 100);
	printf("wm_read %zu/%zu, wm_write %zu/%zu\n", bev->wm_read.low, bev->wm_read.high,
	    bev->wm_write.low, bev->wm_write.high);
	struct timeval ten = {10, 500};
	bufferevent_set_timeouts(bev, &ten, NULL);
	printf("timeout_read %ld.%06ld, timeout_write %ld.%06ld, ev_read pending 0x%x\n",
	    (long)bev->timeout_read.tv_sec, (long)bev->timeout_read.tv_usec,
	    (long)bev->timeout_write.tv_sec, (long)bev->timeout_write.tv_usec,
	    event_pending(&bev->ev_read, EV_READ | EV_TIMEOUT, NULL));
	show("ev_read with a timeout", &bev->ev_read);
	bufferevent_disable(bev, EV_READ);
	printf("disabled: enabled 0x%x, ev_read pending 0x%x\n", bev->enabled,
	    event_pending(&bev->ev_read, EV_READ | EV_TIMEOUT, NULL));
	show("ev_read disabled", &bev->ev_read);
	bufferevent_enable(bev, EV_READ);
	show("ev_read enabled again", &bev->ev_read);

	/* A second one will hear end of file. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv3);
	struct bufferevent *eof = bufferevent_socket_new(base, sv3[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(eof, NULL, NULL, bev_event_cb, NULL);
	bufferevent_enable(eof, EV_READ);

	/* A pair has no socket. */
	struct bufferevent *pair[2];
	bufferevent_pair_new(base, 0, pair);
	printf("pair: ev_read fd %d, events 0x%x, enabled 0x%x, input ok %d, getfd %d\n",
	    pair[0]->ev_read.ev_fd, pair[0]->ev_read.ev_events, pair[0]->enabled,
	    pair[0]->input == bufferevent_get_input(pair[0]), bufferevent_getfd(pair[0]));

	struct event *idle = event_new(base, -1, 0, nothing_cb, NULL);
	event_active(idle, EV_WRITE, 1);
	struct event *peek = event_new(base, sv[0], EV_READ, nothing_cb, NULL);
	event_add(peek, NULL);
	struct event *later = evtimer_new(base, nothing_cb, NULL);
	struct timeval minute = {60, 0};
	evtimer_add(later, &minute);
	struct event *evs[] = {t, &c->ev, &bev->ev_read, &bev->ev_write, &eof->ev_read, idle, later,
	    peek};
	const char *names[] = {"TIMER", "CONN", "BEV_READ", "BEV_WRITE", "EOF_READ", "IDLE", "LATER",
	    "PEEK"};
	int fds[] = {sv[0], sv2[0], sv3[0]};
	dump(evs, names, 8, fds, 3);

	/* Each loop has one thing to do, in the same order everywhere. */
	if (write(sv[1], "x", 1) != 1)
		return 1;
	printf("dispatch: %d\n", event_base_loop(base, EVLOOP_ONCE));
	if (write(sv2[1], "hello", 5) != 5)
		return 1;
	printf("dispatch: %d\n", event_base_loop(base, EVLOOP_ONCE));
	close(sv3[1]);
	printf("dispatch: %d\n", event_base_loop(base, EVLOOP_ONCE));

	printf("fences: %d\n", c->before == 0x1111 && c->after == 0x2222);
	event_free(t);
	event_free(idle);
	event_free(later);
	event_free(peek);
	event_del(&c->ev);
	show("conn deleted", &c->ev);
	free(c);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	close(sv[0]);
	close(sv[1]);
	close(sv2[1]);
	event_base_free(base);
	printf("done\n");
	return 0;
}
