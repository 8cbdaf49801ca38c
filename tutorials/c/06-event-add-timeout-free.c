/*
 * Lesson 6 · event_add with a timeout, event_del and event_free.
 * 第 6 课 · 带超时的 event_add、event_del 与 event_free。
 *
 * Three uses of event_add's timeout: an fd event that gives up after 2 s (nothing ever arrives on
 * its socket), a one-shot alarm after 0.5 s, and a reminder due after 8 s that the alarm cancels
 * with event_del, so it never rings. Then event_free releases all three.
 * event_add 超时参数的三种用法：一个 fd 事件，2 秒后放弃（它的套接字上什么也不会来）；一个 0.5 秒后响的一次性
 * 闹钟；一个 8 秒后到期的提醒，被闹钟用 event_del 取消，所以永远不会响。最后 event_free 释放这三个事件。
 *
 *   gcc tutorials/c/06-event-add-timeout-free.c -o 06-event-add-timeout-free -levent
 *   cargo run --release -- run -- ./06-event-add-timeout-free
 *
 * evscope:
 *   peer: none
 *   output: alarm: EV_TIMEOUT after 0.5 s; cancelling the reminder
 *   output: watch: nothing arrived within 2 s (EV_TIMEOUT)
 *   output: the reminder never rang
 *   watch: READ) became pending: event_add was called
 *   watch: event 1 "on_alarm" (timer) became pending: event_add was called
 *   watch: event 2 "on_reminder" (timer) became pending: event_add was called
 *   watch: event 1 "on_alarm" (timer) became active: its timeout expired
 *   watch: event 1 "on_alarm" (timer) is running its callback
 *   watch: event 2 "on_reminder" (timer) became non-pending: event_del was called
 *   watch: event 1 "on_alarm" (timer) became non-pending: its callback returned (not persistent
 *   watch: event 0 "on_watch" (fd
 *   watch: READ)'s callback runs: TIMEOUT happened
 *   watch: READ) became non-pending: its callback returned (not persistent
 *   watch: event 1 "on_alarm" (timer) was freed: event_free was called
 *   watch: event 2 "on_reminder" (timer) was freed: event_free was called
 *   watch-count: 0 "on_reminder" (timer) became active
 *   watch-count: 0 READ) became active: fd
 *   watch-zh: 事件 1 "on_alarm" (定时器) 变为激活 (active)：超时时间到了
 *   watch-zh: 事件 2 "on_reminder" (定时器) 变为非未决 (non_pending)：调用了 event_del
 *   watch-zh: READ) 的回调函数开始执行：发生了 TIMEOUT
 *   watch-zh: 事件 2 "on_reminder" (定时器) 已释放 (freed)：调用了 event_free
 */
#include <event2/event.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static struct event *reminder; /* the alarm cancels it · 闹钟会取消它 */

/* An fd event with a timeout: whichever comes first, data or the deadline.
 * 带超时的 fd 事件：数据和期限，哪个先到就因为哪个触发。 */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    if (what & EV_TIMEOUT)
        puts("watch: nothing arrived within 2 s (EV_TIMEOUT)");
    else
        puts("watch: data arrived (EV_READ)");
}

/* A pure timer: it can only fire by timeout. It deletes the reminder: event_del.
 * 纯定时器：只能因为超时而触发。它删除提醒：event_del。 */
static void on_alarm(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)arg;
    printf("alarm: %s after 0.5 s; cancelling the reminder\n",
           (what & EV_TIMEOUT) ? "EV_TIMEOUT" : "?");
    event_del(reminder); /* non-pending now; event_add could bring it back · 现在非未决；event_add 可以让它重新未决 */
}

static void on_reminder(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    puts("reminder: ring!"); /* never printed · 永远不会打印 */
}

int main(void)
{
    struct event_base *base = event_base_new();
    int pair[2];
    if (base == NULL || evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
        perror("setup");
        return 1;
    }
    evutil_make_socket_nonblocking(pair[0]);

    /* Nobody writes to pair[1]: the watch can only time out.
     * 没有人向 pair[1] 写数据：watch 只能超时。 */
    struct timeval two_seconds = { 2, 0 }, half_second = { 0, 500000 }, eight_seconds = { 8, 0 };
    struct event *watch = event_new(base, pair[0], EV_READ, on_watch, NULL);
    event_add(watch, &two_seconds);

    struct event *alarm = evtimer_new(base, on_alarm, NULL);
    event_add(alarm, &half_second); /* also: evtimer_add(alarm, &half_second) · 也可以写 evtimer_add */

    reminder = evtimer_new(base, on_reminder, NULL);
    event_add(reminder, &eight_seconds);

    /* Returns after 2 s, when the watch has timed out: nothing is pending any more.
     * 2 秒后返回：watch 超时之后，再没有未决的事件了。 */
    event_base_dispatch(base);
    puts("the reminder never rang");

    /* event_free: deleted and released. The pointers must not be used again.
     * event_free：删除并释放。之后不能再使用这些指针。 */
    event_free(watch);
    event_free(alarm);
    event_free(reminder);
    evutil_closesocket(pair[0]);
    evutil_closesocket(pair[1]);
    event_base_free(base);
    return 0;
}
