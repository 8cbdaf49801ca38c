/* Lesson 19 · Watching memcached's event loop: a small libevent client that speaks memcached's
 * text protocol — one set, then one get, over a bufferevent.
 * 第 19 课 · 观察 memcached 的事件循环：一个讲 memcached 文本协议的小 libevent 客户端 ——
 * 通过一个 bufferevent 先 set 一次，再 get 一次。
 *
 *   gcc tutorials/c/19-watch-memcached.c -o 19-watch-memcached -levent
 *   ./19-watch-memcached 11311                 on the system's libevent · 用系统的 libevent 运行
 *   ./target/release/evscope run -- ./19-watch-memcached 11311   watched by evscope · 在 evscope 中观察
 *
 * Start memcached first (`memcached -l 127.0.0.1 -p 11311`, as root add `-u nobody`), or watch it
 * too (`./target/release/evscope run -- memcached -t 4 -l 127.0.0.1 -p 11311`). The client
 * connects to 127.0.0.1:PORT, sends `set greeting 0 0 5` with the value `hello` and `get
 * greeting`, reads the answers line by line (STORED; VALUE greeting 0 5; hello; END), and exits.
 * 先启动 memcached（`memcached -l 127.0.0.1 -p 11311`，以 root 运行时加 `-u nobody`），也可以同时观察它。
 * 客户端连接 127.0.0.1:PORT，发送 `set greeting 0 0 5`（值为 `hello`）和 `get greeting`，逐行读取回答
 * （STORED；VALUE greeting 0 5；hello；END），然后退出。
 *
 * evscope:
 *   peer: memcached
 *   output: connected to memcached
 *   output: memcached: STORED
 *   output: memcached: VALUE greeting 0 5
 *   output: memcached: hello
 *   output: memcached: END
 *   watch: bufferevent 0 "answer_cb/memcached_event_cb" created (no fd yet)
 *   watch: "answer_cb/memcached_event_cb write" (… became pending: bufferevent_socket_connect was called
 *   watch: 's event callback is told CONNECTED: the connection is established
 *   watch: : input buffer holds 0 bytes, output buffer 41 bytes
 *   watch: "answer_cb/memcached_event_cb write" (… became non-pending: the output buffer is empty
 *   watch: "answer_cb/memcached_event_cb read" (… became active: fd … is readable
 *   watch: bufferevent 0 "answer_cb/memcached_event_cb" freed
 *   watch-count: 1 's event callback is told CONNECTED
 *   watch-zh: 的事件回调收到 CONNECTED：连接已建立
 *   watch-zh: 输入缓冲区 0 字节，输出缓冲区 41 字节
 *   watch-zh: bufferevent 0 "answer_cb/memcached_event_cb" 已释放
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
#include <event2/util.h>

static struct event_base *base;
static int status = 1; /* the exit status: 0 once END arrives · 退出码：收到 END 后为 0 */

/* The read callback: memcached answers in lines ending with \r\n; take every whole line.
 * 读回调：memcached 的回答是以 \r\n 结尾的行；取出每一个完整的行。 */
static void answer_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	char *line;
	size_t len;
	while ((line = evbuffer_readln(input, &len, EVBUFFER_EOL_CRLF_STRICT)) != NULL) {
		printf("memcached: %s\n", line);
		int done = strcmp(line, "END") == 0;
		int failed = strstr(line, "ERROR") != NULL;
		free(line);
		if (done || failed) {
			status = failed;
			bufferevent_free(bev); /* closes the connection · 关闭连接 */
			event_base_loopexit(base, NULL);
			return;
		}
	}
}

/* The event callback: connected — send both requests at once; or the connection failed.
 * 事件回调：连接成功，一次发出两个请求；或者连接失败。 */
static void memcached_event_cb(struct bufferevent *bev, short events, void *arg)
{
	(void)arg;
	if (events & BEV_EVENT_CONNECTED) {
		printf("connected to memcached\n");
		/* set <key> <flags> <exptime> <bytes>, then the value; get <key>.
		 * set <键> <标志> <过期时间> <字节数>，然后是值；get <键>。 */
		evbuffer_add_printf(bufferevent_get_output(bev),
		    "set greeting 0 0 5\r\nhello\r\nget greeting\r\n");
		return;
	}
	if (events & BEV_EVENT_ERROR)
		printf("error: %s (is memcached running on that port?)\n",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (events & BEV_EVENT_EOF)
		printf("memcached closed the connection\n");
	bufferevent_free(bev);
	event_base_loopexit(base, NULL);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 11211;
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "usage: %s [PORT]   (memcached's port, default 11211)\n", argv[0]);
		return 2;
	}
	base = event_base_new();
	if (!base)
		return 1;

	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, answer_cb, NULL, memcached_event_cb, NULL);
	bufferevent_enable(bev, EV_READ);

	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin) < 0) {
		printf("cannot start the connection\n");
		bufferevent_free(bev);
		event_base_free(base);
		return 1;
	}

	event_base_dispatch(base);
	event_base_free(base);
	return status;
}
