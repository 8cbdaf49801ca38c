//! Load, faults and listeners: a thousand connections, resets, back pressure, and servers in child
//! processes under a lowered descriptor limit. A binary of their own, taking turns (`util::one_at_a_time`):
//! a child started with `ulimit -n 64` inherits every descriptor the process holds without
//! close-on-exec (as libevent, a listener's sockets have it only with `CLOSE_ON_EXEC`), so other
//! tests' sockets in the same process would use up its 64.

#[path = "../util/mod.rs"]
pub mod util;

mod faults;
mod listener;
mod load;
