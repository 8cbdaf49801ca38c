/* event_config_set_max_dispatch_interval: with max_callbacks=1 from priority 0 on, the loop
 * checks for new events after each callback, so an fd made readable by the first of two
 * low-priority callbacks runs (at priority 0) before the second; by default (and with the
 * limit from a priority below the queue only) the whole queue runs first. A zero max_interval
 * does the same as one callback. event_config_set_num_cpus_hint. */
#include "common.h"

static int sv[2];
static struct event_base *base;
static struct event *r, *a1, *a2;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    printf("  cb %s what=%s\n", ptr_name(arg), evflags(what));
    if (arg == a1 && write(sv[1], "x", 1) != 1)
        exit(1);
    if (arg == r) {
        char c;
        if (read(sv[0], &c, 1) != 1)
            exit(1);
    }
}

static void round_on(const char *label, struct event_config *cfg)
{
    printf("%s:\n", label);
    base = cfg ? event_base_new_with_config(cfg) : event_base_new();
    event_base_priority_init(base, 3);
    make_socketpair(sv);
    r = event_new(base, sv[0], EV_READ, cb, event_self_cbarg());
    a1 = event_new(base, -1, 0, cb, event_self_cbarg());
    a2 = event_new(base, -1, 0, cb, event_self_cbarg());
    name_ptr(r, "r");
    name_ptr(a1, "a1");
    name_ptr(a2, "a2");
    event_priority_set(r, 0);
    event_priority_set(a1, 2);
    event_priority_set(a2, 2);
    event_add(r, NULL);
    event_active(a1, EV_TIMEOUT, 0);
    event_active(a2, EV_TIMEOUT, 0);
    printf("  dispatch = %d\n", event_base_dispatch(base));
    event_free(r);
    event_free(a1);
    event_free(a2);
    event_base_free(base);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    start();
    event_base_free(new_base());
    round_on("no config", NULL);

    struct event_config *cfg = event_config_new();
    round_on("a config without limits", cfg);
    printf("set_max_dispatch_interval(NULL, 1, 0) = %d\n",
           event_config_set_max_dispatch_interval(cfg, NULL, 1, 0));
    round_on("one callback from priority 0 on", cfg);
    event_config_free(cfg);

    cfg = event_config_new();
    printf("set_max_dispatch_interval(NULL, 1, 2) = %d\n",
           event_config_set_max_dispatch_interval(cfg, NULL, 1, 2));
    round_on("one callback from priority 2 on", cfg);
    event_config_free(cfg);

    cfg = event_config_new();
    printf("set_max_dispatch_interval(NULL, 1, 3) = %d\n",
           event_config_set_max_dispatch_interval(cfg, NULL, 1, 3));
    round_on("one callback from priority 3 on (none here)", cfg);
    event_config_free(cfg);

    cfg = event_config_new();
    struct timeval zero = {0, 0};
    printf("set_max_dispatch_interval({0,0}, -1, -5) = %d\n",
           event_config_set_max_dispatch_interval(cfg, &zero, -1, -5));
    round_on("a zero interval", cfg);
    event_config_free(cfg);

    cfg = event_config_new();
    struct timeval minute = {60, 0};
    printf("set_max_dispatch_interval({60,0}, -1, 0) = %d\n",
           event_config_set_max_dispatch_interval(cfg, &minute, -1, 0));
    round_on("a minute", cfg);
    printf("set_num_cpus_hint(cfg, 4) = %d\n", event_config_set_num_cpus_hint(cfg, 4));
    printf("set_num_cpus_hint(NULL, 4) = %d\n", event_config_set_num_cpus_hint(NULL, 4));
    round_on("with a cpus hint", cfg);
    event_config_free(cfg);
    printf("done\n");
    return 0;
}
