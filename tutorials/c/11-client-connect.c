/* Lesson 11 · The client: bufferevent_socket_connect — the course's client, complete.
 * 第 11 课 · 客户端：bufferevent_socket_connect —— 课程的客户端，完整版。
 *
 *   gcc tutorials/c/11-client-connect.c -o 11-client-connect -levent
 *   ./11-client-connect [PORT]                  on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./11-client-connect 9995    watched by evscope · 在 evscope 中观察
 *
 * It connects to 127.0.0.1:PORT (default 9995: the echo demo, or lesson 12's server), sends a
 * greeting and every line typed on the terminal, and prints each echo. At the end of its input
 * (Ctrl-D, or none at all) it half-closes once its write buffer is empty; the server closes in
 * turn, and the client exits.
 * 连接 127.0.0.1:PORT（默认 9995：echo 演示或第 12 课的服务器），发送一句问候和终端上输入的每一行，
 * 并打印每次的回显。输入结束时（Ctrl-D，或者根本没有输入），等写缓冲区发空后半关闭；服务器随后关闭
 * 连接，客户端退出。
 *
 * evscope:
 *   peer: server
 *   stdin: "a typed line\n"
 *   peer-expect: "hello from the C client\n"
 *   peer-expect: "a typed line\n"
 *   peer-expect-eof
 *   peer-send: "hello from the C client\na typed line\n"
 *   peer-close
 *   output: connected; type a line (Ctrl-D ends)
 *   output: all sent; shutting down my sending direction
 *   output: echo: hello from the C client
 *   output: echo: a typed line
 *   output: the server closed the connection
 *   watch: bufferevent 0 "read_cb/write_cb/event_cb" created (no fd yet)
 *   watch: "read_cb/write_cb/event_cb read" (… became pending: bufferevent_enable was called
 *   watch: bufferevent 0 "read_cb/write_cb/event_cb": input buffer holds 0 bytes, output buffer 24 bytes
 *   watch: "read_cb/write_cb/event_cb write" (… became pending: the bufferevent added its write event
 *   watch: "read_cb/write_cb/event_cb read" (… became pending: bufferevent_socket_connect was called
 *   watch: "read_cb/write_cb/event_cb write" (… became pending: bufferevent_socket_connect was called
 *   watch: event 2 "read_terminal" (fd 0, READ|PERSIST) created by event_new
 *   watch: "read_cb/write_cb/event_cb write" (… became active: fd
 *   watch: 's event callback is told CONNECTED: the connection is established
 *   watch: "read_cb/write_cb/event_cb read" (… became active: fd
 *   watch: input buffer holds 37 bytes, output buffer 0 bytes
 *   watch: 's event callback is told READING|EOF
 *   watch: bufferevent 0 "read_cb/write_cb/event_cb" freed
 *   watch-count: 1 's event callback is told CONNECTED
 *   watch-count: 2+ "read_terminal" (fd 0, READ|PERSIST) became active: fd 0 is readable
 *   watch-count: 1 "read_terminal" (fd 0, READ|PERSIST) became non-pending: event_del was called during its callback
 *   watch-zh: bufferevent 0 "read_cb/write_cb/event_cb"
 *   watch-zh: "read_cb/write_cb/event_cb write" (… 变为未决 (pending)：调用了 bufferevent_socket_connect
 *   watch-zh: 的事件回调收到 CONNECTED：连接已建立
 *   watch-zh: 的事件回调收到 READING|EOF
 *   watch-count-zh: 2+ "read_terminal" (fd 0, READ|PERSIST) 变为激活 (active)
 *   watch-count: 1+ became pending: bufferevent_socket_connect was called: the bufferevent added its write event
 *   watch-count: 1+ became non-pending: event_del was called during its callback
 *   watch-count: 1+ input buffer holds … bytes
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

static struct event_base *base;
static struct event *typing;  /* the terminal's event · 终端的事件 */
static int connected;         /* BEV_EVENT_CONNECTED seen · 已收到 BEV_EVENT_CONNECTED */
static int input_done;        /* no more lines to send · 没有更多要发送的行 */

/* Half-close once everything is sent: "that is all I have to say" (lesson 16).
 * 全部发完后半关闭："我要说的就这些"（第 16 课）。 */
static void shut_down_if_done(struct bufferevent *bev)
{
	if (connected && input_done &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		printf("all sent; shutting down my sending direction\n");
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		input_done = 0; /* only once · 只做一次 */
	}
}

/* The read callback: print every whole line that came back (a partial line waits in the read
 * buffer for the rest). · 读回调：打印发回的每一个完整行（不完整的行留在读缓冲区里等剩下的部分）。 */
static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	char *line;
	size_t len;
	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len, EVBUFFER_EOL_LF)) != NULL) {
		printf("echo: %s\n", line);
		free(line);
	}
}

/* The write callback: the write buffer has drained. · 写回调：写缓冲区已经发空。 */
static void write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	shut_down_if_done(bev);
}

/* The event callback: connected, or the end of the connection.
 * 事件回调：连接成功，或者连接结束。 */
static void event_cb(struct bufferevent *bev, short events, void *arg)
{
	(void)arg;
	if (events & BEV_EVENT_CONNECTED) {
		printf("connected; type a line (Ctrl-D ends)\n");
		connected = 1;
		shut_down_if_done(bev);
		return;
	}
	if (events & BEV_EVENT_EOF)
		printf("the server closed the connection\n");
	else if (events & BEV_EVENT_ERROR)
		printf("error: %s\n", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	bufferevent_free(bev); /* (there is no bufferevent_socket_free · 没有 bufferevent_socket_free) */
	if (typing)
		event_del(typing);
	event_base_loopexit(base, NULL);
}

/* The terminal's callback: one typed line into the write buffer.
 * 终端的回调：把输入的一行放进写缓冲区。 */
static void read_terminal(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	char line[1024];
	(void)what;
	ssize_t n = read(fd, line, sizeof line);
	if (n > 0) {
		bufferevent_write(bev, line, n);
		return;
	}
	/* Ctrl-D: stop watching the terminal, half-close when the output is sent.
	 * Ctrl-D：不再监视终端，输出发完后半关闭。 */
	event_del(typing);
	input_done = 1;
	shut_down_if_done(bev);
}

/* epoll cannot watch a regular file or /dev/null: watch stdin only if it is a terminal, a pipe
 * or a socket. · epoll 不能监视普通文件或 /dev/null：只有终端、管道或套接字才监视。 */
static int stdin_can_be_watched(void)
{
	struct stat st;
	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;
	return isatty(STDIN_FILENO) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 9995;
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
		return 2;
	}
	base = event_base_new();
	if (!base)
		return 1;

	/* No socket yet (-1): bufferevent_socket_connect makes one. It returns a struct
	 * bufferevent * — three arguments, no "short what".
	 * 还没有套接字（-1）：bufferevent_socket_connect 会创建一个。返回 struct bufferevent *，
	 * 三个参数，没有 short what。 */
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, NULL);
	bufferevent_enable(bev, EV_READ); /* writing is enabled already · 写本来就是启用的 */

	/* You may write before the connection is up: the bytes wait in the write buffer.
	 * 连接建立之前就可以写：字节在写缓冲区里等待。 */
	bufferevent_write(bev, "hello from the C client\n", 24);

	struct sockaddr_in serv;
	memset(&serv, 0, sizeof serv);
	serv.sin_family = AF_INET;
	serv.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &serv.sin_addr);
	/* Non-blocking: returns at once. libevent makes the socket, starts the connect and adds
	 * the bufferevent's events as enabled: the write event (writing is enabled by default: its
	 * writability says the connect is decided) and, since we enabled reading, the read event.
	 * 非阻塞：立即返回。libevent 创建套接字、发起连接，并按已启用的方向添加事件：写事件
	 * （写默认启用；可写就表示连接有了结果），以及读事件（因为前面启用了读）。 */
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&serv, sizeof serv) < 0) {
		printf("cannot start the connection\n");
		bufferevent_free(bev);
		event_base_free(base);
		return 1;
	}

	if (stdin_can_be_watched()) {
		typing = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST, read_terminal, bev);
		event_add(typing, NULL);
	} else {
		input_done = 1; /* nothing to type: send the greeting only · 没有输入：只发问候 */
	}

	event_base_dispatch(base);

	if (typing)
		event_free(typing);
	event_base_free(base);
	return 0;
}
