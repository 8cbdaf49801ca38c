/* Calls evhttp_new, which evscope's libevent does not provide: linking against it fails, and a
 * program linked against the system's libevent stops at load time under `evscope run`. */
#include <event2/event.h>
#include <event2/http.h>

int main(void)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
