/* libevent's side of the pipe chain (benches/workloads/pipe_chain.rs is the evscope side), the
 * idea of libevent's test/bench.c: N socketpairs, each read end watched by a persistent EV_READ
 * event whose callback reads one byte and, while writes remain, writes one byte into the next
 * pair (a ring). One byte is injected; the loop runs EVLOOP_ONCE | EVLOOP_NONBLOCK until every
 * byte written has been read. Only that loop is timed.
 *
 * usage: pipe_chain --backend epoll|poll|select --pipes N [--writes 1000] [--runs 25]
 * prints: pipe_chain_<backend>_<N> us_per_write=<median of the runs>
 *     or: pipe_chain_<backend>_<N> skip=<reason>
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "common.h"

#define FD_SLACK 32

static int num_pipes;
static int *pipes; /* pair i: pipes[2i] is read, pipes[2i + 1] is written */
static struct event **events;
static long count, writes, fired;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	long idx = (long)(intptr_t)arg, next = idx + 1;
	unsigned char ch;
	ssize_t got = read(fd, &ch, 1);
	(void)what;
	if (got > 0)
		count += got;
	if (writes > 0) {
		if (next >= num_pipes)
			next -= num_pipes;
		if (write(pipes[2 * next + 1], "e", 1) != 1)
			bench_die("write");
		writes--;
		fired++;
	}
}

/* One bench.c run_once: re-add every event, inject a byte, time the loop; ns per write. */
static double run_once(struct event_base *base, long num_writes)
{
	long i, iterations = 0, limit = 4 * num_writes + 1000;
	uint64_t t0, t1;
	for (i = 0; i < num_pipes; i++) {
		event_del(events[i]);
		if (event_add(events[i], NULL) == -1)
			bench_die("event_add");
	}
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (write(pipes[1], "e", 1) != 1)
		bench_die("write");
	fired = 1;
	count = 0;
	writes = num_writes;
	t0 = bench_now_ns();
	do {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (++iterations > limit) {
			fprintf(stderr, "pipe_chain: stalled, %ld of %ld bytes read\n", count, fired);
			exit(1);
		}
	} while (count != fired);
	t1 = bench_now_ns();
	return (double)(t1 - t0) / (double)num_writes;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backend", required_argument, NULL, 'b'},
		{"pipes", required_argument, NULL, 'n'},
		{"writes", required_argument, NULL, 'w'},
		{"runs", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	static const char *methods[] = {"epoll", "poll", "select"};
	const char *backend = NULL;
	long num_writes = 1000, runs = 25, i;
	struct event_config *cfg;
	struct event_base *base;
	struct rlimit rl;
	double *per_write;
	char name[64];
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': backend = optarg; break;
		case 'n': num_pipes = atoi(optarg); break;
		case 'w': num_writes = atol(optarg); break;
		case 'r': runs = atol(optarg); break;
		default:
			fprintf(stderr, "usage: pipe_chain --backend B --pipes N [--writes W] [--runs R]\n");
			return 2;
		}
	}
	if (backend == NULL || num_pipes <= 0 || num_writes <= 0 || runs <= 0) {
		fprintf(stderr, "usage: pipe_chain --backend B --pipes N [--writes W] [--runs R]\n");
		return 2;
	}
	snprintf(name, sizeof name, "pipe_chain_%s_%d", backend, num_pipes);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)(2 * num_pipes + FD_SLACK)) {
		printf("%s skip=%d pairs need %d fds but RLIMIT_NOFILE is %lu (run `ulimit -n %d` first)\n",
		       name, num_pipes, 2 * num_pipes + FD_SLACK, (unsigned long)rl.rlim_cur,
		       2 * num_pipes + FD_SLACK);
		return 0;
	}

	cfg = event_config_new();
	for (i = 0; i < 3; i++)
		if (strcmp(methods[i], backend) != 0)
			event_config_avoid_method(cfg, methods[i]);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base == NULL || strcmp(event_base_get_method(base), backend) != 0) {
		fprintf(stderr, "pipe_chain: libevent has no %s backend here\n", backend);
		return 1;
	}

	pipes = calloc((size_t)num_pipes * 2, sizeof *pipes);
	events = calloc((size_t)num_pipes, sizeof *events);
	per_write = calloc((size_t)runs, sizeof *per_write);
	if (pipes == NULL || events == NULL || per_write == NULL)
		bench_die("calloc");
	for (i = 0; i < num_pipes; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, &pipes[2 * i]) == -1)
			bench_die("socketpair");
	/* Debian's libevent aborts (fortified FD_SET) on an fd >= FD_SETSIZE: refuse first. */
	if (strcmp(backend, "select") == 0 && pipes[2 * num_pipes - 1] >= FD_SETSIZE) {
		printf("%s skip=select cannot watch fd %d (FD_SETSIZE is %d); %d pairs need fds up to about %d\n",
		       name, FD_SETSIZE, FD_SETSIZE, num_pipes, 2 * num_pipes + 3);
		return 0;
	}
	for (i = 0; i < num_pipes; i++) {
		events[i] = event_new(base, pipes[2 * i], EV_READ | EV_PERSIST, read_cb,
				      (void *)(intptr_t)i);
		if (events[i] == NULL)
			bench_die("event_new");
	}

	for (i = 0; i < runs; i++)
		per_write[i] = run_once(base, num_writes) / 1000.0;
	qsort(per_write, (size_t)runs, sizeof *per_write, bench_cmp_double);
	printf("%s us_per_write=%.3f\n", name, per_write[runs / 2]);
	return 0;
}
