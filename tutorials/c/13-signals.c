/* Lesson 13 · Signal events: a clean exit on Ctrl-C, as libevent's sample/hello-world.c does.
 * 第 13 课 · 信号事件：按 Ctrl-C 干净退出，就像 libevent 的 sample/hello-world.c 那样。
 *
 *   gcc tutorials/c/13-signals.c -o 13-signals -levent
 *   ./13-signals                                 on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./13-signals   watched by evscope · 在 evscope 中观察
 *
 * Two events wait for SIGINT: signal_cb asks the loop to exit in one second, count_cb counts.
 * So that the program ends by itself, a one-shot timer (pretend_ctrl_c) raises SIGINT after
 * 1.5 s; press Ctrl-C before that to send it yourself. Try `kill -INT <pid>` from another
 * terminal, too.
 * 两个事件等待 SIGINT：signal_cb 让事件循环一秒后退出，count_cb 负责计数。为了让程序自己结束，
 * 一个一次性定时器（pretend_ctrl_c）在 1.5 秒后自己 raise(SIGINT)；在那之前按 Ctrl-C 就是你自己发送。
 * 也可以在另一个终端里试试 `kill -INT <pid>`。
 *
 * evscope:
 *   peer: none
 *   output: caught signal 2 (SIGINT); exiting cleanly in one second
 *   output: the loop ended by loopexit: 1
 *   watch: event 0 "signal_cb" (signal 2, SIGNAL|PERSIST) created by event_new
 *   watch: event 1 "count_cb" (signal 2, SIGNAL|PERSIST) created by event_new
 *   watch: event 0 "signal_cb" (signal 2, SIGNAL|PERSIST) became pending: event_add was called
 *   watch: "pretend_ctrl_c" (timer) is running its callback
 *   watch: "count_cb" (signal 2, SIGNAL|PERSIST) became active: signal 2 arrived
 *   watch: "signal_cb" (signal 2, SIGNAL|PERSIST) became active: signal 2 arrived
 *   watch: "count_cb" (signal 2, SIGNAL|PERSIST) became pending: its callback returned (persistent
 *   watch: "signal_cb" (signal 2, SIGNAL|PERSIST) became pending: its callback returned (persistent
 *   watch: "signal_cb" (signal 2, SIGNAL|PERSIST) was freed
 *   watch-count: 2 became active: signal 2 arrived
 *   watch-zh: 事件 0 "signal_cb" (信号 2, SIGNAL|PERSIST) 变为未决 (pending)：调用了 event_add
 *   watch-zh: "signal_cb" (信号 2, SIGNAL|PERSIST) 变为激活 (active)：信号 2 到达
 *   watch-zh: "signal_cb" (信号 2, SIGNAL|PERSIST) 变为未决 (pending)：回调函数返回
 *   watch-zh: "signal_cb" (信号 2, SIGNAL|PERSIST) 已释放 (freed)
 */
#include <signal.h>
#include <stdio.h>

#include <event2/event.h>

static int caught;

/* Runs in the loop, like any callback, not in a signal handler: printf is safe here.
 * 它和其他回调一样在事件循环里执行，而不是在信号处理函数里：这里调用 printf 是安全的。 */
static void signal_cb(evutil_socket_t sig, short events, void *user_data)
{
	struct event_base *base = user_data;
	struct timeval delay = { 1, 0 };
	(void)events;
	printf("caught signal %d (SIGINT); exiting cleanly in one second\n", (int)sig);
	event_base_loopexit(base, &delay);
}

/* A second event on the same signal: both run. · 同一个信号上的第二个事件：两个都会执行。 */
static void count_cb(evutil_socket_t sig, short events, void *user_data)
{
	(void)sig;
	(void)events;
	(void)user_data;
	caught++;
	printf("SIGINT number %d\n", caught);
}

/* Stands in for your Ctrl-C. · 代替你按 Ctrl-C。 */
static void pretend_ctrl_c(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	printf("raising SIGINT, as Ctrl-C would\n");
	raise(SIGINT);
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base)
		return 1;

	/* evsignal_new(base, SIGINT, cb, arg) is event_new(base, SIGINT, EV_SIGNAL|EV_PERSIST, cb, arg):
	 * the "fd" is the signal number, and the event stays pending after each callback.
	 * evsignal_new(base, SIGINT, cb, arg) 就是 event_new(base, SIGINT, EV_SIGNAL|EV_PERSIST, cb, arg)：
	 * "fd" 是信号编号，事件在每次回调之后仍然是未决的。 */
	struct event *signal_event = evsignal_new(base, SIGINT, signal_cb, base);
	struct event *counter = event_new(base, SIGINT, EV_SIGNAL | EV_PERSIST, count_cb, NULL);
	event_add(signal_event, NULL);
	event_add(counter, NULL);

	struct timeval soon = { 1, 500000 };
	event_base_once(base, -1, EV_TIMEOUT, pretend_ctrl_c, NULL, &soon);

	printf("waiting for SIGINT (press Ctrl-C)\n");
	event_base_dispatch(base);

	printf("the loop ended by loopexit: %d\n", event_base_got_exit(base));
	event_free(counter);
	event_free(signal_event);
	event_base_free(base); /* restores SIGINT's previous handler · 恢复 SIGINT 原来的处理方式 */
	return 0;
}
