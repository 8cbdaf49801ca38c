/* The variadic entry points of libevent's API (evbuffer_add_printf, evutil_snprintf). Rust
 * cannot define a C variadic function on stable, so they are written here; each formats with
 * vsnprintf and hands the bytes to the Rust side. The names are hidden: the exported symbols
 * are Rust trampolines that jump here (see printf.rs). */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

struct evbuffer;
/* buffer.rs: puts the formatted bytes where libevent's evbuffer_add_vprintf puts them. */
int evscope_evbuffer_add_printed(struct evbuffer *buf, const void *data, size_t len);

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN int evscope_evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	char small[512];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0) {
		va_end(again);
		return -1;
	}
	int r;
	if ((size_t)n < sizeof small) {
		r = evscope_evbuffer_add_printed(buf, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (big == NULL) {
			va_end(again);
			return -1;
		}
		vsnprintf(big, (size_t)n + 1, fmt, again);
		r = evscope_evbuffer_add_printed(buf, big, (size_t)n);
		free(big);
	}
	va_end(again);
	return r == 0 ? n : -1;
}

HIDDEN int evscope_evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = evscope_evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

/* libevent's evutil_vsnprintf: always NUL-terminates, returns the length it wanted. */
HIDDEN int evscope_evutil_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	int r = vsnprintf(buf, len, fmt, ap);
	if (len > 0)
		buf[len - 1] = '\0';
	return r;
}

HIDDEN int evscope_evutil_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = evscope_evutil_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return r;
}
