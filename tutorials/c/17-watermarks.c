/* Lesson 17 · Watermarks: a slow reader and a fast writer on a socket pair.
 * 第 17 课 · 水位：一对套接字两端的慢读者和快写者。
 *
 *   gcc tutorials/c/17-watermarks.c -o 17-watermarks -levent
 *   ./17-watermarks                                 on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./17-watermarks   watched by evscope · 在 evscope 中观察
 *
 * The slow side stops reading its socket when its read buffer holds 16 KiB (read high
 * watermark), and its program (consume_cb, a timer) takes 8 KiB every 20 ms. The fast side
 * queues 64 KiB pieces, a new one each time its write buffer has drained down to 4 KiB (write low
 * watermark, refill_cb), 512 KiB in all. Back-pressure: the bytes wait in the kernel and in the
 * fast side's write buffer, and none is lost. When the slow side has all of them, the program
 * frees both and ends.
 * 慢的一端在读缓冲区达到 16 KiB（读高水位）时停止读套接字，它的程序（定时器 consume_cb）每 20 毫秒
 * 取走 8 KiB。快的一端每次在写缓冲区降到 4 KiB（写低水位，refill_cb）时再放入 64 KiB，共 512 KiB。
 * 背压：字节在内核和快端的写缓冲区里等待，一个也不会丢。慢端收齐之后，程序释放两端并结束。
 *
 * evscope:
 *   peer: none
 *   output: fast: queued piece 8 of 8 (64 KiB)
 *   output: slow: all 524288 bytes arrived, none lost
 *   same-output: no
 *   watch: bufferevent 0 "refill_cb/pair_event_cb" (fd
 *   watch: bufferevent 1 "pair_event_cb" (fd
 *   watch: "refill_cb/pair_event_cb" (fd …: input buffer holds 0 bytes, output buffer 65536 bytes (write low watermark 4096)
 *   watch: "pair_event_cb read" (fd … became non-pending: the input buffer reached the read high watermark: the bufferevent deleted its read event and stops reading
 *   watch: "consume_cb" (timer, PERSIST) is running its callback
 *   watch: "pair_event_cb read" (fd … became pending: the input buffer is below the read high watermark again: the bufferevent added its read event and reads again
 *   watch: "pair_event_cb" (fd …: input buffer holds 16384 bytes, output buffer 0 bytes (read high watermark 16384)
 *   watch: "consume_cb" (timer, PERSIST) became non-pending: event_del was called during its callback
 *   watch: bufferevent 0 "refill_cb/pair_event_cb" (fd
 *   watch-zh: 输出缓冲区 65536 字节（写低水位 4096）
 *   watch-zh: 变为非未决 (non_pending)：输入缓冲区达到读高水位，bufferevent 删除了它的读事件，暂停读取
 *   watch-zh: 变为未决 (pending)：输入缓冲区又低于读高水位，bufferevent 重新添加了它的读事件，继续读取
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#define HIGH (16 * 1024)        /* slow side's read high watermark · 慢端的读高水位 */
#define LOW (4 * 1024)          /* fast side's write low watermark · 快端的写低水位 */
#define PIECE (64 * 1024)
#define TOTAL (512 * 1024)
#define TAKE (8 * 1024)

static struct bufferevent *fast, *slow;
static struct event *consumer;
static size_t queued, received;
static int ticks;

/* The fast side's write callback: its write buffer is down to the write low watermark, so
 * queue the next piece. · 快端的写回调：写缓冲区降到了写低水位，放入下一块。 */
static void refill_cb(struct bufferevent *bev, void *ctx)
{
	static char piece[PIECE];
	(void)ctx;
	if (queued == TOTAL)
		return;
	memset(piece, 'x', sizeof piece);
	bufferevent_write(bev, piece, sizeof piece);
	queued += sizeof piece;
	printf("fast: queued piece %zu of %d (64 KiB)\n", queued / PIECE, TOTAL / PIECE);
}

/* The slow side's program: every 20 ms take 8 KiB out of the read buffer. Taking data out
 * brings the buffer below the high watermark, and libevent starts reading the socket again.
 * 慢端的程序：每 20 毫秒从读缓冲区取走 8 KiB。取走数据让缓冲区回到高水位之下，libevent 又开始读套接字。 */
static void consume_cb(evutil_socket_t fd, short what, void *arg)
{
	char chunk[TAKE];
	(void)fd, (void)what, (void)arg;
	size_t in = evbuffer_get_length(bufferevent_get_input(slow));
	size_t out = evbuffer_get_length(bufferevent_get_output(fast));
	if (++ticks % 8 == 1)
		printf("slow read buffer %5zu B    fast write buffer %6zu B\n", in, out);
	received += bufferevent_read(slow, chunk, sizeof chunk);
	if (received == TOTAL) {
		printf("slow: all %d bytes arrived, none lost\n", TOTAL);
		event_del(consumer);
		bufferevent_free(slow);
		bufferevent_free(fast);
		/* no event left: event_base_dispatch returns · 没有事件了：event_base_dispatch 返回 */
	}
}

/* Both sides' event callback: only an error or an early end would call it.
 * 两端共用的事件回调：只有出错或连接提前结束时才会调用。 */
static void pair_event_cb(struct bufferevent *bev, short events, void *ctx)
{
	(void)bev;
	printf("%s: events 0x%x before the end\n", (const char *)ctx, events);
}

int main(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t pair[2];
	if (!base || evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		return 1;
	evutil_make_socket_nonblocking(pair[0]);
	evutil_make_socket_nonblocking(pair[1]);
	fast = bufferevent_socket_new(base, pair[0], BEV_OPT_CLOSE_ON_FREE);
	slow = bufferevent_socket_new(base, pair[1], BEV_OPT_CLOSE_ON_FREE);

	/* The fast side: its write callback runs when at most 4 KiB are left to send.
	 * 快端：剩下不超过 4 KiB 要发送时执行写回调。 */
	bufferevent_setcb(fast, NULL, refill_cb, pair_event_cb, "fast");
	bufferevent_setwatermark(fast, EV_WRITE, LOW, 0);

	/* The slow side: read low 0, read high 16 KiB; no read callback, its timer reads.
	 * 慢端：读低水位 0，读高水位 16 KiB；没有读回调，由它的定时器来读。 */
	bufferevent_setcb(slow, NULL, NULL, pair_event_cb, "slow");
	bufferevent_setwatermark(slow, EV_READ, 0, HIGH);
	bufferevent_enable(slow, EV_READ);

	refill_cb(fast, NULL); /* the first piece · 第一块 */

	consumer = event_new(base, -1, EV_PERSIST, consume_cb, NULL);
	struct timeval every = { 0, 20000 };
	event_add(consumer, &every);

	event_base_dispatch(base);
	event_free(consumer);
	event_base_free(base);
	return 0;
}
