/*
 * Lesson 7 · Pending and non-pending (未决 / 非未决): the life of an event.
 * 第 7 课 · 未决与非未决：一个事件的一生。
 *
 * A one-shot alarm and a persistent ticker, asked "are you pending?" with event_pending at every
 * step: before event_add, after it, inside the alarm's own callback (a one-shot is no longer
 * pending there), after dispatch, and after an event_add followed by event_del.
 * 一个一次性闹钟和一个持久定时器，每一步都用 event_pending 问一句“你是未决的吗？”：event_add 之前、之后、
 * 闹钟自己的回调函数里（一次性事件在那里已经不是未决的）、dispatch 之后，以及先 event_add 再 event_del 之后。
 *
 *   gcc tutorials/c/07-pending-non-pending.c -o 07-pending-non-pending -levent
 *   cargo run --release -- run --step -- ./07-pending-non-pending
 *
 * evscope:
 *   peer: none
 *   output: before event_add: alarm not pending
 *   output: after event_add: alarm pending (timeout armed)
 *   output: in its own callback: alarm not pending
 *   output: in its own callback: ticker pending (timeout armed)
 *   output: after dispatch: alarm not pending
 *   output: after event_add: alarm pending (timeout armed)
 *   output: after event_del: alarm not pending
 *   watch: event 0 "on_alarm" (timer) created by event_new: new
 *   watch: event 0 "on_alarm" (timer) became pending: event_add was called
 *   watch: event 1 "on_ticker" (timer, PERSIST) became pending: event_add was called
 *   watch: event 1 "on_ticker" (timer, PERSIST) became active: its timeout expired
 *   watch: event 1 "on_ticker" (timer, PERSIST) is running its callback
 *   watch: event 1 "on_ticker" (timer, PERSIST) became pending: its callback returned (persistent: it waits again)
 *   watch: event 0 "on_alarm" (timer) became active: its timeout expired
 *   watch: event 0 "on_alarm" (timer) is running its callback: the loop calls its callback
 *   watch: event 0 "on_alarm" (timer) became non-pending: its callback returned (not persistent
 *   watch: event 1 "on_ticker" (timer, PERSIST) became non-pending: event_del was called during its callback
 *   watch: event 0 "on_alarm" (timer) became pending: event_add was called
 *   watch: event 0 "on_alarm" (timer) became non-pending: event_del was called
 *   watch: event 0 "on_alarm" (timer) was freed: event_free was called
 *   watch-count: 2 "on_ticker" (timer, PERSIST) became pending: its callback returned
 *   watch-zh: 事件 0 "on_alarm" (定时器) 由 event_new 创建：新事件
 *   watch-zh: 事件 0 "on_alarm" (定时器) 变为未决 (pending)：调用了 event_add
 *   watch-zh: 事件 0 "on_alarm" (定时器) 变为激活 (active)：超时时间到了
 *   watch-zh: 事件 0 "on_alarm" (定时器) 进入回调执行中 (callback)
 *   watch-zh: 事件 0 "on_alarm" (定时器) 变为非未决 (non_pending)：回调函数返回
 *   watch-zh: 事件 0 "on_alarm" (定时器) 已释放 (freed)
 */
#include <event2/event.h>
#include <stdio.h>

static struct event *alarm_ev, *ticker_ev;
static int ticks;

/* libevent has no "state" call; event_pending answers "pending for what?".
 * libevent 没有查询状态的函数；event_pending 回答的是“为了什么而未决？”。 */
static void show(const char *when, const char *name, struct event *ev)
{
    int flags = event_pending(ev, EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL, NULL);
    printf("%s: %s %s\n", when, name,
           (flags & EV_TIMEOUT) ? "pending (timeout armed)" : "not pending");
}

/* A one-shot: by the time its callback runs it is no longer pending (非未决).
 * 一次性事件：它的回调函数执行时，它已经不是未决的了（非未决）。 */
static void on_alarm(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    show("in its own callback", "alarm", alarm_ev);
    show("in its own callback", "ticker", ticker_ev);
}

/* Persistent: pending again as soon as its callback returns, until event_del.
 * 持久事件：回调函数一返回就又是未决的，直到 event_del。 */
static void on_ticker(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    ticks++;
    printf("tick %d\n", ticks);
    if (ticks == 3)
        event_del(ticker_ev);
}

int main(void)
{
    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }
    struct timeval alarm_at = { 0, 600000 }, every = { 0, 250000 };

    alarm_ev = evtimer_new(base, on_alarm, NULL);                     /* new · 新事件 */
    show("before event_add", "alarm", alarm_ev);
    event_add(alarm_ev, &alarm_at);                                   /* pending · 未决 */
    show("after event_add", "alarm", alarm_ev);

    ticker_ev = event_new(base, -1, EV_PERSIST, on_ticker, NULL);
    event_add(ticker_ev, &every);

    /* Ticks at 0.25 s, 0.5 s, 0.75 s; the alarm fires at 0.6 s: active, callback, non-pending.
     * 在 0.25、0.5、0.75 秒各 tick 一次；闹钟在 0.6 秒触发：激活、回调执行中、非未决。 */
    event_base_dispatch(base);
    show("after dispatch", "alarm", alarm_ev);                        /* non-pending · 非未决 */

    event_add(alarm_ev, &alarm_at);                                   /* pending again · 又是未决 */
    show("after event_add", "alarm", alarm_ev);
    event_del(alarm_ev);                                              /* non-pending · 非未决 */
    show("after event_del", "alarm", alarm_ev);

    event_free(alarm_ev);                                             /* freed · 已释放 */
    event_free(ticker_ev);
    event_base_free(base);
    return 0;
}
