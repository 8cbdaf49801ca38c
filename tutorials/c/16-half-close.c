/* Lesson 16 · Full duplex and half-close: an asker and an answerer on a socket pair.
 * 第 16 课 · 全双工与半关闭：一对套接字两端的提问者和回答者。
 *
 *   gcc tutorials/c/16-half-close.c -o 16-half-close -levent
 *   ./16-half-close                                 on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./16-half-close   watched by evscope · 在 evscope 中观察
 *
 * The asker sends its question and, once the question has left, shuts down its sending
 * direction (shutdown SHUT_WR): the half-close. It goes on reading. The answerer reads until end
 * of file and only then answers, on the direction that is still open; once the answer has left it
 * frees its bufferevent (closing its end), the asker reads end of file in turn, and the program
 * ends: no event is left.
 * 提问者发出问题，等问题发出去之后关闭自己的发送方向（shutdown SHUT_WR）：这就是半关闭。它继续读。
 * 回答者一直读到文件结束，然后才在仍然打开的方向上回答；回答发出去之后它释放自己的 bufferevent
 * （关闭它这一端），提问者随后读到文件结束，程序结束：没有事件了。
 *
 * evscope:
 *   peer: none
 *   output: answerer read: what is 6 x 7?
 *   output: answerer: end of file, but my direction is still open
 *   output: asker read: 42
 *   output: the answerer has finished too
 *   watch: bufferevent 0 "print_input/shut_when_sent/asker_done" (fd
 *   watch: "print_input/shut_when_sent/asker_done" (fd …: input buffer holds 0 bytes, output buffer 15 bytes
 *   watch: bufferevent 1 "print_input/answer_at_eof" (fd
 *   watch: "print_input/shut_when_sent/asker_done write" (fd … became non-pending: the output buffer is empty
 *   watch: "print_input/answer_at_eof" (fd …: input buffer holds 15 bytes, output buffer 0 bytes
 *   watch: "print_input/answer_at_eof" (fd …'s event callback is told READING|EOF
 *   watch: "print_input/answer_at_eof" (fd …: input buffer holds 0 bytes, output buffer 27 bytes
 *   watch: "print_input/answer_at_eof read" (fd … became non-pending: end of file while reading
 *   watch: bufferevent 1 "print_input/answer_at_eof" (fd … freed
 *   watch: "print_input/shut_when_sent/asker_done" (fd …: input buffer holds 27 bytes, output buffer 0 bytes
 *   watch: "print_input/shut_when_sent/asker_done" (fd …'s event callback is told READING|EOF
 *   watch: bufferevent 0 "print_input/shut_when_sent/asker_done" (fd … freed
 *   watch-count: 2 's event callback is told READING|EOF
 *   watch-zh: 输入缓冲区 0 字节，输出缓冲区 15 字节
 *   watch-zh: "print_input/answer_at_eof" (fd … 的事件回调收到 READING|EOF
 *   watch-zh: 输入缓冲区 0 字节，输出缓冲区 27 字节
 *   watch-zh: 输入缓冲区 27 字节，输出缓冲区 0 字节
 *   watch-zh: "print_input/shut_when_sent/asker_done" (fd … 的事件回调收到 READING|EOF
 */
#include <stdio.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

/* A read callback for both ends: print what arrived; ctx is the side's name.
 * 两端共用的读回调：打印收到的内容；ctx 是这一端的名字。 */
static void print_input(struct bufferevent *bev, void *ctx)
{
	char buf[1024];
	size_t n;
	while ((n = bufferevent_read(bev, buf, sizeof buf)) > 0)
		printf("%s read: %.*s", (const char *)ctx, (int)n, buf);
}

static void asker_done(struct bufferevent *bev, short events, void *ctx);

/* The asker's write callback runs when its write buffer is empty: the question has left, so
 * now shut down writing. Calling shutdown right after bufferevent_write would cut the question
 * off: its bytes would still be in the write buffer.
 * 提问者的写回调在写缓冲区发空时执行：问题已经发出，现在关闭写方向。如果在 bufferevent_write 之后
 * 立刻 shutdown，问题就被截断了：它的字节还在写缓冲区里。 */
static void shut_when_sent(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	printf("asker: question sent; shutting down my sending direction\n");
	shutdown(bufferevent_getfd(bev), SHUT_WR); /* half-close: reading goes on · 半关闭：读继续 */
	/* no write callback any more: shut down only once · 不再需要写回调：只关闭一次 */
	bufferevent_setcb(bev, print_input, NULL, asker_done, "asker");
}

/* The asker's event callback: the answerer has finished too. · 提问者的事件回调：回答者也说完了。 */
static void asker_done(struct bufferevent *bev, short events, void *ctx)
{
	(void)ctx;
	printf("asker: events 0x%x%s: the answerer has finished too\n", events,
	    (events & BEV_EVENT_EOF) ? " (EOF)" : "");
	bufferevent_free(bev);
}

/* The answerer's write callback, set once it has answered: free it when the answer has left.
 * 回答者回答之后设置的写回调：回答发出去之后释放它。 */
static void free_when_sent(struct bufferevent *bev, void *ctx)
{
	(void)ctx;
	printf("answerer: answer sent; closing my end\n");
	bufferevent_free(bev); /* closes the fd: the asker reads end of file · 关闭 fd：提问者读到 EOF */
}

/* The answerer's event callback: end of file is "that is my whole question".
 * 回答者的事件回调：读到文件结束，意思是"我的问题就这些"。 */
static void answer_at_eof(struct bufferevent *bev, short events, void *ctx)
{
	(void)ctx;
	if (events & BEV_EVENT_EOF) {
		printf("answerer: end of file, but my direction is still open\n");
		bufferevent_write(bev, "42\n", 3);
		bufferevent_write(bev, "and I can go on sending\n", 24);
		bufferevent_setcb(bev, NULL, free_when_sent, NULL, NULL);
	} else if (events & BEV_EVENT_ERROR) {
		bufferevent_free(bev);
	}
}

int main(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t pair[2];
	if (!base || evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		return 1;
	evutil_make_socket_nonblocking(pair[0]);
	evutil_make_socket_nonblocking(pair[1]);
	struct bufferevent *asker = bufferevent_socket_new(base, pair[0], BEV_OPT_CLOSE_ON_FREE);
	struct bufferevent *answerer = bufferevent_socket_new(base, pair[1], BEV_OPT_CLOSE_ON_FREE);

	/* The asker sends its question; shut_when_sent half-closes once it has left.
	 * 提问者发出问题；问题发出后由 shut_when_sent 半关闭。 */
	bufferevent_setcb(asker, print_input, shut_when_sent, asker_done, "asker");
	bufferevent_enable(asker, EV_READ);
	bufferevent_write(asker, "what is 6 x 7?\n", 15);

	/* The answerer reads until end of file, and only then answers.
	 * 回答者一直读到文件结束，然后才回答。 */
	bufferevent_setcb(answerer, print_input, NULL, answer_at_eof, "answerer");
	bufferevent_enable(answerer, EV_READ);

	event_base_dispatch(base);
	event_base_free(base);
	return 0;
}
