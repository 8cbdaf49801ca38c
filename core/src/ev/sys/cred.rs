//! Who we are and who is at the other end of a Unix socket: what the live trace link checks so
//! that it serves only its own user.

use std::mem;
use std::os::fd::{AsFd, AsRawFd};

use super::syscall;

/// The user and process at the other end of a connected Unix socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCred {
    /// Its effective uid when it connected (or listened).
    pub uid: u32,
    /// Its process id then.
    pub pid: i32,
}

/// `getsockopt(SO_PEERCRED)`: the credentials the kernel recorded for the peer when it called
/// connect(2) or listen(2).
pub fn peer_cred(sock: &impl AsFd) -> std::io::Result<PeerCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are live, and `len` is the size of the ucred SO_PEERCRED writes.
    syscall!(getsockopt(
        sock.as_fd().as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_PEERCRED,
        &mut cred as *mut libc::ucred as *mut libc::c_void,
        &mut len,
    ))?;
    Ok(PeerCred {
        uid: cred.uid,
        pid: cred.pid,
    })
}

/// This process's effective uid (the one SO_PEERCRED reports to a peer).
pub fn euid() -> u32 {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() }
}
