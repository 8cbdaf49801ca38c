/* The course's echo server (evconnlistener + bufferevent) and a bufferevent client in the same
 * loop: the client sends a greeting and 1 MiB, checks every echoed byte, then hangs up. */
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

#define TOTAL (1024 * 1024)

static struct evconnlistener *listener;
static size_t sent, received;
static int greeted, mismatches, server_frees;

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 31 + 7) % 251);
}

static void echo_read_cb(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev));
}

static void echo_event_cb(struct bufferevent *bev, short events, void *ctx)
{
	(void)ctx;
	if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		printf("server: client %s\n", (events & BEV_EVENT_EOF) ? "hung up" : "failed");
		server_frees++;
		bufferevent_free(bev);
	}
}

static void listener_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *ctx)
{
	struct event_base *base = ctx;
	(void)lev;
	printf("server: accepted a connection from %s (socklen ok: %d)\n",
	    sa->sa_family == AF_INET ? "IPv4" : "?", socklen == (int)sizeof(struct sockaddr_in));
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void send_more(struct bufferevent *bev)
{
	unsigned char chunk[16384];
	/* Keep at most 256 KiB queued, as a careful client does. */
	while (sent < TOTAL && evbuffer_get_length(bufferevent_get_output(bev)) < 256 * 1024) {
		size_t n = TOTAL - sent < sizeof chunk ? TOTAL - sent : sizeof chunk;
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern(sent + i);
		bufferevent_write(bev, chunk, n);
		sent += n;
	}
}

static void client_write_cb(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	send_more(bev);
}

static void client_read_cb(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (!greeted) {
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
		if (!line)
			return;
		printf("client: greeting echoed: \"%s\"\n", line);
		free(line);
		greeted = 1;
	}
	unsigned char buf[4096];
	int n;
	while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
		for (int i = 0; i < n; i++)
			if (buf[i] != pattern(received + (size_t)i))
				mismatches++;
		received += (size_t)n;
	}
	if (received == TOTAL) {
		printf("client: %zu bytes echoed, %d mismatches\n", received, mismatches);
		bufferevent_free(bev);
		evconnlistener_free(listener);
	}
}

static void client_event_cb(struct bufferevent *bev, short events, void *ctx)
{
	(void)ctx;
	if (events & BEV_EVENT_CONNECTED) {
		printf("client: connected\n");
		evbuffer_add_printf(bufferevent_get_output(bev), "hello %s %d\r\n", "echo", 42);
		send_more(bev);
	} else if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		printf("client: unexpected event 0x%x\n", events);
		bufferevent_free(bev);
		evconnlistener_free(listener);
	}
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	listener = evconnlistener_new_bind(base, listener_cb, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof sin);
	if (!listener) {
		perror("evconnlistener_new_bind");
		return 1;
	}
	socklen_t len = sizeof sin;
	getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&sin, &len);
	printf("listener base matches: %d\n", evconnlistener_get_base(listener) == base);

	struct bufferevent *client = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(client, client_read_cb, client_write_cb, client_event_cb, NULL);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	struct timeval patience = {30, 0};
	bufferevent_set_timeouts(client, &patience, &patience);
	printf("client: enabled %d, base matches %d, input stable %d\n",
	    bufferevent_get_enabled(client), bufferevent_get_base(client) == base,
	    bufferevent_get_input(client) == bufferevent_get_input(client));
	if (bufferevent_socket_connect(client, (struct sockaddr *)&sin, sizeof sin) < 0) {
		printf("connect failed\n");
		return 1;
	}
	int r = event_base_dispatch(base);
	printf("dispatch returned %d; server freed %d bufferevent(s)\n", r, server_frees);
	event_base_free(base);
	return 0;
}
