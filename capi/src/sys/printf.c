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

/* ---- libevent's log.c entry points ------------------------------------------------------- */

#include <errno.h>
#include <string.h>

/* log.rs: hands a finished message to the log callback, or prints "[sev] msg" on stderr. */
void evscope_log_message(int severity, const char *msg);
/* log.rs: the fatal path: the fatal callback, then exit(code) (abort for EVENT_ERR_ABORT_). */
void evscope_log_exit(int code) __attribute__((noreturn));

/* event_logv_: the message cut to 1023 bytes; ": errstr" appended when errstr is given and
 * there is room for more than the separator. */
static void logv(int severity, const char *errstr, const char *fmt, va_list ap)
{
	char buf[1024];
	if (fmt != NULL)
		evscope_evutil_vsnprintf(buf, sizeof buf, fmt, ap);
	else
		buf[0] = '\0';
	if (errstr != NULL) {
		size_t len = strlen(buf);
		if (len < sizeof buf - 3)
			evscope_evutil_snprintf(buf + len, sizeof buf - len, ": %s", errstr);
	}
	evscope_log_message(severity, buf);
}

#define LOG_DEBUG 0
#define LOG_MSG 1
#define LOG_WARN 2
#define LOG_ERR 3

HIDDEN void evscope_event_err(int eval, const char *fmt, ...)
{
	const char *errstr = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_ERR, errstr, fmt, ap);
	va_end(ap);
	evscope_log_exit(eval);
}

HIDDEN void evscope_event_warn(const char *fmt, ...)
{
	const char *errstr = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_WARN, errstr, fmt, ap);
	va_end(ap);
}

/* On Unix evutil_socket_geterror(sock) is errno; the socket is not consulted. */
HIDDEN void evscope_event_sock_err(int eval, int sock, const char *fmt, ...)
{
	(void)sock;
	const char *errstr = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_ERR, errstr, fmt, ap);
	va_end(ap);
	evscope_log_exit(eval);
}

HIDDEN void evscope_event_sock_warn(int sock, const char *fmt, ...)
{
	(void)sock;
	const char *errstr = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_WARN, errstr, fmt, ap);
	va_end(ap);
}

HIDDEN void evscope_event_errx(int eval, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	evscope_log_exit(eval);
}

HIDDEN void evscope_event_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_WARN, NULL, fmt, ap);
	va_end(ap);
}

HIDDEN void evscope_event_msgx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logv(LOG_MSG, NULL, fmt, ap);
	va_end(ap);
}
