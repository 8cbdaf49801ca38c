/*
 * Lesson 4 · The framework: the five steps of every libevent program.
 * 第 4 课 · 程序框架：每个 libevent 程序都有的五个步骤。
 *
 *   1 event_base_new   2 event_new   3 event_add   4 event_base_dispatch   5 event_free, event_base_free
 *
 * A persistent timer counts down from 3, once a second; at 0 its callback deletes it, nothing is
 * left pending, and dispatch returns.
 * 一个持久定时器每秒倒数一次，从 3 数到 0；到 0 时回调函数删除它，没有未决的事件了，dispatch 返回。
 *
 *   gcc tutorials/c/04-framework.c -o 04-framework -levent
 *   cargo run --release -- run --step -- ./04-framework
 *
 * evscope:
 *   peer: none
 *   output: tick: 0 to go
 *   output: dispatch returned 1 (no events left)
 *   watch: event 0 "on_tick" (timer, PERSIST) created by event_new: new, not yet added
 *   watch: event 0 "on_tick" (timer, PERSIST) became pending: event_add was called
 *   watch: loop iteration 1 begins
 *   watch: event 0 "on_tick" (timer, PERSIST) became active: its timeout expired
 *   watch: event 0 "on_tick" (timer, PERSIST) is running its callback
 *   watch: event 0 "on_tick" (timer, PERSIST) became pending: its callback returned (persistent: it waits again)
 *   watch: event 0 "on_tick" (timer, PERSIST) became non-pending: event_del was called during its callback (persistent, but deleted: it waits no more until event_add)
 *   watch: event 0 "on_tick" (timer, PERSIST) was freed: event_free was called
 *   watch-count: 3 "on_tick" (timer, PERSIST)'s callback runs: TIMEOUT happened
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 由 event_new 创建：新事件
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 变为未决 (pending)：调用了 event_add
 *   watch-zh: 事件循环第 1 轮开始
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 变为非未决 (non_pending)：回调期间调用了 event_del
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 已释放 (freed)：调用了 event_free
 */
#include <event2/event.h>
#include <stdio.h>

/* The callback's argument: its own event and how many ticks are left.
 * 回调函数的参数：它自己的事件，以及还剩几次。 */
struct ctx {
    struct event *self;
    int left;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct ctx *c = arg;
    (void)fd;
    (void)what;
    c->left -= 1;
    printf("tick: %d to go\n", c->left);
    if (c->left == 0)
        event_del(c->self); /* the last pending event goes: dispatch returns · 最后一个未决事件没了：dispatch 返回 */
}

int main(void)
{
    /* 1. The base: the loop, and everything registered with it.
     *    event_base：事件循环，以及注册在它上面的一切。 */
    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }

    /* 2. A new event: it exists, but nobody waits for it yet (新事件).
     *    新事件：它已经存在，但还没有人等待它。 */
    struct ctx c = { NULL, 3 };
    c.self = event_new(base, -1, EV_PERSIST, on_tick, &c);

    /* 3. Added, with a one-second interval: now it is pending (未决).
     *    加入，间隔一秒：现在它是未决的。 */
    struct timeval one_second = { 1, 0 };
    event_add(c.self, &one_second);

    /* 4. The loop: runs the callbacks until nothing is pending or active.
     *    事件循环：执行回调函数，直到没有未决或激活的事件。 */
    int r = event_base_dispatch(base);
    /* 1: it returned because no event was left (0: a callback asked it to stop; -1: an error).
     * 1：因为没有事件了才返回（0：某个回调函数要求它停止；-1：出错）。 */
    printf("dispatch returned %d%s\n", r, r == 1 ? " (no events left)" : "");

    /* 5. Free the event, then the base.
     *    先释放事件，再释放 event_base。 */
    event_free(c.self);
    event_base_free(base);
    return 0;
}
