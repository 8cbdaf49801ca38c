//! The pointers a C program passes into the API's calls, as parameter types.
//!
//! Each type is `#[repr(transparent)]` over the raw pointer its C declaration names, so an
//! exported `extern "C" fn` takes it where the header says `const void *`, `char *`,
//! `struct timeval *`…, and C passes the pointer unchanged. Rust code cannot make one from a
//! raw pointer: the fields are private and there is no such constructor, so a value comes only
//! from C, through the ABI, with the promise libevent's documentation asks of the caller —
//! written on each type as its contract. That promise is what makes the accessors (`get`,
//! `read`, `write`…) safe to call: they check for NULL, and rely on the contract for the rest.
//! Where Rust does make one, it is from a reference (`From<&CStr>`), which is sound as is.
//!
//! The lifetime `'a` is the C call's: an exported function's parameter `CStrPtr<'_>` cannot be
//! kept past the call, and what its accessors lend lives no longer. An accessor that takes a
//! count or a length (`InSlice::get(n)`, `SockaddrPtr::read(len)`) is given the one C passed
//! beside the pointer in the same call — the one pairing the exported functions keep by hand,
//! each within one signature.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::raw::{c_char, c_int};
use std::time::Duration;

use crate::buffer_iovec::evbuffer_iovec;
use crate::types::event;

/// `const T *`: one `T` C passes for the call to read (`const struct timeval *tv`, `const
/// struct evbuffer_ptr *`, `const struct evthread_lock_callbacks *`).
///
/// Contract (the C caller's, as libevent's API asks): NULL, or a pointer to a valid,
/// initialized `T` (any alignment) that stays readable and unchanged for the call.
#[repr(transparent)]
pub(crate) struct In<'a, T>(*const T, PhantomData<&'a T>);

impl<T> Clone for In<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for In<'_, T> {}

impl<'a, T: Copy> In<'a, T> {
    /// NULL, as C may pass it (`evbuffer_search` is `evbuffer_search_range` with no end).
    pub(crate) fn null() -> Self {
        In(std::ptr::null(), PhantomData)
    }

    /// A copy of the `T` (None for NULL).
    pub(crate) fn read(self) -> Option<T> {
        if self.0.is_null() {
            return None;
        }
        // SAFETY: non-null, and the type's contract: a valid `T` readable for the call; the
        // read makes no reference and does not need alignment.
        Some(unsafe { self.0.read_unaligned() })
    }

    /// Whether C passed NULL.
    pub(crate) fn is_null(self) -> bool {
        self.0.is_null()
    }
}

impl In<'_, libc::timeval> {
    /// The `struct timeval` as a duration (negative parts count as zero); None for NULL.
    pub(crate) fn duration(self) -> Option<Duration> {
        let tv = self.read()?;
        let secs = tv.tv_sec.max(0) as u64;
        let micros = tv.tv_usec.max(0) as u64;
        Some(Duration::from_secs(secs) + Duration::from_micros(micros))
    }
}

impl<'a, T> From<&'a T> for In<'a, T> {
    /// A `T` Rust holds, for a call that takes one from C.
    fn from(v: &'a T) -> In<'a, T> {
        In(v, PhantomData)
    }
}

/// `T *` used as an out-parameter: where the call stores a `T` for C (`struct timeval *tv`,
/// `size_t *n_read_out`, `int sv[2]` as `Out<[c_int; 2]>`).
///
/// Contract: NULL, or a pointer to room for one `T` (any alignment), writable during the call
/// and not read by anyone else during it.
#[repr(transparent)]
pub(crate) struct Out<'a, T>(*mut T, PhantomData<&'a mut T>);

impl<T> Clone for Out<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Out<'_, T> {}

impl<T> Out<'_, T> {
    /// NULL, as C may pass it (`evbuffer_readline` is `evbuffer_readln` with no length out).
    pub(crate) fn null() -> Self {
        Out(std::ptr::null_mut(), PhantomData)
    }

    /// Stores `value` there; false when C passed NULL.
    pub(crate) fn write(self, value: T) -> bool {
        if self.0.is_null() {
            return false;
        }
        // SAFETY: non-null, and the type's contract: room for a `T`, writable for the call;
        // the store makes no reference and does not need alignment.
        unsafe { self.0.write_unaligned(value) };
        true
    }

    /// Whether C passed NULL.
    pub(crate) fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The pointer as C passed it, to hand on to a C function with the same contract.
    pub(crate) fn as_ptr(self) -> *mut T {
        self.0
    }
}

/// `T *` that the call reads and then writes (`int *outlen` of `evutil_parse_sockaddr_port`,
/// `struct evbuffer_ptr *pos` of `evbuffer_ptr_set`).
///
/// Contract: NULL, or a pointer to a valid, initialized `T` (any alignment), readable and
/// writable during the call and touched by no one else during it.
#[repr(transparent)]
pub(crate) struct InOut<'a, T>(*mut T, PhantomData<&'a mut T>);

impl<T> Clone for InOut<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for InOut<'_, T> {}

impl<'a, T: Copy> InOut<'a, T> {
    /// A copy of the `T` (None for NULL).
    pub(crate) fn read(self) -> Option<T> {
        In(self.0.cast_const(), PhantomData).read()
    }

    /// Stores `value` there; false when C passed NULL.
    pub(crate) fn write(self, value: T) -> bool {
        Out(self.0, PhantomData).write(value)
    }
}

/// `const T *` with a count: the array (or, as `InSlice<u8>`, the bytes: `const void *data,
/// size_t len`) C passes for the call to read.
///
/// Contract: when the count the call is given is not 0, NULL or a pointer to that many valid,
/// initialized `T`s, aligned for `T`, readable and unchanged for the call.
#[repr(transparent)]
pub(crate) struct InSlice<'a, T>(*const T, PhantomData<&'a [T]>);

impl<T> Clone for InSlice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for InSlice<'_, T> {}

impl<'a, T> InSlice<'a, T> {
    /// The `n` `T`s (None for a NULL or misaligned pointer with a count, or a count no slice
    /// can hold).
    pub(crate) fn get(self, n: usize) -> Option<&'a [T]> {
        if n == 0 {
            return Some(&[]);
        }
        if self.0.is_null() || !self.0.is_aligned() || too_many::<T>(n) {
            return None;
        }
        // SAFETY: non-null and aligned, and the type's contract: `n` valid `T`s readable and
        // unchanged for the call, which `'a` does not outlive.
        Some(unsafe { std::slice::from_raw_parts(self.0, n) })
    }

    /// The pointer as C passed it (an address to compare, never read through).
    pub(crate) fn as_ptr(self) -> *const T {
        self.0
    }
}

impl<'a> InSlice<'a, evbuffer_iovec> {
    /// The bytes each of the `n` extents points to (`evbuffer_add_iovec`): None for a NULL
    /// array with a count, Some(None) when an extent's `iov_base` is NULL with a length.
    ///
    /// The contract extends to the extents: each `iov_base` points to `iov_len` bytes readable
    /// and unchanged for the call, as `evbuffer_add_iovec` requires.
    pub(crate) fn extents(self, n: usize) -> Option<Option<Vec<&'a [u8]>>> {
        let vecs = self.get(n)?;
        Some(
            vecs.iter()
                .map(|v| InSlice::<u8>(v.iov_base.cast_const().cast(), PhantomData).get(v.iov_len))
                .collect(),
        )
    }
}

/// `T *` with a count: the array (or, as `OutSlice<u8>`, the bytes: `void *data, size_t len`)
/// C passes for the call to fill. Not `Copy`: each value lends its memory once.
///
/// Contract: when the count the call is given is not 0, NULL or a pointer to that many `T`s,
/// aligned for `T`, writable during the call and touched by no one else during it. C may pass
/// memory it never initialized (a stack array): `T` is plain data (bytes, `evbuffer_iovec`)
/// for which any bits are a value, and the calls write the slice before they read it.
#[repr(transparent)]
pub(crate) struct OutSlice<'a, T>(*mut T, PhantomData<&'a mut [T]>);

impl<'a, T> OutSlice<'a, T> {
    /// The `n` writable `T`s (None for a NULL or misaligned pointer with a count, or a count
    /// no slice can hold).
    pub(crate) fn get_mut(self, n: usize) -> Option<&'a mut [T]> {
        if n == 0 {
            return Some(&mut []);
        }
        if self.0.is_null() || !self.0.is_aligned() || too_many::<T>(n) {
            return None;
        }
        // SAFETY: non-null and aligned, and the type's contract: `n` `T`s this call alone may
        // touch, writable for the call, which `'a` does not outlive; `self` is consumed, so
        // the memory is lent once.
        Some(unsafe { std::slice::from_raw_parts_mut(self.0, n) })
    }

    /// The pointer as C passed it (what a call like `evutil_inet_ntop` returns).
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.0
    }
}

/// More `T`s than a slice can hold.
fn too_many<T>(n: usize) -> bool {
    n > isize::MAX as usize / std::mem::size_of::<T>().max(1)
}

/// `const char *`: a NUL-terminated string C passes for the call.
///
/// Contract: NULL, or a pointer to a NUL-terminated string readable and unchanged for the
/// call.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct CStrPtr<'a>(*const c_char, PhantomData<&'a CStr>);

impl<'a> CStrPtr<'a> {
    /// The string (None for NULL).
    pub(crate) fn get(self) -> Option<&'a CStr> {
        if self.0.is_null() {
            return None;
        }
        // SAFETY: non-null, and the type's contract: a NUL-terminated string, readable and
        // unchanged for the call, which `'a` does not outlive.
        Some(unsafe { CStr::from_ptr(self.0) })
    }

    /// The pointer as C passed it, to hand on to a C function with the same contract.
    pub(crate) fn as_ptr(self) -> *const c_char {
        self.0
    }
}

impl<'a> From<&'a CStr> for CStrPtr<'a> {
    /// A string Rust holds, for a call that takes one from C.
    fn from(s: &'a CStr) -> CStrPtr<'a> {
        CStrPtr(s.as_ptr(), PhantomData)
    }
}

/// `const struct sockaddr *`, with or without a length (`evconnlistener_new_bind`,
/// `bufferevent_socket_connect`, `evutil_sockaddr_cmp`).
///
/// Contract: NULL, or a pointer to a `struct sockaddr` readable and unchanged for the call:
/// the length given with it, or, without one, the whole struct its family names.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct SockaddrPtr<'a>(*const libc::sockaddr, PhantomData<&'a libc::sockaddr>);

impl<'a> SockaddrPtr<'a> {
    /// An address Rust code was handed by C (a `getaddrinfo` list's `ai_addr`).
    ///
    /// # Safety
    /// `p` must meet the type's contract for `'a`: NULL, or a `struct sockaddr` readable and
    /// unchanged for `'a`, as long as the length later given to [`SockaddrPtr::read`] (or the
    /// whole struct of its family).
    pub(crate) unsafe fn from_raw(p: *const libc::sockaddr) -> SockaddrPtr<'a> {
        SockaddrPtr(p, PhantomData)
    }

    /// The IPv4 or IPv6 address in the first `len` bytes (None for NULL, a length too short
    /// for its family, or another family).
    pub(crate) fn read(self, len: c_int) -> Option<SocketAddr> {
        let len = usize::try_from(len).ok()?;
        if self.0.is_null() || len < std::mem::size_of::<libc::sa_family_t>() {
            return None;
        }
        match c_int::from(self.family()?) {
            libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
                let sin = self.v4()?;
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
                let sin6 = self.v6()?;
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// The family field (None for NULL).
    pub(crate) fn family(self) -> Option<libc::sa_family_t> {
        In::<libc::sa_family_t>(self.0.cast(), PhantomData).read()
    }

    /// The whole `struct sockaddr_in` (None for NULL): only for an `AF_INET` address, whose
    /// struct the contract covers.
    pub(crate) fn v4(self) -> Option<libc::sockaddr_in> {
        In::<libc::sockaddr_in>(self.0.cast(), PhantomData).read()
    }

    /// The whole `struct sockaddr_in6` (None for NULL): only for an `AF_INET6` address.
    pub(crate) fn v6(self) -> Option<libc::sockaddr_in6> {
        In::<libc::sockaddr_in6>(self.0.cast(), PhantomData).read()
    }
}

/// `struct sockaddr *out` with `int *outlen` (`evutil_parse_sockaddr_port`): room for an
/// address, its size in the int.
///
/// Contract: NULL, or a pointer to `*outlen` bytes writable during the call and touched by no
/// one else during it.
#[repr(transparent)]
pub(crate) struct SockaddrOut<'a>(*mut libc::sockaddr, PhantomData<&'a mut libc::sockaddr>);

impl<'a> SockaddrOut<'a> {
    /// Writes `addr` into the `*len` bytes, setting `*len` to its size (libevent's
    /// `evutil_parse_sockaddr_port` contract). False when either is NULL or it does not fit.
    pub(crate) fn write(self, addr: &SocketAddr, len: InOut<'a, c_int>) -> bool {
        if self.0.is_null() {
            return false;
        }
        let Some(room) = len.read() else {
            return false;
        };
        let (storage, size) = super::mem::sockaddr_of(addr);
        if room < size {
            return false;
        }
        // SAFETY: `out` has `room` >= `size` writable bytes (the type's contract), and
        // `storage` holds `size` initialized bytes, in memory of our own.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&storage as *const libc::sockaddr_storage).cast::<u8>(),
                self.0.cast::<u8>(),
                size as usize,
            );
        }
        len.write(size);
        true
    }
}

/// `struct event *ev` of `event_assign` / `event_set`: the program's own memory for an event,
/// written while the event is registered. Its address is also the event's key.
///
/// Contract (libevent's for `event_assign`): NULL, or a pointer to room for a `struct event`,
/// aligned for it, that the program keeps alive and does not write while the event is pending
/// or active and during each call it makes on the event — the times the library writes it.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct ProgramEvent(*mut event);

impl ProgramEvent {
    /// The pointer as C passed it (see the contract for when it may be written).
    pub(super) fn as_ptr(self) -> *mut event {
        self.0
    }

    /// The address: the event's key.
    pub(crate) fn addr(self) -> usize {
        self.0 as usize
    }
}

/// `FILE *`: a C stdio stream (`event_base_dump_events`).
///
/// Contract: NULL, or the program's open stream, usable during the call.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct CFile<'a>(*mut libc::FILE, PhantomData<&'a mut libc::FILE>);

impl CFile<'_> {
    /// The stream as C passed it, for the C function that writes to it.
    pub(super) fn as_ptr(self) -> *mut libc::FILE {
        self.0
    }
}

/// `struct evutil_addrinfo *` handed back to `evutil_freeaddrinfo`.
///
/// Contract (libevent's): NULL, or a list `evutil_getaddrinfo` returned (made by the system's
/// `getaddrinfo`) and not freed yet; it is freed with this call and not used after it.
#[repr(transparent)]
pub(crate) struct AddrinfoList(*mut libc::addrinfo);

impl AddrinfoList {
    /// The list as C passed it, for the system's `freeaddrinfo`.
    pub(super) fn into_ptr(self) -> *mut libc::addrinfo {
        self.0
    }
}
