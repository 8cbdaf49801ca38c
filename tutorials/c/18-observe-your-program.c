/* Lesson 18 · Watching your own program: a small libevent program of your own kind, watched
 * without changing a line.
 * 第 18 课 · 观察你自己的程序：一个你自己也会写的小 libevent 程序，不改一行代码就能观察。
 *
 *   gcc tutorials/c/18-observe-your-program.c -o 18-observe-your-program -levent
 *   ./18-observe-your-program                       on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./18-observe-your-program   watched live · 实时观察
 *
 * A heartbeat timer (heartbeat_cb) beats five times, 300 ms apart, and writes each beat into a
 * pipe; a reader (pipe_reader_cb) prints what arrives. After the fifth beat the heartbeat deletes
 * itself and closes the pipe's writing end; the reader sees end of file and deletes itself, and
 * the loop ends. libevent has no tracer (its nearest tool, event_base_dump_events, lists the
 * events without names); evscope shows every step, each event named after your callback.
 * 心跳定时器（heartbeat_cb）每隔 300 毫秒跳一次，共五次，每次把心跳写进一个管道；读者
 * （pipe_reader_cb）打印收到的内容。第五次心跳之后，心跳删除自己并关闭管道的写端；读者读到文件结束，
 * 删除自己，事件循环结束。libevent 没有跟踪器（最接近的工具 event_base_dump_events 只列出事件，
 * 没有名字）；evscope 显示每一步，并用你的回调名给每个事件命名。
 *
 * evscope:
 *   peer: none
 *   output: reader got: beat 5
 *   output: reader: end of file
 *   watch: event 0 "heartbeat_cb" (timer, PERSIST) created by event_new
 *   watch: event 1 "pipe_reader_cb" (fd
 *   watch: "heartbeat_cb" (timer, PERSIST) became active: its timeout expired
 *   watch: "heartbeat_cb" (timer, PERSIST) is running its callback
 *   watch: "pipe_reader_cb" (fd … became active: fd … is readable
 *   watch: "heartbeat_cb" (timer, PERSIST) became non-pending: event_del was called during its callback
 *   watch: "pipe_reader_cb" (fd … became non-pending: event_del was called during its callback
 *   watch: "heartbeat_cb" (timer, PERSIST) was freed
 *   watch-count: 5 "heartbeat_cb" (timer, PERSIST) is running its callback
 *   watch-count: 6 "pipe_reader_cb" (fd … is running its callback
 *   watch-zh: 事件 0 "heartbeat_cb" (定时器, PERSIST) 变为未决 (pending)：调用了 event_add
 *   watch-zh: "heartbeat_cb" (定时器, PERSIST) 变为激活 (active)：超时时间到了
 *   watch-zh: "heartbeat_cb" (定时器, PERSIST) 变为非未决 (non_pending)：回调期间调用了 event_del
 *   watch-zh: "heartbeat_cb" (定时器, PERSIST) 已释放 (freed)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#define BEATS 5

static int pipe_fds[2] = { -1, -1 };
static int beats;

/* The heartbeat: a persistent timer. · 心跳：一个持久的定时器。 */
static void heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	char line[32];
	(void)fd, (void)what;
	beats++;
	int n = snprintf(line, sizeof line, "beat %d\n", beats);
	if (write(pipe_fds[1], line, n) != n)
		perror("write");
	if (beats == BEATS) {
		event_del(self);      /* no more beats · 不再跳动 */
		close(pipe_fds[1]);   /* the reader will see end of file · 读者将读到文件结束 */
		pipe_fds[1] = -1;
	}
}

/* The reader: a persistent READ event on the pipe. · 读者：管道上持久的读事件。 */
static void pipe_reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	char buf[256];
	(void)what;
	ssize_t n = read(fd, buf, sizeof buf);
	if (n > 0) {
		printf("reader got: %.*s", (int)n, buf);
		return;
	}
	printf("reader: end of file\n");
	event_del(self);
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base || pipe(pipe_fds) < 0)
		return 1;

	struct event *heartbeat = event_new(base, -1, EV_PERSIST, heartbeat_cb, event_self_cbarg());
	struct event *reader = event_new(base, pipe_fds[0], EV_READ | EV_PERSIST, pipe_reader_cb,
	    event_self_cbarg());
	struct timeval every = { 0, 300000 };
	event_add(heartbeat, &every);
	event_add(reader, NULL);

	printf("backend: %s\n", event_base_get_method(base));
	event_base_dispatch(base);

	event_free(reader);
	event_free(heartbeat);
	close(pipe_fds[0]);
	event_base_free(base);
	return 0;
}
