//! `util.h`: the socket helpers classic programs call (`evutil_make_socket_nonblocking`,
//! `evutil_make_listen_socket_reuseable`, `evutil_closesocket`, …) and address parsing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::raw::{c_char, c_int};

use crate::error::{self, CError, Result};
use crate::sys::cptr::{CStrPtr, InOut, InSlice, Out, OutSlice, SockaddrOut};
use crate::sys::os;

/// libevent's `evutil_make_socket_nonblocking`.
#[no_mangle]
pub extern "C" fn evutil_make_socket_nonblocking(fd: c_int) -> c_int {
    let r = evscope_core::ev::set_nonblocking(fd, true).map_err(CError::from);
    error::int("evutil_make_socket_nonblocking", r.map(|()| 0))
}

/// libevent's `evutil_make_listen_socket_reuseable`: `SO_REUSEADDR`.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable(fd: c_int) -> c_int {
    let r = os::set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1).map_err(CError::from);
    error::int("evutil_make_listen_socket_reuseable", r.map(|()| 0))
}

/// libevent's `evutil_make_listen_socket_reuseable_port`: `SO_REUSEPORT`.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable_port(fd: c_int) -> c_int {
    let r = os::set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1).map_err(CError::from);
    error::int("evutil_make_listen_socket_reuseable_port", r.map(|()| 0))
}

/// libevent's `evutil_make_listen_socket_ipv6only`: `IPV6_V6ONLY`.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_ipv6only(fd: c_int) -> c_int {
    let r = os::set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1).map_err(CError::from);
    error::int("evutil_make_listen_socket_ipv6only", r.map(|()| 0))
}

/// libevent's `evutil_make_socket_closeonexec`.
#[no_mangle]
pub extern "C" fn evutil_make_socket_closeonexec(fd: c_int) -> c_int {
    error::int(
        "evutil_make_socket_closeonexec",
        os::set_cloexec(fd).map(|()| 0).map_err(CError::from),
    )
}

/// libevent's `evutil_closesocket`.
#[no_mangle]
pub extern "C" fn evutil_closesocket(fd: c_int) -> c_int {
    error::int(
        "evutil_closesocket",
        os::close(fd).map(|()| 0).map_err(CError::from),
    )
}

/// libevent's `evutil_socketpair`.
#[no_mangle]
pub extern "C" fn evutil_socketpair(
    domain: c_int,
    ty: c_int,
    protocol: c_int,
    sv: Out<'_, [c_int; 2]>,
) -> c_int {
    let r = (|| {
        if sv.is_null() {
            return Err(CError::Invalid("the result array pointer is NULL".into()));
        }
        let fds = os::socketpair(domain, ty, protocol)?;
        sv.write(fds);
        Ok(0)
    })();
    error::int("evutil_socketpair", r)
}

/// `1.2.3.4`, `1.2.3.4:80`, `[::1]`, `[::1]:80`, `::1` (port 0 when absent).
fn parse_addr(s: &str) -> Option<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .ok()
            .map(|ip| SocketAddr::new(ip.into(), 0));
    }
    s.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0))
}

/// libevent's `evutil_parse_sockaddr_port`: `"1.2.3.4:80"`, `"[::1]:80"`, … into `out`
/// (`*outlen` bytes of room, set to the size used).
#[no_mangle]
pub extern "C" fn evutil_parse_sockaddr_port(
    s: CStrPtr<'_>,
    out: SockaddrOut<'_>,
    outlen: InOut<'_, c_int>,
) -> c_int {
    let addr = s.get().and_then(|s| s.to_str().ok()).and_then(parse_addr);
    match addr {
        Some(a) if out.write(&a, outlen) => 0,
        _ => -1,
    }
}

fn ip_from(af: c_int, src: InSlice<'_, u8>) -> Result<IpAddr> {
    let bad = || CError::Invalid("the address pointer is NULL".into());
    match af {
        libc::AF_INET => {
            let b = src.get(4).ok_or_else(bad)?;
            Ok(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
        }
        libc::AF_INET6 => {
            let b = src.get(16).ok_or_else(bad)?;
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            Ok(IpAddr::V6(Ipv6Addr::from(o)))
        }
        other => Err(CError::Invalid(format!(
            "address family {other} is not AF_INET or AF_INET6"
        ))),
    }
}

/// libevent's `evutil_inet_ntop`: the address as text in `dst` (`len` bytes), or NULL.
#[no_mangle]
pub extern "C" fn evutil_inet_ntop(
    af: c_int,
    src: InSlice<'_, u8>,
    dst: OutSlice<'_, u8>,
    len: usize,
) -> *const c_char {
    let Ok(ip) = ip_from(af, src) else {
        return std::ptr::null();
    };
    let text = ip.to_string();
    let at = dst.as_ptr().cast_const().cast::<c_char>();
    match dst.get_mut(len) {
        Some(out) if out.len() > text.len() => {
            out[..text.len()].copy_from_slice(text.as_bytes());
            out[text.len()] = 0;
            at
        }
        _ => std::ptr::null(),
    }
}

/// libevent's `evutil_inet_pton`: 1 when `src` is an address of family `af` (written to
/// `dst`), 0 when it is not, -1 for an unknown family.
#[no_mangle]
pub extern "C" fn evutil_inet_pton(af: c_int, src: CStrPtr<'_>, dst: OutSlice<'_, u8>) -> c_int {
    let Some(text) = src.get().and_then(|s| s.to_str().ok()) else {
        return 0;
    };
    let bytes: Vec<u8> = match af {
        libc::AF_INET => match text.parse::<Ipv4Addr>() {
            Ok(ip) => ip.octets().to_vec(),
            Err(_) => return 0,
        },
        libc::AF_INET6 => match text.parse::<Ipv6Addr>() {
            Ok(ip) => ip.octets().to_vec(),
            Err(_) => return 0,
        },
        _ => return -1,
    };
    match dst.get_mut(bytes.len()) {
        Some(out) => {
            out.copy_from_slice(&bytes);
            1
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_libevent_accepts() {
        assert_eq!(
            parse_addr("127.0.0.1:80"),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(
            parse_addr("127.0.0.1"),
            Some("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(parse_addr("[::1]:9"), Some("[::1]:9".parse().unwrap()));
        assert_eq!(parse_addr("[::1]"), Some("[::1]:0".parse().unwrap()));
        assert_eq!(parse_addr("::1"), Some("[::1]:0".parse().unwrap()));
        assert_eq!(parse_addr("localhost:80"), None);
        assert_eq!(parse_addr("1.2.3.4:99999"), None);
    }
}
