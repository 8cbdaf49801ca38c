/*
 * Lesson 2 · Building and installing: is the library there, which one, and which backend?
 * 第 2 课 · 编译与安装：库装好了吗？用的是哪一个库、哪一个后端？
 *
 * It prints the libevent version it was loaded with, the backends that libevent supports, the one
 * its base uses, and then runs one timer to prove the event loop works.
 * 它打印运行时加载的 libevent 版本、libevent 支持的后端、event_base 实际使用的后端，然后运行一个定时器，
 * 证明事件循环能工作。
 *
 *   gcc tutorials/c/02-build-and-install.c -o 02-build-and-install -levent
 *   gcc tutorials/c/02-build-and-install.c -o 02-build-and-install $(pkg-config --cflags --libs libevent)
 *   ./02-build-and-install                                   # libevent 2.1.12-stable
 *   cargo run --release -- run -- ./02-build-and-install     # libevent 2.1.12-evscope
 *
 * evscope:
 *   peer: none
 *   same-output: no
 *   output: libevent 2.1.12-
 *   output: supported backend: epoll
 *   output: this base uses epoll
 *   output: the event loop works
 *   watch: event 0 "on_first_timeout" (timer) created by event_new
 *   watch: event 0 "on_first_timeout" (timer) became pending: event_add was called
 *   watch: the loop waits in epoll
 *   watch: event 0 "on_first_timeout" (timer) became active: its timeout expired
 *   watch: event 0 "on_first_timeout" (timer)'s callback runs: TIMEOUT happened
 *   watch: event 0 "on_first_timeout" (timer) became non-pending
 *   watch: event 0 "on_first_timeout" (timer) was freed: event_free was called
 *   watch-zh: 事件 0 "on_first_timeout" (定时器) 变为未决 (pending)：调用了 event_add
 *   watch-zh: 事件循环在 epoll 中等待
 *   watch-zh: 事件 0 "on_first_timeout" (定时器) 变为激活 (active)：超时时间到了
 *   watch-zh: 事件 0 "on_first_timeout" (定时器) 的回调函数开始执行：发生了 TIMEOUT
 *   watch-zh: 事件 0 "on_first_timeout" (定时器) 变为非未决 (non_pending)
 */
#include <event2/event.h>
#include <stdio.h>

/* The first callback of a fresh install: if it runs, the loop works.
 * 新装好的库的第一个回调函数：它能执行，说明事件循环能工作。 */
static void on_first_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("the event loop works: %s after half a second\n",
           (what & EV_TIMEOUT) ? "EV_TIMEOUT" : "something else");
}

int main(void)
{
    /* The library the loader found at run time (not the headers you compiled with).
     * 运行时加载器找到的库（而不是编译时用的头文件）。 */
    printf("libevent %s\n", event_get_version());

    /* Every backend this libevent was built with, best first.
     * 这个 libevent 编译进来的所有后端，最好的排在最前面。 */
    const char **methods = event_get_supported_methods();
    for (int i = 0; methods[i] != NULL; i++)
        printf("supported backend: %s\n", methods[i]);

    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }
    /* The backend the base chose: epoll on Linux.
     * event_base 选中的后端：在 Linux 上是 epoll。 */
    printf("this base uses %s\n", event_base_get_method(base));

    /* A one-shot timer (evtimer_new: no fd, no EV_PERSIST) half a second from now.
     * 一个一次性定时器（evtimer_new：没有 fd，没有 EV_PERSIST），半秒后到期。 */
    struct event *first = evtimer_new(base, on_first_timeout, NULL);
    struct timeval half_second = { 0, 500000 };
    evtimer_add(first, &half_second);
    event_base_dispatch(base);

    event_free(first);
    event_base_free(base);
    return 0;
}
