//! Sockets and vectored I/O: the calls evbuffers, bufferevents and listeners make.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::syscall;

/// Retries `f` while it fails with EINTR.
fn retry<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Takes ownership of a descriptor handed over by the program (libevent's `CLOSE_ON_FREE`
/// contract: the caller gives the fd away and must not close it again).
pub(crate) fn adopt(fd: RawFd) -> OwnedFd {
    // SAFETY: the caller transfers ownership of an open descriptor it will not use to close.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A non-blocking stream socket for `addr`'s family, close-on-exec if `cloexec` (libevent sets
/// it only when asked: `LEV_OPT_CLOSE_ON_EXEC`).
pub(crate) fn stream_socket(addr: &SocketAddr, cloexec: bool) -> io::Result<OwnedFd> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let mut ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
    if cloexec {
        ty |= libc::SOCK_CLOEXEC;
    }
    // SAFETY: socket takes no pointers.
    let fd = syscall!(socket(domain, ty, 0))?;
    // SAFETY: socket returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A `sockaddr_in` or `sockaddr_in6` in storage big enough for either.
struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl RawAddr {
    fn empty() -> RawAddr {
        RawAddr {
            // SAFETY: sockaddr_storage is plain data; all-zero is a valid (unspecified) value.
            storage: unsafe { mem::zeroed() },
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    fn from(addr: &SocketAddr) -> RawAddr {
        let mut raw = RawAddr::empty();
        match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
                unsafe {
                    std::ptr::write(&mut raw.storage as *mut _ as *mut libc::sockaddr_in, sin)
                };
                raw.len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
                unsafe {
                    std::ptr::write(&mut raw.storage as *mut _ as *mut libc::sockaddr_in6, sin6)
                };
                raw.len = mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    fn ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const _ as *const libc::sockaddr
    }

    fn ptr_mut(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut _ as *mut libc::sockaddr
    }

    /// The address the kernel wrote, if it is IPv4 or IPv6.
    fn to_socket_addr(&self) -> Option<SocketAddr> {
        match self.storage.ss_family as libc::c_int {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a sockaddr_in, which fits in it.
                let sin = unsafe { *(&self.storage as *const _ as *const libc::sockaddr_in) };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says the storage holds a sockaddr_in6, which fits in it.
                let sin6 = unsafe { *(&self.storage as *const _ as *const libc::sockaddr_in6) };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Some(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

/// bind(2).
pub(crate) fn bind(fd: &OwnedFd, addr: &SocketAddr) -> io::Result<()> {
    let raw = RawAddr::from(addr);
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes for the call.
    syscall!(bind(fd.as_raw_fd(), raw.ptr(), raw.len)).map(drop)
}

/// listen(2).
pub(crate) fn listen(fd: RawFd, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: listen takes no pointers.
    syscall!(listen(fd, backlog)).map(drop)
}

/// accept4(2), the new socket non-blocking and close-on-exec as asked (libevent's
/// `accept4_flags`); the peer's address when it is IPv4 or IPv6.
pub(crate) fn accept(
    fd: RawFd,
    nonblocking: bool,
    cloexec: bool,
) -> io::Result<(OwnedFd, Option<SocketAddr>)> {
    let mut raw = RawAddr::empty();
    let mut flags = 0;
    if nonblocking {
        flags |= libc::SOCK_NONBLOCK;
    }
    if cloexec {
        flags |= libc::SOCK_CLOEXEC;
    }
    let new = retry(|| {
        raw.len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `raw.storage` has room for `raw.len` bytes, which accept4 may fill.
        syscall!(accept4(fd, raw.ptr_mut(), &mut raw.len, flags))
    })?;
    // SAFETY: accept4 returned a new descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(new) };
    Ok((owned, raw.to_socket_addr()))
}

/// connect(2) on a non-blocking socket: `Err(EINPROGRESS)` means it continues in the background.
pub(crate) fn connect(fd: RawFd, addr: &SocketAddr) -> io::Result<()> {
    let raw = RawAddr::from(addr);
    // SAFETY: `raw` holds a valid sockaddr of `raw.len` bytes for the call.
    match syscall!(connect(fd, raw.ptr(), raw.len)) {
        // An interrupted connect goes on in the background, like EINPROGRESS.
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {
            Err(io::Error::from_raw_os_error(libc::EINPROGRESS))
        }
        other => other.map(drop),
    }
}

/// getsockname(2).
pub(crate) fn local_addr(fd: RawFd) -> io::Result<SocketAddr> {
    let mut raw = RawAddr::empty();
    // SAFETY: `raw.storage` has room for `raw.len` bytes, which getsockname may fill.
    syscall!(getsockname(fd, raw.ptr_mut(), &mut raw.len))?;
    raw.to_socket_addr()
        .ok_or_else(|| io::Error::new(io::ErrorKind::Unsupported, "not an IP socket"))
}

/// readv(2) into `bufs`; `Ok(0)` is end of file. One buffer takes read(2), the kernel's
/// shorter path.
pub(crate) fn readv(fd: RawFd, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    if let [one] = bufs {
        return retry(|| {
            // SAFETY: `one` is valid, writable memory of its length for the call.
            syscall!(read(fd, one.as_mut_ptr().cast(), one.len()))
        })
        .map(|n| n as usize);
    }
    retry(|| {
        // SAFETY: IoSliceMut is ABI-compatible with iovec; each slice is valid, writable memory
        // for the call.
        syscall!(readv(
            fd,
            bufs.as_ptr() as *const libc::iovec,
            bufs.len() as libc::c_int
        ))
    })
    .map(|n| n as usize)
}

/// writev(2) from `bufs`.
pub(crate) fn writev(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    retry(|| {
        // SAFETY: IoSlice is ABI-compatible with iovec; each slice is valid memory for the call.
        syscall!(writev(
            fd,
            bufs.as_ptr() as *const libc::iovec,
            bufs.len() as libc::c_int
        ))
    })
    .map(|n| n as usize)
}

/// sendmsg(2) of `bufs` with `MSG_NOSIGNAL`: like writev on a socket, but a closed peer gives
/// EPIPE instead of killing the process with SIGPIPE. One buffer takes send(2), the kernel's
/// shorter path.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    if let [one] = bufs {
        return retry(|| {
            // SAFETY: `one` is valid memory of its length for the call.
            syscall!(send(fd, one.as_ptr().cast(), one.len(), libc::MSG_NOSIGNAL))
        })
        .map(|n| n as usize);
    }
    // SAFETY: msghdr is plain data; all-zero is valid (no name, no control data).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len() as _;
    retry(|| {
        // SAFETY: `msg` points at `bufs`, valid iovec-compatible memory the kernel only reads.
        syscall!(sendmsg(fd, &msg, libc::MSG_NOSIGNAL))
    })
    .map(|n| n as usize)
}

/// shutdown(2) of the write direction: the peer reads end of file after the queued bytes.
pub(crate) fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: shutdown takes no pointers.
    syscall!(shutdown(fd, libc::SHUT_WR)).map(drop)
}

/// setsockopt(2) of an int option.
pub(crate) fn set_int_option(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is a live c_int of the length given.
    syscall!(setsockopt(
        fd,
        level,
        name,
        &value as *const libc::c_int as *const libc::c_void,
        mem::size_of::<libc::c_int>() as libc::socklen_t,
    ))
    .map(drop)
}

/// Turns Nagle's algorithm off (or on) for a TCP socket: `setsockopt(TCP_NODELAY)`.
pub fn set_tcp_nodelay(fd: RawFd, on: bool) -> io::Result<()> {
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, on as libc::c_int)
}

/// `getsockopt(SO_ERROR)`: the socket's pending error (a finished connect's outcome), cleared
/// by reading it.
pub(crate) fn take_error(fd: RawFd) -> io::Result<Option<i32>> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are live and sized for an int option.
    syscall!(getsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        &mut value as *mut libc::c_int as *mut libc::c_void,
        &mut len,
    ))?;
    Ok((value != 0).then_some(value))
}

/// `ioctl(FIONREAD)`: bytes the kernel holds unread.
pub(crate) fn unread_bytes(fd: RawFd) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer given.
    syscall!(ioctl(fd, libc::FIONREAD, &mut n as *mut libc::c_int))?;
    Ok(n.max(0) as usize)
}

/// `ioctl(SIOCOUTQ)`: bytes the kernel holds unsent (or unacknowledged, for TCP).
pub(crate) fn unsent_bytes(fd: RawFd) -> io::Result<usize> {
    // SIOCOUTQ has the value of TIOCOUTQ on Linux.
    let mut n: libc::c_int = 0;
    // SAFETY: TIOCOUTQ writes one int to the pointer given.
    syscall!(ioctl(fd, libc::TIOCOUTQ, &mut n as *mut libc::c_int))?;
    Ok(n.max(0) as usize)
}
