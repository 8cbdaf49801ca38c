/* Lesson 12 · The server: evconnlistener_new_bind — the course's echo server, complete.
 * 第 12 课 · 服务器：evconnlistener_new_bind —— 课程的回显服务器，完整版。
 *
 *   gcc tutorials/c/12-server-listener.c -o 12-server-listener -levent
 *   ./12-server-listener [PORT [CLIENTS]]          on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./12-server-listener 9995    watched by evscope · 在 evscope 中观察
 *
 * It listens on 127.0.0.1:PORT (default 9995; 0 lets the kernel choose) and echoes every byte
 * back. After CLIENTS connections (default 1) have come and gone it frees its listener, and the
 * loop ends by itself: no event is left. Connect with `nc 127.0.0.1 9995`.
 * 监听 127.0.0.1:PORT（默认 9995；0 表示由内核选择端口），把收到的每个字节原样发回。CLIENTS 个连接
 * （默认 1 个）先后断开之后，它释放监听器，事件循环自己结束：已经没有事件了。用 `nc 127.0.0.1 9995` 连接。
 *
 * evscope:
 *   peer: client
 *   peer-send: "hello, server\n"
 *   peer-expect: "hello, server\n"
 *   peer-close
 *   output: connection closed
 *   output: the loop ended: no events left
 *   same-output: no
 *   watch: event 0 "listener_cb accept" (fd … READ|PERSIST) created by event_new
 *   watch: "listener_cb accept" (fd … became pending: event_add was called
 *   watch: "listener_cb accept" (fd … became active: fd … is readable
 *   watch: listener 0 accepted a connection from 127.0.0.1:
 *   watch: bufferevent 0 "echo_read_cb/echo_event_cb" (fd … created on fd
 *   watch: "echo_read_cb/echo_event_cb read" (fd … became pending: bufferevent_enable was called: the bufferevent added its read event
 *   watch: "listener_cb accept" (fd … became pending: its callback returned
 *   watch: input buffer holds 14 bytes, output buffer 0 bytes
 *   watch: input buffer holds 0 bytes, output buffer 14 bytes
 *   watch: "echo_read_cb/echo_event_cb write" (fd … became pending: the bufferevent added its write event: its output has bytes to send
 *   watch: "echo_read_cb/echo_event_cb write" (fd … became active: fd … is writable
 *   watch: "echo_read_cb/echo_event_cb write" (fd … became non-pending: the output buffer is empty: the bufferevent deleted its write event
 *   watch: "echo_read_cb/echo_event_cb" (fd …'s event callback is told READING|EOF
 *   watch: "listener_cb accept" (fd … was freed
 *   watch: bufferevent 0 "echo_read_cb/echo_event_cb" (fd … freed
 *   watch-count: 1 listener 0 accepted a connection from 127.0.0.1:
 *   watch-count: 1 's event callback is told READING|EOF
 *   watch-count: 0 "echo_read_cb/echo_event_cb write" (fd … became pending: bufferevent_enable
 *   watch-zh: 事件 0 "listener_cb accept" (fd
 *   watch-zh: 监听器 0 接受了来自 127.0.0.1:
 *   watch-zh: "echo_read_cb/echo_event_cb read" (fd … 变为未决 (pending)：调用了 bufferevent_enable
 *   watch-zh: 输入缓冲区 14 字节，输出缓冲区 0 字节
 *   watch-zh: 输入缓冲区 0 字节，输出缓冲区 14 字节
 *   watch-zh: "echo_read_cb/echo_event_cb write" (fd … 变为非未决 (non_pending)：输出缓冲区已空
 *   watch-count: 1+ listener 0 accepted a connection from 127.0.0.1:… on fd …
 *   watch-count: 1+ input buffer holds … bytes
 *   watch-count-zh: 1+ bufferevent 0 "echo_read_cb/echo_event_cb"
 *   watch-count-zh: 1+ 监听器 0 接受了来自 127.0.0.1:… 的连接，新 fd …
 *   watch-count-zh: 1+ 输入缓冲区 … 字节
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

static struct evconnlistener *listener;
static int clients_left = 1; /* connections to serve before exiting · 退出前要服务的连接数 */

/* The read callback: move everything that arrived into the write buffer; the library sends it.
 * 读回调：把读缓冲区里的数据整个移到写缓冲区，由库负责发送。 */
static void echo_read_cb(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	struct evbuffer *input = bufferevent_get_input(bev);
	struct evbuffer *output = bufferevent_get_output(bev);
	printf("echoing %zu bytes\n", evbuffer_get_length(input));
	evbuffer_add_buffer(output, input);
}

/* The event callback: the client left (EOF) or failed (ERROR).
 * 事件回调：客户端断开（EOF）或出错（ERROR）。 */
static void echo_event_cb(struct bufferevent *bev, short events, void *ctx)
{
	(void)ctx;
	if (events & BEV_EVENT_EOF)
		printf("connection closed\n");
	else if (events & BEV_EVENT_ERROR)
		printf("connection error: %s\n", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else
		return;
	/* bufferevent_free, not "bufferevent_socket_free": there is no such function.
	 * 用 bufferevent_free 释放；没有 bufferevent_socket_free 这个函数。 */
	bufferevent_free(bev); /* BEV_OPT_CLOSE_ON_FREE: closes the fd too · 同时关闭 fd */
	if (--clients_left == 0 && listener) {
		printf("served every client; freeing the listener\n");
		evconnlistener_free(listener); /* no event left: dispatch returns · 没有事件了，dispatch 返回 */
		listener = NULL;
	}
}

/* The listener's callback: one new connection, already accepted; fd is its socket.
 * 监听器回调：一个新连接，已经 accept 完毕；fd 就是它的套接字。 */
static void listener_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int socklen, void *ptr)
{
	struct event_base *base = ptr;
	char ip[INET_ADDRSTRLEN] = "?";
	(void)lev;
	(void)socklen;
	struct sockaddr_in *peer = (struct sockaddr_in *)addr;
	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof ip);
	printf("new connection from %s:%d on fd %d\n", ip, ntohs(peer->sin_port), (int)fd);

	/* bufferevent_socket_new(base, fd, options) returns a struct bufferevent * (three
	 * arguments: no "short what", and not a struct event *).
	 * bufferevent_socket_new(base, fd, options) 返回 struct bufferevent *（三个参数：
	 * 没有 short what，返回的也不是 struct event *）。 */
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
	/* Writing is enabled by default, reading is not (lesson 10).
	 * 写默认是启用的，读不是（第 10 课）。 */
	bufferevent_enable(bev, EV_READ);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 9995;
	if (argc > 2)
		clients_left = atoi(argv[2]);
	if (port < 0 || port > 65535 || clients_left < 1) {
		fprintf(stderr, "usage: %s [PORT [CLIENTS]]\n", argv[0]);
		return 2;
	}

	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	struct event_base *base = event_base_new();
	if (!base)
		return 1;
	/* socket + bind + listen + accept in one call. Backlog -1: "a reasonable default"
	 * (libevent 2.1 listens with 128), not the system's maximum.
	 * 一次调用完成 socket + bind + listen + accept。backlog 为 -1 表示"一个合理的默认值"
	 * （libevent 2.1 用 128 调用 listen），不是系统的最大值。 */
	listener = evconnlistener_new_bind(base, listener_cb, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof sin);
	if (!listener) {
		perror("evconnlistener_new_bind");
		event_base_free(base);
		return 1;
	}
	/* Which port did we get? (with PORT 0 the kernel chose one) · 实际端口是多少？ */
	socklen_t len = sizeof sin;
	getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&sin, &len);
	printf("listening on 127.0.0.1:%d\n", ntohs(sin.sin_port));

	event_base_dispatch(base);

	if (listener)
		evconnlistener_free(listener);
	event_base_free(base);
	printf("the loop ended: no events left\n");
	return 0;
}
