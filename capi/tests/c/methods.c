/* Which backend a base gets: libevent's order (epoll, poll, select), less what the environment
 * (EVENT_NOEPOLL, EVENT_NOPOLL, EVENT_NOSELECT) and the configuration (avoided methods, required
 * features, EVENT_BASE_FLAG_IGNORE_ENV) rule out. */
#include <stdio.h>
#include <event2/event.h>

static void show(const char *what, struct event_base *base)
{
	if (base == NULL) {
		printf("%s: no base\n", what);
		return;
	}
	printf("%s: %s, features 0x%x\n", what, event_base_get_method(base),
	    event_base_get_features(base));
	event_base_free(base);
}

static struct event_config *avoiding(const char *a, const char *b, const char *c)
{
	struct event_config *cfg = event_config_new();
	const char *names[] = {a, b, c};
	for (int i = 0; i < 3; i++)
		if (names[i] != NULL)
			event_config_avoid_method(cfg, names[i]);
	return cfg;
}

static void with_config(const char *what, struct event_config *cfg)
{
	show(what, event_base_new_with_config(cfg));
	event_config_free(cfg);
}

int main(void)
{
	show("event_base_new", event_base_new());
	show("no config", event_base_new_with_config(NULL));
	with_config("avoiding epoll", avoiding("epoll", NULL, NULL));
	with_config("avoiding epoll and poll", avoiding("epoll", "poll", NULL));
	with_config("avoiding all three", avoiding("epoll", "poll", "select"));
	struct event_config *cfg = event_config_new();
	event_config_require_features(cfg, EV_FEATURE_FDS);
	with_config("requiring EV_FEATURE_FDS", cfg);
	cfg = event_config_new();
	event_config_require_features(cfg, EV_FEATURE_O1 | EV_FEATURE_ET);
	with_config("requiring EV_FEATURE_O1|EV_FEATURE_ET", cfg);
	cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	with_config("ignoring the environment", cfg);
	cfg = avoiding("poll", NULL, NULL);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	with_config("ignoring the environment, avoiding poll", cfg);
	return 0;
}
