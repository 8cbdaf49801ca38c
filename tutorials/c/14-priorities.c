/* Lesson 14 · Priorities: which active event runs first.
 * 第 14 课 · 优先级：哪个激活的事件先执行。
 *
 *   gcc tutorials/c/14-priorities.c -o 14-priorities -levent
 *   ./14-priorities                                 on the system's libevent · 用系统的 libevent 运行
 *   cargo run --release -- run -- ./14-priorities   watched by evscope · 在 evscope 中观察
 *
 * Three queues (0 is the most urgent). Three events that are never added — background (2),
 * normal (1), urgent (0) — are made active together by trigger_cb, a timer of priority 0,
 * least urgent first, three times. Each iteration of the loop runs only the most urgent
 * non-empty queue: urgent runs in the trigger's own iteration, normal in the next, background
 * in the one after.
 * 三个队列（0 最紧急）。三个从未添加过的事件 —— background (2)、normal (1)、urgent (0) —— 由
 * 优先级为 0 的定时器 trigger_cb 一起激活，最不紧急的先激活，共三轮。事件循环每一轮只执行最紧急的
 * 非空队列：urgent 在触发器的同一轮执行，normal 在下一轮，background 在再下一轮。
 *
 * evscope:
 *   peer: none
 *   output: round 3: urgent (0) ran
 *   output: round 3: background (2) ran
 *   watch: "trigger_cb" (timer, PERSIST) became pending: event_add was called
 *   watch: the loop runs the priority-0 active queue
 *   watch: "trigger_cb" (timer, PERSIST) is running its callback
 *   watch: "background_cb" (timer) became active: event_active was called
 *   watch: "normal_cb" (timer) became active: event_active was called
 *   watch: "urgent_cb" (timer) became active: event_active was called
 *   watch: "urgent_cb" (timer) is running its callback
 *   watch: "urgent_cb" (timer) became non-pending: its callback returned
 *   watch: loop iteration
 *   watch: the loop runs the priority-1 active queue
 *   watch: "normal_cb" (timer) is running its callback
 *   watch: loop iteration
 *   watch: the loop runs the priority-2 active queue
 *   watch: "background_cb" (timer) is running its callback
 *   watch-count: 3 the loop runs the priority-1 active queue
 *   watch-count: 3 the loop runs the priority-2 active queue
 *   watch-count: 3 "urgent_cb" (timer) is running its callback
 *   watch-zh: "urgent_cb" (定时器) 变为激活 (active)
 *   watch-zh: "urgent_cb" (定时器) 进入回调执行中 (callback)
 *   watch-zh: "normal_cb" (定时器) 进入回调执行中 (callback)
 *   watch-zh: "background_cb" (定时器) 进入回调执行中 (callback)
 *   watch-count-zh: 1+ 运行优先级 0 的激活队列
 *   watch-count-zh: 1+ 运行优先级 1 的激活队列
 */
#include <stdio.h>

#include <event2/event.h>

#define ROUNDS 3

static struct event *background, *normal, *urgent;
static int round_no;

/* One callback per event, so that evscope names each event after its own callback.
 * 每个事件一个回调，这样 evscope 就用各自的回调名来命名事件。 */
static void ran(const char *name)
{
	printf("  round %d: %s ran\n", round_no, name);
}

static void urgent_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	ran("urgent (0)");
}

static void normal_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	ran("normal (1)");
}

static void background_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	ran("background (2)");
}

/* The trigger: make all three active at once, least urgent first.
 * 触发器：同时激活三个事件，最不紧急的先激活。 */
static void trigger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	(void)fd;
	(void)what;
	round_no++;
	printf("round %d: activating background, normal, urgent\n", round_no);
	event_active(background, EV_TIMEOUT, 0);
	event_active(normal, EV_TIMEOUT, 0);
	event_active(urgent, EV_TIMEOUT, 0);
	if (round_no == ROUNDS)
		event_del(self); /* the last round: nothing stays pending, so the loop ends
				  * 最后一轮：不再有未决的事件，事件循环随之结束 */
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base)
		return 1;
	/* Before any event is made: three queues, 0 to 2. New events get the middle one, 3/2 = 1.
	 * 在创建任何事件之前：三个队列，0 到 2。新事件默认进入中间的队列 3/2 = 1。 */
	event_base_priority_init(base, 3);

	background = event_new(base, -1, 0, background_cb, NULL);
	normal = event_new(base, -1, 0, normal_cb, NULL);
	urgent = event_new(base, -1, 0, urgent_cb, NULL);
	event_priority_set(background, 2);
	event_priority_set(normal, 1);
	event_priority_set(urgent, 0);
	printf("a new event's priority: %d\n", event_get_priority(normal));

	struct event *trigger = event_new(base, -1, EV_PERSIST, trigger_cb, event_self_cbarg());
	event_priority_set(trigger, 0);
	struct timeval every = { 0, 200000 };
	event_add(trigger, &every);

	event_base_dispatch(base);

	event_free(trigger);
	event_free(urgent);
	event_free(normal);
	event_free(background);
	event_base_free(base);
	return 0;
}
