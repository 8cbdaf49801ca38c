//! The exported variadic functions: one-instruction trampolines that jump to the C definitions
//! in `printf.c`, leaving the caller's registers and stack (the variadic arguments) untouched.

extern "C" {
    fn evscope_evbuffer_add_printf();
    fn evscope_evbuffer_add_vprintf();
    fn evscope_evutil_snprintf();
    fn evscope_evutil_vsnprintf();
}

macro_rules! trampoline {
    ($(#[$doc:meta])* $name:ident => $target:ident) => {
        $(#[$doc])*
        #[unsafe(naked)]
        #[no_mangle]
        pub extern "C" fn $name() {
            // SAFETY: a tail jump to a C function with the same signature; nothing is touched
            // before it, so the callee sees the caller's arguments exactly.
            #[cfg(target_arch = "x86_64")]
            core::arch::naked_asm!("jmp {f}", f = sym $target);
            #[cfg(target_arch = "aarch64")]
            core::arch::naked_asm!("b {f}", f = sym $target);
        }
    };
}

trampoline!(
    /// libevent's `int evbuffer_add_printf(struct evbuffer *, const char *fmt, ...)`.
    evbuffer_add_printf => evscope_evbuffer_add_printf
);
trampoline!(
    /// libevent's `int evbuffer_add_vprintf(struct evbuffer *, const char *fmt, va_list)`.
    evbuffer_add_vprintf => evscope_evbuffer_add_vprintf
);
trampoline!(
    /// libevent's `int evutil_snprintf(char *, size_t, const char *fmt, ...)`.
    evutil_snprintf => evscope_evutil_snprintf
);
trampoline!(
    /// libevent's `int evutil_vsnprintf(char *, size_t, const char *fmt, va_list)`.
    evutil_vsnprintf => evscope_evutil_vsnprintf
);

extern "C" {
    fn evscope_event_err();
    fn evscope_event_errx();
    fn evscope_event_warn();
    fn evscope_event_warnx();
    fn evscope_event_msgx();
    fn evscope_event_sock_err();
    fn evscope_event_sock_warn();
}

trampoline!(
    /// libevent's `void event_err(int eval, const char *fmt, ...)`: logs the message with
    /// `": strerror(errno)"` at `EVENT_LOG_ERR`, then the fatal path with `eval`.
    event_err => evscope_event_err
);
trampoline!(
    /// libevent's `void event_errx(int eval, const char *fmt, ...)`: logs at `EVENT_LOG_ERR`,
    /// then the fatal path with `eval`.
    event_errx => evscope_event_errx
);
trampoline!(
    /// libevent's `void event_warn(const char *fmt, ...)`: `EVENT_LOG_WARN`, with
    /// `": strerror(errno)"`.
    event_warn => evscope_event_warn
);
trampoline!(
    /// libevent's `void event_warnx(const char *fmt, ...)`: `EVENT_LOG_WARN`.
    event_warnx => evscope_event_warnx
);
trampoline!(
    /// libevent's `void event_msgx(const char *fmt, ...)`: `EVENT_LOG_MSG`.
    event_msgx => evscope_event_msgx
);
trampoline!(
    /// libevent's `void event_sock_err(int eval, evutil_socket_t sock, const char *fmt, ...)`:
    /// as `event_err` (on Unix the socket's error is `errno`).
    event_sock_err => evscope_event_sock_err
);
trampoline!(
    /// libevent's `void event_sock_warn(evutil_socket_t sock, const char *fmt, ...)`: as
    /// `event_warn` (on Unix the socket's error is `errno`).
    event_sock_warn => evscope_event_sock_warn
);
