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
