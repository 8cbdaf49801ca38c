//! `bufferevent.h`'s rate limiting: token-bucket configurations (`ev_token_bucket_cfg_*`), a
//! bufferevent's own limit and single read/write sizes, and rate-limit groups. The engine does
//! the work (`evscope_core::ev`'s `bev_rate.rs`); this file keeps the two kinds of handle:
//!
//! - a `struct ev_token_bucket_cfg *` is the address of the engine's shared configuration, which
//!   every bufferevent given it holds too: as in libevent, a bufferevent keeps the pointer it
//!   was given (`bufferevent_get_token_bucket_cfg` answers it, also after
//!   `ev_token_bucket_cfg_free`), and giving the same pointer again changes nothing. Once
//!   freed, the pointer is refused by the calls that take one.
//! - a `struct bufferevent_rate_limit_group *` is a small box naming its base and the engine's
//!   group. A group takes members from its own base only.

#![allow(non_camel_case_types)]

use std::collections::HashMap;
use std::os::raw::c_int;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use evscope_core::ev::{EventBase, RateGroupId, TokenBucketCfg};

use crate::base::{on_base, with_base};
use crate::bufferevent::{live, on_bev, sync};
use crate::error::{self, CError, Result};
use crate::handles::{self, Token};
use crate::sys::cptr::{In, Out};
use crate::types::{bufferevent, event_base};

/// `struct ev_token_bucket_cfg` (private to libevent).
#[repr(C)]
pub struct ev_token_bucket_cfg {
    _opaque: [u8; 0],
}

/// `struct bufferevent_rate_limit_group` (private to libevent).
#[repr(C)]
pub struct bufferevent_rate_limit_group {
    _opaque: [u8; 0],
}

/// The live configurations, by the address handed out (the `Arc`'s own).
static CFGS: LazyLock<Mutex<HashMap<usize, Arc<TokenBucketCfg>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A live group: its base and the engine's id.
struct GroupEntry {
    base: usize,
    id: RateGroupId,
    _token: Token,
}

static GROUPS: LazyLock<Mutex<HashMap<usize, GroupEntry>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cfgs<R>(f: impl FnOnce(&mut HashMap<usize, Arc<TokenBucketCfg>>) -> R) -> R {
    f(&mut CFGS.lock().unwrap_or_else(PoisonError::into_inner))
}

fn groups<R>(f: impl FnOnce(&mut HashMap<usize, GroupEntry>) -> R) -> R {
    f(&mut GROUPS.lock().unwrap_or_else(PoisonError::into_inner))
}

fn cfg_of(cfg: *const ev_token_bucket_cfg) -> Result<Arc<TokenBucketCfg>> {
    if cfg.is_null() {
        return Err(CError::Null("ev_token_bucket_cfg"));
    }
    cfgs(|t| t.get(&(cfg as usize)).cloned()).ok_or(CError::Stale("ev_token_bucket_cfg"))
}

fn group_of(g: *const bufferevent_rate_limit_group) -> Result<(usize, RateGroupId)> {
    if g.is_null() {
        return Err(CError::Null("bufferevent_rate_limit_group"));
    }
    groups(|t| t.get(&(g as usize)).map(|e| (e.base, e.id)))
        .ok_or(CError::Stale("bufferevent_rate_limit_group"))
}

/// Runs an engine call on the group `g`, then shows its base's bufferevents as they are (a
/// group's bucket suspends and resumes all its members).
fn on_group<R>(
    g: *const bufferevent_rate_limit_group,
    f: impl FnOnce(&mut EventBase, RateGroupId) -> evscope_core::ev::Result<R>,
) -> Result<R> {
    let (base, id) = group_of(g)?;
    let r = on_base(base, |b| f(b, id))?;
    sync_base(base)?;
    Ok(r)
}

/// Brings the structs of the base's live bufferevents up to date with the engine.
fn sync_base(base: usize) -> Result<()> {
    let keys: Vec<usize> = handles::with(|h| {
        Ok(h.bevs
            .iter()
            .filter(|(_, e)| e.base == base && !e.freed)
            .map(|(k, _)| *k)
            .collect())
    })?;
    with_base(base, |b| {
        for k in keys {
            sync(k, b);
        }
    })
}

fn ssize(v: i64) -> isize {
    v as isize
}

/// libevent's `ev_ssize_t` convention: the value, or -1 after a report.
fn ret_ssize(call: &str, r: Result<isize>) -> isize {
    r.unwrap_or_else(|e| {
        error::report(call, &e);
        -1
    })
}

// ----- configurations ---------------------------------------------------------------------------

/// libevent's `ev_token_bucket_cfg_new`: rates and bursts in bytes per tick, `tick_len` NULL
/// for one second. NULL for a rate of 0, a rate above its burst, or a value above
/// `EV_RATE_LIMIT_MAX` (and, here, a tick under a millisecond, which libevent would divide by).
#[no_mangle]
pub extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: In<'_, libc::timeval>,
) -> *mut ev_token_bucket_cfg {
    let r = TokenBucketCfg::new(
        read_rate,
        read_burst,
        write_rate,
        write_burst,
        tick_len.duration(),
    )
    .map_err(CError::from)
    .map(|cfg| {
        let cfg = Arc::new(cfg);
        let key = Arc::as_ptr(&cfg) as usize;
        cfgs(|t| t.insert(key, cfg));
        key
    });
    error::ptr("ev_token_bucket_cfg_new", r)
}

/// libevent's `ev_token_bucket_cfg_free`. Bufferevents given it keep their limit (libevent
/// leaves them a dangling pointer; here the configuration lives on with them).
#[no_mangle]
pub extern "C" fn ev_token_bucket_cfg_free(cfg: *mut ev_token_bucket_cfg) {
    if cfg.is_null() {
        return;
    }
    if cfgs(|t| t.remove(&(cfg as usize))).is_none() {
        error::report(
            "ev_token_bucket_cfg_free",
            &CError::Stale("ev_token_bucket_cfg"),
        );
    }
}

// ----- a bufferevent's own limit ----------------------------------------------------------------

/// libevent's `bufferevent_set_rate_limit`: limit the bufferevent by `cfg`, or lift its limit
/// with NULL. Each direction is then enabled again if its bucket has tokens (the write
/// callback runs once if writing is enabled), or suspended until the next tick.
#[no_mangle]
pub extern "C" fn bufferevent_set_rate_limit(
    bev: *mut bufferevent,
    cfg: *mut ev_token_bucket_cfg,
) -> c_int {
    let r = (|| {
        let cfg = if cfg.is_null() {
            None
        } else {
            Some(cfg_of(cfg)?)
        };
        on_bev(bev, |b, id| b.bufferevent_set_rate_limit(id, cfg))
    })();
    error::int("bufferevent_set_rate_limit", r.map(|()| 0))
}

/// libevent's `bufferevent_get_token_bucket_cfg`: the configuration last set, or NULL.
#[no_mangle]
pub extern "C" fn bufferevent_get_token_bucket_cfg(
    bev: *const bufferevent,
) -> *const ev_token_bucket_cfg {
    let r = on_bev(bev, |b, id| b.bufferevent_get_token_bucket_cfg(id))
        .map(|cfg| cfg.map_or(0, |c| Arc::as_ptr(&c) as usize));
    error::ptr::<ev_token_bucket_cfg>("bufferevent_get_token_bucket_cfg", r).cast_const()
}

/// libevent's `bufferevent_get_read_limit`: what the bufferevent's read bucket holds now
/// (may be negative); `EV_SSIZE_MAX` without a limit.
#[no_mangle]
pub extern "C" fn bufferevent_get_read_limit(bev: *mut bufferevent) -> isize {
    let r = on_bev(bev, |b, id| b.bufferevent_get_read_limit(id));
    ret_ssize("bufferevent_get_read_limit", r.map(ssize))
}

/// libevent's `bufferevent_get_write_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_get_write_limit(bev: *mut bufferevent) -> isize {
    let r = on_bev(bev, |b, id| b.bufferevent_get_write_limit(id));
    ret_ssize("bufferevent_get_write_limit", r.map(ssize))
}

/// libevent's `bufferevent_get_max_to_read`: the most the next read may move.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_to_read(bev: *mut bufferevent) -> isize {
    let r = on_bev(bev, |b, id| b.bufferevent_get_max_to_read(id));
    ret_ssize("bufferevent_get_max_to_read", r.map(ssize))
}

/// libevent's `bufferevent_get_max_to_write`: the most the next write may move.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_to_write(bev: *mut bufferevent) -> isize {
    let r = on_bev(bev, |b, id| b.bufferevent_get_max_to_write(id));
    ret_ssize("bufferevent_get_max_to_write", r.map(ssize))
}

/// libevent's `bufferevent_decrement_read_limit`: take `decr` bytes (negative: give them)
/// from the read bucket, suspending or resuming reading as it crosses zero. -1 for a
/// bufferevent with no limit (libevent asserts).
#[no_mangle]
pub extern "C" fn bufferevent_decrement_read_limit(bev: *mut bufferevent, decr: isize) -> c_int {
    let r = on_bev(bev, |b, id| {
        b.bufferevent_decrement_read_limit(id, decr as i64)
    });
    error::int("bufferevent_decrement_read_limit", r.map(|()| 0))
}

/// libevent's `bufferevent_decrement_write_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_decrement_write_limit(bev: *mut bufferevent, decr: isize) -> c_int {
    let r = on_bev(bev, |b, id| {
        b.bufferevent_decrement_write_limit(id, decr as i64)
    });
    error::int("bufferevent_decrement_write_limit", r.map(|()| 0))
}

/// libevent's `bufferevent_set_max_single_read`: the most one read moves without a limit
/// (0: the default, 16384). A socket read takes at most 4096 bytes all the same.
#[no_mangle]
pub extern "C" fn bufferevent_set_max_single_read(bev: *mut bufferevent, size: usize) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_set_max_single_read(id, size));
    error::int("bufferevent_set_max_single_read", r.map(|()| 0))
}

/// libevent's `bufferevent_set_max_single_write` (0: the default, 16384).
#[no_mangle]
pub extern "C" fn bufferevent_set_max_single_write(bev: *mut bufferevent, size: usize) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_set_max_single_write(id, size));
    error::int("bufferevent_set_max_single_write", r.map(|()| 0))
}

/// libevent's `bufferevent_get_max_single_read`.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_single_read(bev: *mut bufferevent) -> isize {
    let r = on_bev(bev, |b, id| b.bufferevent_get_max_single_read(id));
    ret_ssize("bufferevent_get_max_single_read", r.map(|n| n as isize))
}

/// libevent's `bufferevent_get_max_single_write`.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_single_write(bev: *mut bufferevent) -> isize {
    let r = on_bev(bev, |b, id| b.bufferevent_get_max_single_write(id));
    ret_ssize("bufferevent_get_max_single_write", r.map(|n| n as isize))
}

// ----- groups -----------------------------------------------------------------------------------

/// libevent's `bufferevent_rate_limit_group_new`: a group on `base` sharing one bucket of
/// `cfg` (copied). Its refill timer is pending from now on, so the base's loop does not run out
/// of events while the group lives.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_new(
    base: *mut event_base,
    cfg: *const ev_token_bucket_cfg,
) -> *mut bufferevent_rate_limit_group {
    let base = base as usize;
    let r = (|| {
        let cfg = cfg_of(cfg)?;
        let id = on_base(base, |b| b.bufferevent_rate_limit_group_new(&cfg))?;
        let token = Token::new();
        let key = token.key();
        groups(|t| {
            t.insert(
                key,
                GroupEntry {
                    base,
                    id,
                    _token: token,
                },
            )
        });
        Ok(key)
    })();
    error::ptr("bufferevent_rate_limit_group_new", r)
}

/// libevent's `bufferevent_rate_limit_group_free`: for a group with no members left (libevent
/// asserts; here the call is refused and the group stays).
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_free(g: *mut bufferevent_rate_limit_group) {
    let r = on_group(g, |b, id| b.bufferevent_rate_limit_group_free(id)).map(|()| {
        groups(|t| t.remove(&(g as usize)));
    });
    error::unit("bufferevent_rate_limit_group_free", r)
}

/// libevent's `bufferevent_rate_limit_group_set_cfg`: -1 for a NULL group or cfg.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_set_cfg(
    g: *mut bufferevent_rate_limit_group,
    cfg: *const ev_token_bucket_cfg,
) -> c_int {
    let r = cfg_of(cfg)
        .and_then(|cfg| on_group(g, |b, id| b.bufferevent_rate_limit_group_set_cfg(id, &cfg)));
    error::int("bufferevent_rate_limit_group_set_cfg", r.map(|()| 0))
}

/// libevent's `bufferevent_rate_limit_group_set_min_share` (-1 above `EV_SSIZE_MAX`).
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_set_min_share(
    g: *mut bufferevent_rate_limit_group,
    share: usize,
) -> c_int {
    let r = on_group(g, |b, id| {
        b.bufferevent_rate_limit_group_set_min_share(id, share)
    });
    error::int("bufferevent_rate_limit_group_set_min_share", r.map(|()| 0))
}

/// libevent's `bufferevent_rate_limit_group_get_read_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_get_read_limit(
    g: *mut bufferevent_rate_limit_group,
) -> isize {
    let r = on_group(g, |b, id| b.bufferevent_rate_limit_group_get_read_limit(id));
    ret_ssize("bufferevent_rate_limit_group_get_read_limit", r.map(ssize))
}

/// libevent's `bufferevent_rate_limit_group_get_write_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_get_write_limit(
    g: *mut bufferevent_rate_limit_group,
) -> isize {
    let r = on_group(g, |b, id| {
        b.bufferevent_rate_limit_group_get_write_limit(id)
    });
    ret_ssize("bufferevent_rate_limit_group_get_write_limit", r.map(ssize))
}

/// libevent's `bufferevent_rate_limit_group_decrement_read`: every member stops (or starts)
/// reading as the group's bucket crosses zero.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_decrement_read(
    g: *mut bufferevent_rate_limit_group,
    decr: isize,
) -> c_int {
    let r = on_group(g, |b, id| {
        b.bufferevent_rate_limit_group_decrement_read(id, decr as i64)
    });
    error::int("bufferevent_rate_limit_group_decrement_read", r.map(|()| 0))
}

/// libevent's `bufferevent_rate_limit_group_decrement_write`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_decrement_write(
    g: *mut bufferevent_rate_limit_group,
    decr: isize,
) -> c_int {
    let r = on_group(g, |b, id| {
        b.bufferevent_rate_limit_group_decrement_write(id, decr as i64)
    });
    error::int(
        "bufferevent_rate_limit_group_decrement_write",
        r.map(|()| 0),
    )
}

/// libevent's `bufferevent_rate_limit_group_get_totals`: bytes read and written by the
/// members (either out-pointer may be NULL).
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_get_totals(
    g: *mut bufferevent_rate_limit_group,
    total_read_out: Out<'_, u64>,
    total_written_out: Out<'_, u64>,
) {
    match on_group(g, |b, id| b.bufferevent_rate_limit_group_get_totals(id)) {
        Ok((read, written)) => {
            total_read_out.write(read);
            total_written_out.write(written);
        }
        Err(e) => error::report("bufferevent_rate_limit_group_get_totals", &e),
    }
}

/// libevent's `bufferevent_rate_limit_group_reset_totals`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_reset_totals(g: *mut bufferevent_rate_limit_group) {
    let r = on_group(g, |b, id| b.bufferevent_rate_limit_group_reset_totals(id));
    error::unit("bufferevent_rate_limit_group_reset_totals", r)
}

/// libevent's `bufferevent_add_to_rate_limit_group`: join `g` (leaving any other group). -1
/// for a group of another base (libevent allows it with threads; here a group's members share
/// its base).
#[no_mangle]
pub extern "C" fn bufferevent_add_to_rate_limit_group(
    bev: *mut bufferevent,
    g: *mut bufferevent_rate_limit_group,
) -> c_int {
    let r = (|| {
        let (gbase, gid) = group_of(g)?;
        let (base, _) = live(bev as usize, None)?;
        if base != gbase {
            return Err(CError::Invalid(
                "the group belongs to another event_base".into(),
            ));
        }
        on_bev(bev, |b, id| b.bufferevent_add_to_rate_limit_group(id, gid))
    })();
    error::int("bufferevent_add_to_rate_limit_group", r.map(|()| 0))
}

/// libevent's `bufferevent_remove_from_rate_limit_group`: leave the group, if in one; what is
/// enabled is enabled again either way, as in libevent.
#[no_mangle]
pub extern "C" fn bufferevent_remove_from_rate_limit_group(bev: *mut bufferevent) -> c_int {
    let r = on_bev(bev, |b, id| b.bufferevent_remove_from_rate_limit_group(id));
    error::int("bufferevent_remove_from_rate_limit_group", r.map(|()| 0))
}
