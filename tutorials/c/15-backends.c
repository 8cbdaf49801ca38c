/* Lesson 15 · Backends: select, poll and epoll — the same program, another way of waiting.
 * 第 15 课 · 后端：select、poll 与 epoll —— 同一个程序，不同的等待方式。
 *
 *   gcc tutorials/c/15-backends.c -o 15-backends -levent
 *   ./15-backends [IDLE]                          on the system's libevent · 用系统的 libevent 运行
 *   EVENT_NOEPOLL=1 ./15-backends                 libevent's switch: no epoll · libevent 的开关：不用 epoll
 *   cargo run --release -- run -- ./15-backends   watched by evscope · 在 evscope 中观察
 *
 * libevent picks the best method by itself; to get another, a configuration avoids the better
 * ones. For each backend the program makes a base that watches IDLE idle sockets (default 100)
 * and one busy one, runs 50 loop iterations, and prints the mean cost of one. Last, a base from
 * plain event_base_new(): the environment (EVENT_NOEPOLL, EVENT_NOPOLL, EVENT_NOSELECT) decides.
 * libevent 自己挑选最好的方法；想要别的方法，就在配置里避开更好的那些。程序为每种后端创建一个
 * event_base，监视 IDLE 个空闲套接字（默认 100 个）和一个繁忙的套接字，运行 50 轮事件循环，打印
 * 每一轮的平均开销。最后用普通的 event_base_new() 创建一个：由环境变量（EVENT_NOEPOLL、
 * EVENT_NOPOLL、EVENT_NOSELECT）决定后端。
 *
 * evscope:
 *   peer: none
 *   output: supported: epoll poll select
 *   output: event_base_new chose epoll
 *   output: select: 100 idle fds, cost per loop iteration
 *   same-output: no
 *   watch: : epoll backend, program
 *   watch: [base 1] event_base 1 made (backend epoll
 *   watch: [base 1] event 100 "busy_cb"
 *   watch: [base 1] the loop waits in epoll
 *   watch: [base 2] event_base 2 made (backend poll
 *   watch: [base 2] the loop waits in poll
 *   watch: [base 3] event_base 3 made (backend select
 *   watch: [base 3] the loop waits in select
 *   watch: [base 3] select returned: 1 fd ready
 *   watch-count: 50 [base 2] loop iteration
 *   watch-count: 50 [base 3] loop iteration
 *   watch-count: 150 READ|PERSIST) became active
 *   watch-zh: [base 1] event_base 1 创建（后端 epoll
 *   watch-zh: [base 2] 事件循环在 poll 中等待
 *   watch-zh: [base 3] select 返回：1 个 fd 就绪
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define ITERATIONS 50
#define MAX_IDLE 400

static const char *all_methods[] = { "epoll", "poll", "select" };

/* The busy socket's callback: it never reads, so the socket stays readable and the event is
 * active in every iteration. · 繁忙套接字的回调：从不读取，所以套接字一直可读，每一轮都激活。 */
static void busy_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	(*(int *)arg)++;
}

/* An idle socket's callback: never called, nothing is ever sent to it.
 * 空闲套接字的回调：永远不会被调用，从来没有数据发给它。 */
static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	printf("an idle socket woke up?\n");
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A base on `method` only: avoid the other two. EVENT_BASE_FLAG_IGNORE_ENV: the EVENT_NO*
 * variables do not apply to this configuration.
 * 只用 method 的 event_base：避开另外两个。EVENT_BASE_FLAG_IGNORE_ENV：这个配置不受 EVENT_NO* 环境变量影响。 */
static struct event_base *base_on(const char *method)
{
	struct event_config *cfg = event_config_new();
	for (size_t i = 0; i < sizeof all_methods / sizeof *all_methods; i++)
		if (strcmp(all_methods[i], method) != 0)
			event_config_avoid_method(cfg, all_methods[i]);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	struct event_base *base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* IDLE idle sockets and one busy one on `base`; the mean cost of one loop iteration in µs.
 * 在 base 上放 IDLE 个空闲套接字和一个繁忙的；返回每轮事件循环的平均开销（微秒）。 */
static double measure(struct event_base *base, int idle)
{
	int pairs[MAX_IDLE + 1][2];
	struct event *events[MAX_IDLE + 1];
	int runs = 0, made = 0;
	for (; made <= idle; made++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[made]) < 0)
			break;
		int busy = made == idle;
		events[made] = event_new(base, pairs[made][0], EV_READ | EV_PERSIST,
		    busy ? busy_cb : idle_cb, &runs);
		event_add(events[made], NULL);
		if (busy)
			if (write(pairs[made][1], "!", 1) != 1) /* ready for ever · 永远可读 */
				perror("write");
	}
	double start = now_us();
	for (int i = 0; i < ITERATIONS; i++)
		event_base_loop(base, EVLOOP_ONCE);
	double cost = (now_us() - start) / ITERATIONS;
	for (int i = 0; i < made; i++) {
		event_free(events[i]);
		close(pairs[i][0]);
		close(pairs[i][1]);
	}
	if (runs != ITERATIONS)
		printf("  (the busy callback ran %d times)\n", runs);
	return cost;
}

int main(int argc, char **argv)
{
	int idle = argc > 1 ? atoi(argv[1]) : 100;
	if (idle < 0 || idle > MAX_IDLE) {
		fprintf(stderr, "usage: %s [IDLE: 0 to %d]\n", argv[0], MAX_IDLE);
		return 2;
	}

	/* No configuration: libevent's choice, unless EVENT_NOEPOLL etc. say otherwise. It is
	 * made first, so it is base 0 of the trace: the one evscope's header describes.
	 * 不加配置：由 libevent 选择，除非 EVENT_NOEPOLL 等环境变量另有规定。它最先创建，所以是
	 * 跟踪里的 base 0：evscope 标题栏描述的就是它。 */
	struct event_base *chosen = event_base_new();
	if (!chosen) {
		printf("event_base_new: no backend left\n");
		return 1;
	}
	printf("event_base_new chose %s\n", event_base_get_method(chosen));

	/* The methods this libevent was built with, best first. · 这个 libevent 支持的方法，最好的在前。 */
	const char **methods = event_get_supported_methods();
	printf("supported:");
	for (int i = 0; methods[i]; i++)
		printf(" %s", methods[i]);
	printf("\n");

	/* One base per backend, all alive until the end (evscope traces the bases made while one
	 * is alive). · 每种后端一个 event_base，都保留到最后（evscope 跟踪的是有 base 存活期间创建的 base）。 */
	struct event_base *bases[3];
	for (size_t i = 0; i < 3; i++) {
		bases[i] = base_on(all_methods[i]);
		if (!bases[i]) {
			printf("%-6s: not available\n", all_methods[i]);
			continue;
		}
		double cost = measure(bases[i], idle);
		printf("%-6s: %d idle fds, cost per loop iteration %.1f us\n",
		    event_base_get_method(bases[i]), idle, cost);
	}
	for (size_t i = 0; i < 3; i++)
		if (bases[i])
			event_base_free(bases[i]);
	event_base_free(chosen);
	return 0;
}
