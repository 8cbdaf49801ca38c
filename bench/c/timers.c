/* libevent's side of the timer workloads (benches/workloads/timers.rs is the evscope side):
 *
 *   add / del: LIVE pure timers armed 1-101 s ahead (random whole microseconds); then a pool
 *   of 10,000 more is armed (timed: add) and disarmed (timed: del), again and again, so every
 *   op sees LIVE .. LIVE + 10,000 armed timers.
 *   fire: LIVE one-shot timers armed 0-1 ms ahead; once all are due, one
 *   event_base_dispatch() runs them all (timed).
 *
 * --precise sets EVENT_BASE_FLAG_PRECISE_TIMER: libevent then reads CLOCK_MONOTONIC, as evscope
 * always does, instead of its default CLOCK_MONOTONIC_COARSE.
 *
 * usage: timers [--live N] [--ops N] [--precise]    prints timer_{add,del,fire}_<N/1000>k ns=...
 */
#include <getopt.h>
#include <string.h>
#include <event2/event.h>

#include "common.h"

#define BATCH 10000

static int precise;

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	++*(long *)arg;
}

static struct timeval micros(uint64_t us)
{
	struct timeval tv;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	return tv;
}

static struct event_base *new_epoll_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	event_config_avoid_method(cfg, "poll");
	event_config_avoid_method(cfg, "select");
	if (precise)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base == NULL)
		bench_die("event_base_new_with_config");
	return base;
}

/* Arms the first k pool timers and disarms them; adds the time each half took. */
static void add_del_batch(struct event **pool, int k, uint64_t *add_ns, uint64_t *del_ns)
{
	static struct timeval tv[BATCH];
	uint64_t t0, t1, t2;
	int i;
	for (i = 0; i < k; i++)
		tv[i] = micros(bench_rng_range(1000000, 100000000));
	t0 = bench_now_ns();
	for (i = 0; i < k; i++)
		if (evtimer_add(pool[i], &tv[i]) == -1)
			bench_die("evtimer_add");
	t1 = bench_now_ns();
	for (i = 0; i < k; i++)
		if (evtimer_del(pool[i]) == -1)
			bench_die("evtimer_del");
	t2 = bench_now_ns();
	*add_ns += t1 - t0;
	*del_ns += t2 - t1;
}

static void add_del(struct event **pool, long ops, uint64_t *add_ns, uint64_t *del_ns)
{
	while (ops > 0) {
		int k = ops < BATCH ? (int)ops : BATCH;
		add_del_batch(pool, k, add_ns, del_ns);
		ops -= k;
	}
}

static double fire(long n)
{
	struct event_base *base = new_epoll_base();
	struct event **evs = calloc((size_t)n, sizeof *evs);
	struct timespec pause = {0, 20 * 1000 * 1000};
	long fired = 0, i;
	uint64_t t0, t1;
	bench_rng_state = BENCH_SEED;
	if (evs == NULL)
		bench_die("calloc");
	for (i = 0; i < n; i++) {
		struct timeval tv = micros(bench_rng_range(0, 1000));
		evs[i] = evtimer_new(base, count_cb, &fired);
		if (evs[i] == NULL || evtimer_add(evs[i], &tv) == -1)
			bench_die("evtimer_add");
	}
	/* Well past the last deadline, even for a clock that ticks coarsely. */
	nanosleep(&pause, NULL);
	t0 = bench_now_ns();
	event_base_dispatch(base);
	t1 = bench_now_ns();
	if (fired != n) {
		fprintf(stderr, "timers: %ld of %ld timers fired\n", fired, n);
		exit(1);
	}
	for (i = 0; i < n; i++)
		event_free(evs[i]);
	free(evs);
	event_base_free(base);
	return (double)(t1 - t0) / (double)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"live", required_argument, NULL, 'l'},
		{"ops", required_argument, NULL, 'o'},
		{"precise", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	long live = 100000, ops = 200000, i;
	uint64_t add_ns = 0, del_ns = 0, warm_add = 0, warm_del = 0;
	struct event_base *base;
	struct event **pool;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': live = atol(optarg); break;
		case 'o': ops = atol(optarg); break;
		case 'p': precise = 1; break;
		default:
			fprintf(stderr, "usage: timers [--live N] [--ops N] [--precise]\n");
			return 2;
		}
	}
	if (live <= 0 || ops <= 0) {
		fprintf(stderr, "timers: --live and --ops must be positive\n");
		return 2;
	}

	base = new_epoll_base();
	for (i = 0; i < live; i++) {
		struct timeval tv = micros(bench_rng_range(1000000, 100000000));
		struct event *ev = evtimer_new(base, nothing_cb, NULL);
		if (ev == NULL || evtimer_add(ev, &tv) == -1)
			bench_die("evtimer_add");
	}
	pool = calloc(BATCH, sizeof *pool);
	if (pool == NULL)
		bench_die("calloc");
	for (i = 0; i < BATCH; i++)
		if ((pool[i] = evtimer_new(base, nothing_cb, NULL)) == NULL)
			bench_die("evtimer_new");
	add_del(pool, BATCH, &warm_add, &warm_del); /* warm-up */
	add_del(pool, ops, &add_ns, &del_ns);
	printf("timer_add_%ldk ns=%.1f\n", live / 1000, (double)add_ns / (double)ops);
	printf("timer_del_%ldk ns=%.1f\n", live / 1000, (double)del_ns / (double)ops);
	printf("timer_fire_%ldk ns=%.1f\n", live / 1000, fire(live));
	return 0;
}
