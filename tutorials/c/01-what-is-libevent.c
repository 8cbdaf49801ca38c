/*
 * Lesson 1 · What libevent is: the shape of every libevent program.
 * 第 1 课 · libevent 是什么：每个 libevent 程序的骨架。
 *
 * A base, one persistent timer, the event loop; the timer's callback stops after three ticks.
 * 一个 event_base、一个持久定时器、一个事件循环；定时器的回调函数在第三次后停止。
 *
 *   gcc tutorials/c/01-what-is-libevent.c -o 01-what-is-libevent -levent
 *   ./01-what-is-libevent                                    # on libevent · 在 libevent 上运行
 *   cargo run --release -- run -- ./01-what-is-libevent      # watched by evscope · 用 evscope 观察
 *
 * evscope:
 *   peer: none
 *   output: tick 3
 *   watch: event 0 "on_tick" (timer, PERSIST) created by event_new
 *   watch: event 0 "on_tick" (timer, PERSIST) became pending: event_add
 *   watch: event 0 "on_tick" (timer, PERSIST) became active: its timeout expired
 *   watch: event 0 "on_tick" (timer, PERSIST) is running its callback
 *   watch: event 0 "on_tick" (timer, PERSIST) became pending: its callback returned
 *   watch-count: 2 "on_tick" (timer, PERSIST) became pending: its callback returned
 *   watch: event 0 "on_tick" (timer, PERSIST) became non-pending: event_del was called during its callback
 *   watch: event 0 "on_tick" (timer, PERSIST) was freed
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 变为未决 (pending)：调用了 event_add
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 变为激活 (active)：超时时间到了
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 进入回调执行中 (callback)
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 变为非未决 (non_pending)：回调期间调用了 event_del
 *   watch-zh: 事件 0 "on_tick" (定时器, PERSIST) 已释放 (freed)
 */
#include <event2/event.h>
#include <stdio.h>

/* What the callback needs between calls: its own event and a counter.
 * 回调函数在两次调用之间需要保存的东西：它自己的事件和一个计数器。 */
struct ticker {
    struct event *self;
    int ticks;
};

/* The callback: libevent calls it every second, from inside event_base_dispatch.
 * 回调函数：libevent 每秒调用它一次，在 event_base_dispatch 里面调用。 */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct ticker *t = arg;
    (void)fd;
    (void)what;
    t->ticks++;
    printf("tick %d\n", t->ticks);
    if (t->ticks == 3)
        event_del(t->self); /* nothing left to wait for: dispatch returns · 没有事件可等了：dispatch 返回 */
}

int main(void)
{
    /* The base: the event loop and everything registered with it.
     * event_base：事件循环，以及注册在它上面的一切。 */
    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }

    /* A pure timer (fd -1) that stays pending after each callback (EV_PERSIST).
     * 一个纯定时器（fd 为 -1），每次回调之后仍然未决（EV_PERSIST）。 */
    struct ticker t = { NULL, 0 };
    t.self = event_new(base, -1, EV_PERSIST, on_tick, &t);
    struct timeval one_second = { 1, 0 };
    event_add(t.self, &one_second);

    /* Runs until no event is pending or active; the callbacks run in here.
     * 一直运行到没有未决或激活的事件为止；回调函数都在这里面执行。 */
    event_base_dispatch(base);

    event_free(t.self);
    event_base_free(base);
    puts("done");
    return 0;
}
