//! Bufferevent rate limiting, as libevent 2.1's `bufferevent_ratelim.c` does it: token buckets
//! refilled once per tick, per bufferevent ([`EventBase::bufferevent_set_rate_limit`]) and
//! shared by a group ([`EventBase::bufferevent_rate_limit_group_new`]), and the most one read or write
//! moves ([`EventBase::bufferevent_set_max_single_read`]).
//!
//! How a limit acts, as in libevent: before each read (write) the socket side asks how much it
//! may move ([`EventBase::bufferevent_get_max_to_read`]); after it, the bytes are taken from
//! the buckets. A bucket at or below zero suspends that direction — its event is deleted
//! through the bufferevent's normal disable path, with the cause `bev_rate_limited` — and a
//! refill timer (the bufferevent's `"{label} refill"` event, or the group's persistent
//! `"rlgN refill"`) adds it again (`bev_rate_refilled`) once the bucket has tokens.
//!
//! Ticks are counted on the wall clock, as libevent counts them: tick `n` is the `n`th
//! `tick_len` since the epoch, so the first tick after a limit is set may be short.
//!
//! A bufferevent that never had a limit or a single-read size set has no [`BevRate`]: its
//! reads and writes cost one test each.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::base::EventBase;
use super::bev_data::{Dir, Suspend};
use super::bev_io::{MAX_SINGLE_READ, MAX_SINGLE_WRITE};
use super::error::{Error, Result};
use super::flags::What;
use super::handle::{BevId, EventId, RateGroupId};
use super::state::{BevWhy, Cause};

/// The most one read moves unless set otherwise (libevent's `MAX_SINGLE_READ_DEFAULT`). A read
/// from a socket also takes at most [`super::MAX_READ`] bytes, as `evbuffer_read` does.
pub const MAX_SINGLE_READ_DEFAULT: usize = MAX_SINGLE_READ;
/// The most one write moves unless set otherwise (libevent's `MAX_SINGLE_WRITE_DEFAULT`).
pub const MAX_SINGLE_WRITE_DEFAULT: usize = MAX_SINGLE_WRITE;
/// The largest rate or burst a [`TokenBucketCfg`] takes (libevent's `EV_RATE_LIMIT_MAX`,
/// `EV_SSIZE_MAX`).
pub const RATE_LIMIT_MAX: usize = isize::MAX as usize;

/// A token bucket configuration (libevent's `struct ev_token_bucket_cfg`): each tick adds
/// `read_rate` (`write_rate`) bytes to a bucket that holds at most `read_burst`
/// (`write_burst`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TokenBucketCfg {
    /// Bytes added to the read bucket each tick.
    pub read_rate: usize,
    /// The most the read bucket holds.
    pub read_burst: usize,
    /// Bytes added to the write bucket each tick.
    pub write_rate: usize,
    /// The most the write bucket holds.
    pub write_burst: usize,
    /// The tick's length.
    pub tick: Duration,
    msec_per_tick: u32,
}

impl TokenBucketCfg {
    /// A configuration (libevent's `ev_token_bucket_cfg_new`; `tick` `None`: one second).
    /// Refused as libevent refuses it: a rate above its burst, a rate of 0, or a value above
    /// [`RATE_LIMIT_MAX`]. Also refused: a tick under a millisecond (libevent counts ticks in
    /// whole milliseconds and would divide by zero).
    pub fn new(
        read_rate: usize,
        read_burst: usize,
        write_rate: usize,
        write_burst: usize,
        tick: Option<Duration>,
    ) -> Result<TokenBucketCfg> {
        let tick = tick.unwrap_or(Duration::from_secs(1));
        if read_rate > read_burst || write_rate > write_burst || read_rate < 1 || write_rate < 1 {
            return Err(Error::Invalid(
                "each rate must be at least 1 and at most its burst".into(),
            ));
        }
        if [read_rate, write_rate, read_burst, write_burst]
            .iter()
            .any(|v| *v > RATE_LIMIT_MAX)
        {
            return Err(Error::Invalid(
                "a rate or burst is above EV_RATE_LIMIT_MAX".into(),
            ));
        }
        let msec_per_tick = u32::try_from(tick.as_millis())
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| {
                Error::Invalid("the tick must be from 1 ms to about 49 days long".into())
            })?;
        Ok(TokenBucketCfg {
            read_rate,
            read_burst,
            write_rate,
            write_burst,
            tick,
            msec_per_tick,
        })
    }

    /// The tick a wall-clock time (in ms since the epoch) falls in (libevent's
    /// `ev_token_bucket_get_tick_`; it wraps, as libevent's does).
    fn tick_of(&self, wall_ms: u64) -> u32 {
        (wall_ms / u64::from(self.msec_per_tick)) as u32
    }
}

/// A token bucket (libevent's `struct ev_token_bucket`): the bytes each direction may still
/// move, which may go below zero ("deficit spending"), and the tick it was last refilled in.
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    read: i64,
    write: i64,
    last_updated: u32,
}

impl Bucket {
    /// A full first tick (libevent's `ev_token_bucket_init_` without reinitializing).
    fn new(cfg: &TokenBucketCfg, tick: u32) -> Bucket {
        Bucket {
            read: cfg.read_rate as i64,
            write: cfg.write_rate as i64,
            last_updated: tick,
        }
    }

    /// A new configuration for a bucket in use: only clipped down to its bursts.
    fn clip(&mut self, cfg: &TokenBucketCfg) {
        self.read = self.read.min(cfg.read_burst as i64);
        self.write = self.write.min(cfg.write_burst as i64);
    }

    fn get(&self, dir: Dir) -> i64 {
        match dir {
            Dir::Read => self.read,
            Dir::Write => self.write,
        }
    }

    fn get_mut(&mut self, dir: Dir) -> &mut i64 {
        match dir {
            Dir::Read => &mut self.read,
            Dir::Write => &mut self.write,
        }
    }

    /// Adds the rates of the ticks since the last update, up to the bursts (libevent's
    /// `ev_token_bucket_update_`, with its unsigned arithmetic). False when no tick passed.
    fn update(&mut self, cfg: &TokenBucketCfg, tick: u32) -> bool {
        let n = tick.wrapping_sub(self.last_updated);
        if n == 0 || n > i32::MAX as u32 {
            return false;
        }
        let n = u64::from(n);
        for (limit, rate, most) in [
            (&mut self.read, cfg.read_rate, cfg.read_burst),
            (&mut self.write, cfg.write_rate, cfg.write_burst),
        ] {
            if (most as u64).wrapping_sub(*limit as u64) / n < rate as u64 {
                *limit = most as i64;
            } else {
                *limit = limit.wrapping_add(n.wrapping_mul(rate as u64) as i64);
            }
        }
        self.last_updated = tick;
        true
    }
}

/// A bufferevent's rate-limit state (libevent's `struct bufferevent_rate_limit` and the
/// `max_single_*` fields of `bufferevent_private`).
pub(crate) struct BevRate {
    max_single_read: usize,
    max_single_write: usize,
    /// Its own limit, shared by pointer as libevent shares the cfg it is given.
    cfg: Option<Arc<TokenBucketCfg>>,
    bucket: Bucket,
    group: Option<RateGroupId>,
    /// The refill timer (libevent's `refill_bucket_event`), once there is one.
    refill: Option<EventId>,
}

impl BevRate {
    fn new() -> BevRate {
        BevRate {
            max_single_read: MAX_SINGLE_READ_DEFAULT,
            max_single_write: MAX_SINGLE_WRITE_DEFAULT,
            cfg: None,
            bucket: Bucket::default(),
            group: None,
            refill: None,
        }
    }
}

/// A rate-limit group (libevent's `struct bufferevent_rate_limit_group`): one bucket its
/// members share, each allowed at least `min_share` per read or write.
pub(crate) struct RateGroup {
    cfg: TokenBucketCfg,
    bucket: Bucket,
    /// Newest first, as libevent's `LIST_INSERT_HEAD` keeps them.
    members: Vec<BevId>,
    read_suspended: bool,
    write_suspended: bool,
    min_share: i64,
    configured_min_share: usize,
    total_read: u64,
    total_written: u64,
    /// The persistent refill timer (libevent's `master_refill_event`).
    refill: EventId,
    /// Where the next resume starts among the members (libevent starts at a random one).
    next_first: usize,
}

impl RateGroup {
    fn suspended(&self, dir: Dir) -> bool {
        match dir {
            Dir::Read => self.read_suspended,
            Dir::Write => self.write_suspended,
        }
    }

    fn set_suspended(&mut self, dir: Dir, on: bool) {
        match dir {
            Dir::Read => self.read_suspended = on,
            Dir::Write => self.write_suspended = on,
        }
    }

    /// libevent's `bufferevent_rate_limit_group_set_min_share`: at most one tick's rate.
    fn set_min_share(&mut self, share: usize) -> Result<()> {
        if share > RATE_LIMIT_MAX {
            return Err(Error::Invalid("the share is above EV_SSIZE_MAX".into()));
        }
        self.configured_min_share = share;
        self.min_share = share.min(self.cfg.read_rate).min(self.cfg.write_rate) as i64;
        Ok(())
    }
}

impl EventBase {
    // ----- suspending a direction ---------------------------------------------------------------

    /// Holds `dir` back for `reason` (libevent's `bufferevent_suspend_read_` /
    /// `_write_`): the first reason disables that direction's event, as `bufferevent_disable`
    /// would, with the cause `why`; `bufferevent_enable` leaves it off until every reason is
    /// gone.
    pub(crate) fn bev_suspend(&mut self, id: BevId, dir: Dir, reason: Suspend, why: BevWhy) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let was = b.suspended(dir);
        b.set_suspended(dir, was.with(reason));
        if !was.any() {
            let stopped = self.bev_impl_disable(id, dir.what(), why);
            debug_assert!(stopped.is_ok(), "deleting a live event: {stopped:?}");
        }
    }

    /// Lifts `reason` (libevent's `bufferevent_unsuspend_read_` / `_write_`): with no reason
    /// left and the direction enabled, it is enabled again — each time, as libevent does, so
    /// the event is added again (restarting its timeout) even if it was not suspended.
    pub(crate) fn bev_unsuspend(&mut self, id: BevId, dir: Dir, reason: Suspend, why: BevWhy) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let now = b.suspended(dir).without(reason);
        b.set_suspended(dir, now);
        if now.any() || !b.enabled.contains(dir.what()) {
            return;
        }
        if let Err(e) = self.bev_impl_enable(id, dir.what(), why) {
            self.bev_fail_add(id, dir, &e);
        }
    }

    // ----- what the socket side asks ------------------------------------------------------------

    /// The wall-clock time of the base's cached "now", in ms since the epoch (libevent's
    /// `event_base_gettimeofday_cached`).
    fn rate_wall_ms(&self) -> u64 {
        let behind = Instant::now().saturating_duration_since(self.now());
        SystemTime::now()
            .checked_sub(behind)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64)
    }

    /// Brings the bufferevent's own bucket up to the current tick (libevent's
    /// `bufferevent_update_buckets`).
    fn bev_rate_update(&mut self, id: BevId) {
        let wall = self.rate_wall_ms();
        let Some(r) = self.bev_any(id).and_then(|b| b.rate.as_deref_mut()) else {
            return;
        };
        if let Some(cfg) = r.cfg.as_deref() {
            let tick = cfg.tick_of(wall);
            if tick != r.bucket.last_updated {
                r.bucket.update(cfg, tick);
            }
        }
    }

    /// The most the next read or write of `dir` may move (libevent's
    /// `bufferevent_get_rlim_max_`): the single read/write size; with a limit, what its bucket
    /// holds instead; with a group, at most the group's bucket over its members, but at least
    /// its minimum share. Never below 0. A member of a suspended group is suspended here.
    /// Cold: only a bufferevent with a rate state calls it, and the echo path must not pay for
    /// it in code layout.
    #[cold]
    #[inline(never)]
    pub(crate) fn bev_rate_max(&mut self, id: BevId, dir: Dir) -> usize {
        self.bev_rate_max_signed(id, dir) as usize
    }

    fn bev_rate_max_signed(&mut self, id: BevId, dir: Dir) -> i64 {
        self.bev_rate_update(id);
        let Some(b) = self.bev_any(id) else {
            return 0;
        };
        let Some(r) = b.rate.as_deref() else {
            return match dir {
                Dir::Read => MAX_SINGLE_READ_DEFAULT as i64,
                Dir::Write => MAX_SINGLE_WRITE_DEFAULT as i64,
            };
        };
        let mut max = match dir {
            Dir::Read => r.max_single_read as i64,
            Dir::Write => r.max_single_write as i64,
        };
        if r.cfg.is_some() {
            max = r.bucket.get(dir);
        }
        if let Some(gid) = r.group {
            let share = match self.rate_groups.get(gid.index(), gid.generation()) {
                Some(g) if g.suspended(dir) => None,
                Some(g) => {
                    Some((g.bucket.get(dir) / g.members.len().max(1) as i64).max(g.min_share))
                }
                None => Some(max),
            };
            let share = match share {
                Some(s) => s,
                None => {
                    self.bev_suspend(id, dir, Suspend::BW_GROUP, BevWhy::RateLimited);
                    0
                }
            };
            max = max.min(share);
        }
        max.max(0)
    }

    /// `n` bytes were read or written: take them from the buckets, suspending the direction
    /// when one runs out, resuming it when one has tokens again (libevent's
    /// `bufferevent_decrement_read_buckets_` / `_write_`).
    #[cold]
    #[inline(never)]
    pub(crate) fn bev_rate_spent(&mut self, id: BevId, dir: Dir, n: usize) {
        let Some(b) = self.bev_any(id) else {
            return;
        };
        let (other, suspended) = (
            b.suspended(other_dir(dir)),
            b.suspended(dir).has(Suspend::BW),
        );
        let Some(r) = b.rate.as_deref_mut() else {
            return;
        };
        let n = n as i64;
        let group = r.group;
        if let Some(cfg) = r.cfg.as_deref() {
            let tick = cfg.tick;
            let limit = r.bucket.get_mut(dir);
            *limit -= n;
            let refill = r.refill;
            if *limit <= 0 {
                self.bev_suspend(id, dir, Suspend::BW, BevWhy::RateLimited);
                self.rate_arm(refill, tick);
            } else if suspended {
                if !other.has(Suspend::BW) {
                    self.rate_disarm(refill);
                }
                self.bev_unsuspend(id, dir, Suspend::BW, BevWhy::RateRefilled);
            }
        }
        let Some(gid) = group else {
            return;
        };
        let Some(g) = self.rate_groups.get_mut(gid.index(), gid.generation()) else {
            return;
        };
        *g.bucket.get_mut(dir) -= n;
        match dir {
            Dir::Read => g.total_read = g.total_read.wrapping_add(n as u64),
            Dir::Write => g.total_written = g.total_written.wrapping_add(n as u64),
        }
        if g.bucket.get(dir) <= 0 {
            self.rate_group_suspend(gid, dir);
        } else if g.suspended(dir) {
            self.rate_group_unsuspend(gid, dir);
        }
    }

    /// Adds a bufferevent's refill timer with the tick as its timeout (again: restarting it),
    /// because a bucket ran out.
    fn rate_arm(&mut self, refill: Option<EventId>, tick: Duration) {
        if let Some(ev) = refill {
            let added = self.add_because(ev, Some(tick), Cause::Bev(BevWhy::RateLimited));
            debug_assert!(added.is_ok(), "adding a live timer: {added:?}");
        }
    }

    /// Deletes a bufferevent's refill timer: no bucket of its own waits for a refill now.
    fn rate_disarm(&mut self, refill: Option<EventId>) {
        if let Some(ev) = refill {
            let deleted = self.del_because(ev, Cause::Bev(BevWhy::RateRefilled));
            debug_assert!(deleted.is_ok(), "deleting a live timer: {deleted:?}");
        }
    }

    /// The bufferevent's rate state, made with the defaults (and its refill timer) if it has
    /// none yet.
    fn bev_rate_make(&mut self, id: BevId) -> Result<&mut BevRate> {
        let b = self.bev_mut(id)?;
        if b.rate.as_ref().is_none_or(|r| r.refill.is_none()) {
            let label = format!("{} refill", b.label);
            let ev = self.event_new_unchecked(
                None,
                What::NONE,
                &label,
                Box::new(move |base, _ev, _what| base.bev_rate_refill(id)),
            )?;
            let b = self.bev_mut(id)?;
            b.rate
                .get_or_insert_with(|| Box::new(BevRate::new()))
                .refill = Some(ev);
        }
        let b = self.bev_mut(id)?;
        Ok(b.rate.get_or_insert_with(|| Box::new(BevRate::new())))
    }

    /// The refill timer fired (libevent's `bev_refill_callback_`): refill the bucket and
    /// resume what it suspended if the bucket has tokens again; wait another tick otherwise.
    fn bev_rate_refill(&mut self, id: BevId) {
        let wall = self.rate_wall_ms();
        let Some(b) = self.bev_any(id).filter(|b| !b.finalizing) else {
            return;
        };
        let (read_bw, write_bw) = (
            b.read_suspended.has(Suspend::BW),
            b.write_suspended.has(Suspend::BW),
        );
        let Some(r) = b.rate.as_deref_mut() else {
            return;
        };
        let Some(cfg) = r.cfg.clone() else {
            return;
        };
        r.bucket.update(&cfg, cfg.tick_of(wall));
        let (bucket, refill) = (r.bucket, r.refill);
        let mut again = false;
        for (dir, held) in [(Dir::Read, read_bw), (Dir::Write, write_bw)] {
            if !held {
                continue;
            }
            if bucket.get(dir) > 0 {
                self.bev_unsuspend(id, dir, Suspend::BW, BevWhy::RateRefilled);
            } else {
                again = true;
            }
        }
        if again {
            self.rate_arm(refill, cfg.tick);
        }
    }

    /// The bufferevent goes: it leaves its group (without resuming anything) and its refill
    /// timer is freed.
    pub(crate) fn bev_rate_release(&mut self, id: BevId) {
        let Some(r) = self.bev_any(id).and_then(|b| b.rate.take()) else {
            return;
        };
        if let Some(gid) = r.group {
            if let Some(g) = self.rate_groups.get_mut(gid.index(), gid.generation()) {
                g.members.retain(|m| *m != id);
            }
        }
        if let Some(ev) = r.refill {
            let freed = self.event_free(ev);
            debug_assert!(freed.is_ok(), "freeing a live timer: {freed:?}");
        }
    }

    // ----- a bufferevent's own limit ------------------------------------------------------------

    /// Sets the bufferevent's own limit, or removes it with `None` (libevent's
    /// `bufferevent_set_rate_limit`). The same `cfg` (the same `Arc`) again changes nothing.
    /// A new one starts a full first tick, or, replacing another, only clips the bucket down to
    /// its bursts. Each direction is then resumed if its bucket has tokens — enabled again, as
    /// libevent does, so an enabled write side adds its write event and the write callback
    /// runs once — or suspended until the next tick.
    pub fn bufferevent_set_rate_limit(
        &mut self,
        id: BevId,
        cfg: Option<Arc<TokenBucketCfg>>,
    ) -> Result<()> {
        let Some(cfg) = cfg else {
            let Some(r) = self.bev_mut(id)?.rate.as_deref_mut() else {
                return Ok(());
            };
            r.cfg = None;
            let refill = r.refill;
            self.bev_unsuspend(id, Dir::Read, Suspend::BW, BevWhy::RateRefilled);
            self.bev_unsuspend(id, Dir::Write, Suspend::BW, BevWhy::RateRefilled);
            self.rate_disarm(refill);
            return Ok(());
        };
        let tick = cfg.tick_of(self.rate_wall_ms());
        if let Some(old) = self.bev_ref(id)?.rate.as_ref().and_then(|r| r.cfg.as_ref()) {
            if Arc::ptr_eq(old, &cfg) {
                return Ok(());
            }
        }
        let r = self.bev_rate_make(id)?;
        let reinit = r.cfg.is_some();
        if reinit {
            r.bucket.clip(&cfg);
        } else {
            r.bucket = Bucket::new(&cfg, tick);
        }
        r.cfg = Some(cfg.clone());
        let (bucket, refill) = (r.bucket, r.refill);
        if reinit {
            self.rate_disarm(refill);
        }
        let mut suspended = false;
        for dir in [Dir::Read, Dir::Write] {
            if bucket.get(dir) > 0 {
                self.bev_unsuspend(id, dir, Suspend::BW, BevWhy::RateRefilled);
            } else {
                self.bev_suspend(id, dir, Suspend::BW, BevWhy::RateLimited);
                suspended = true;
            }
        }
        if suspended {
            self.rate_arm(refill, cfg.tick);
        }
        Ok(())
    }

    /// The limit set with [`EventBase::bufferevent_set_rate_limit`], if any (libevent's
    /// `bufferevent_get_token_bucket_cfg`).
    pub fn bufferevent_get_token_bucket_cfg(
        &self,
        id: BevId,
    ) -> Result<Option<Arc<TokenBucketCfg>>> {
        Ok(self.bev_ref(id)?.rate.as_ref().and_then(|r| r.cfg.clone()))
    }

    fn bev_limit(&mut self, id: BevId, dir: Dir) -> Result<i64> {
        self.bev_ref(id)?;
        self.bev_rate_update(id);
        let b = self.bev_ref(id)?;
        Ok(match b.rate.as_deref() {
            Some(r) if r.cfg.is_some() => r.bucket.get(dir),
            _ => isize::MAX as i64,
        })
    }

    /// What the bufferevent's own read bucket holds now, refilled to this tick; may be
    /// negative. Without a limit, `EV_SSIZE_MAX` (libevent's `bufferevent_get_read_limit`).
    pub fn bufferevent_get_read_limit(&mut self, id: BevId) -> Result<i64> {
        self.bev_limit(id, Dir::Read)
    }

    /// The write side's [`EventBase::bufferevent_get_read_limit`] (libevent's
    /// `bufferevent_get_write_limit`).
    pub fn bufferevent_get_write_limit(&mut self, id: BevId) -> Result<i64> {
        self.bev_limit(id, Dir::Write)
    }

    /// The most the next read may move (libevent's `bufferevent_get_max_to_read`): the max
    /// single read without a limit; with one, what its bucket holds (the max single read then
    /// does not count, as in libevent); with a group, at most the group's share.
    pub fn bufferevent_get_max_to_read(&mut self, id: BevId) -> Result<i64> {
        self.bev_ref(id)?;
        Ok(self.bev_rate_max_signed(id, Dir::Read))
    }

    /// The most the next write may move (libevent's `bufferevent_get_max_to_write`).
    pub fn bufferevent_get_max_to_write(&mut self, id: BevId) -> Result<i64> {
        self.bev_ref(id)?;
        Ok(self.bev_rate_max_signed(id, Dir::Write))
    }

    fn bev_decrement(&mut self, id: BevId, dir: Dir, decr: i64) -> Result<()> {
        let b = self.bev_mut(id)?;
        let other = b.suspended(other_dir(dir));
        let r = b
            .rate
            .as_deref_mut()
            .filter(|r| r.cfg.is_some())
            .ok_or_else(|| Error::Invalid(format!("{id} has no rate limit")))?;
        let tick = r.cfg.as_deref().map_or(Duration::ZERO, |c| c.tick);
        let refill = r.refill;
        let limit = r.bucket.get_mut(dir);
        let old = *limit;
        *limit = old.wrapping_sub(decr);
        let new = *limit;
        if old > 0 && new <= 0 {
            self.bev_suspend(id, dir, Suspend::BW, BevWhy::RateLimited);
            self.rate_arm(refill, tick);
        } else if old <= 0 && new > 0 {
            if !other.has(Suspend::BW) {
                self.rate_disarm(refill);
            }
            self.bev_unsuspend(id, dir, Suspend::BW, BevWhy::RateRefilled);
        }
        Ok(())
    }

    /// Takes `decr` bytes (negative: gives them) from the bufferevent's own read bucket,
    /// suspending reading if it runs out and resuming it if it no longer is (libevent's
    /// `bufferevent_decrement_read_limit`). An error without a limit (libevent asserts).
    pub fn bufferevent_decrement_read_limit(&mut self, id: BevId, decr: i64) -> Result<()> {
        self.bev_decrement(id, Dir::Read, decr)
    }

    /// The write side's [`EventBase::bufferevent_decrement_read_limit`].
    pub fn bufferevent_decrement_write_limit(&mut self, id: BevId, decr: i64) -> Result<()> {
        self.bev_decrement(id, Dir::Write, decr)
    }

    /// The most one read moves, without a limit (libevent's `bufferevent_set_max_single_read`;
    /// 0 or above `EV_SSIZE_MAX`: the default, [`MAX_SINGLE_READ_DEFAULT`]). A socket read
    /// also moves at most [`super::MAX_READ`].
    pub fn bufferevent_set_max_single_read(&mut self, id: BevId, size: usize) -> Result<()> {
        let size = if size == 0 || size > RATE_LIMIT_MAX {
            MAX_SINGLE_READ_DEFAULT
        } else {
            size
        };
        let b = self.bev_mut(id)?;
        b.rate
            .get_or_insert_with(|| Box::new(BevRate::new()))
            .max_single_read = size;
        Ok(())
    }

    /// The most one write moves, without a limit (libevent's
    /// `bufferevent_set_max_single_write`; 0 or above `EV_SSIZE_MAX`: the default).
    pub fn bufferevent_set_max_single_write(&mut self, id: BevId, size: usize) -> Result<()> {
        let size = if size == 0 || size > RATE_LIMIT_MAX {
            MAX_SINGLE_WRITE_DEFAULT
        } else {
            size
        };
        let b = self.bev_mut(id)?;
        b.rate
            .get_or_insert_with(|| Box::new(BevRate::new()))
            .max_single_write = size;
        Ok(())
    }

    /// libevent's `bufferevent_get_max_single_read`.
    pub fn bufferevent_get_max_single_read(&self, id: BevId) -> Result<usize> {
        Ok(self
            .bev_ref(id)?
            .rate
            .as_ref()
            .map_or(MAX_SINGLE_READ_DEFAULT, |r| r.max_single_read))
    }

    /// libevent's `bufferevent_get_max_single_write`.
    pub fn bufferevent_get_max_single_write(&self, id: BevId) -> Result<usize> {
        Ok(self
            .bev_ref(id)?
            .rate
            .as_ref()
            .map_or(MAX_SINGLE_WRITE_DEFAULT, |r| r.max_single_write))
    }

    // ----- groups -------------------------------------------------------------------------------

    fn group_mut(&mut self, gid: RateGroupId) -> Result<&mut RateGroup> {
        self.rate_groups
            .get_mut(gid.index(), gid.generation())
            .ok_or_else(|| Error::Stale(format!("rate-limit group {gid}")))
    }

    /// A group whose members share one bucket of `cfg` (copied), refilled by a persistent
    /// timer added at once — so a base with a group always has an event pending — and a
    /// minimum share of 64 bytes, or one tick's rate if less (libevent's
    /// `bufferevent_rate_limit_group_new`).
    pub fn bufferevent_rate_limit_group_new(
        &mut self,
        cfg: &TokenBucketCfg,
    ) -> Result<RateGroupId> {
        let tick = cfg.tick_of(self.rate_wall_ms());
        let mut g = RateGroup {
            cfg: *cfg,
            bucket: Bucket::new(cfg, tick),
            members: Vec::new(),
            read_suspended: false,
            write_suspended: false,
            min_share: 0,
            configured_min_share: 0,
            total_read: 0,
            total_written: 0,
            // Replaced below, once the timer knows the group's id.
            refill: EventId::new(u32::MAX, u32::MAX),
            next_first: 0,
        };
        g.set_min_share(64)?;
        let (i, generation) = self.rate_groups.insert(g);
        let gid = RateGroupId::new(i, generation);
        let made = self.event_new_unchecked(
            None,
            What::PERSIST,
            &format!("{gid} refill"),
            Box::new(move |base, _ev, _what| base.rate_group_refill(gid)),
        );
        let refill = match made {
            Ok(ev) => ev,
            Err(e) => {
                self.rate_groups.remove(i, generation);
                return Err(e);
            }
        };
        self.group_mut(gid)?.refill = refill;
        self.event_add(refill, Some(cfg.tick))?;
        Ok(gid)
    }

    /// Frees a group that has no members left, with its refill timer (libevent's
    /// `bufferevent_rate_limit_group_free`, which asserts there are none).
    pub fn bufferevent_rate_limit_group_free(&mut self, gid: RateGroupId) -> Result<()> {
        if !self.group_mut(gid)?.members.is_empty() {
            return Err(Error::Invalid(format!(
                "rate-limit group {gid} still has members"
            )));
        }
        let g = self
            .rate_groups
            .remove(gid.index(), gid.generation())
            .ok_or_else(|| Error::Stale(format!("rate-limit group {gid}")))?;
        self.event_free(g.refill)
    }

    /// A new configuration for the group (libevent's `bufferevent_rate_limit_group_set_cfg`):
    /// its bucket is clipped down to the new bursts, its timer re-added if the tick changed,
    /// and its minimum share recomputed.
    pub fn bufferevent_rate_limit_group_set_cfg(
        &mut self,
        gid: RateGroupId,
        cfg: &TokenBucketCfg,
    ) -> Result<()> {
        let g = self.group_mut(gid)?;
        let same_tick = g.cfg.tick == cfg.tick;
        g.cfg = *cfg;
        g.bucket.clip(cfg);
        let share = g.configured_min_share;
        g.set_min_share(share)?;
        let refill = g.refill;
        if !same_tick {
            self.event_add(refill, Some(cfg.tick))?;
        }
        Ok(())
    }

    /// The least one member may move per read or write while the group is not suspended,
    /// capped at one tick's rates (libevent's `bufferevent_rate_limit_group_set_min_share`).
    pub fn bufferevent_rate_limit_group_set_min_share(
        &mut self,
        gid: RateGroupId,
        share: usize,
    ) -> Result<()> {
        self.group_mut(gid)?.set_min_share(share)
    }

    /// What the group's read bucket holds (not refilled here, as in libevent).
    pub fn bufferevent_rate_limit_group_get_read_limit(&mut self, gid: RateGroupId) -> Result<i64> {
        Ok(self.group_mut(gid)?.bucket.read)
    }

    /// What the group's write bucket holds.
    pub fn bufferevent_rate_limit_group_get_write_limit(
        &mut self,
        gid: RateGroupId,
    ) -> Result<i64> {
        Ok(self.group_mut(gid)?.bucket.write)
    }

    fn group_decrement(&mut self, gid: RateGroupId, dir: Dir, decr: i64) -> Result<()> {
        let limit = self.group_mut(gid)?.bucket.get_mut(dir);
        let old = *limit;
        *limit = old.wrapping_sub(decr);
        let new = *limit;
        if old > 0 && new <= 0 {
            self.rate_group_suspend(gid, dir);
        } else if old <= 0 && new > 0 {
            self.rate_group_unsuspend(gid, dir);
        }
        Ok(())
    }

    /// Takes `decr` bytes (negative: gives them) from the group's read bucket, suspending or
    /// resuming every member's reading when it crosses zero (libevent's
    /// `bufferevent_rate_limit_group_decrement_read`).
    pub fn bufferevent_rate_limit_group_decrement_read(
        &mut self,
        gid: RateGroupId,
        decr: i64,
    ) -> Result<()> {
        self.group_decrement(gid, Dir::Read, decr)
    }

    /// The write side's [`EventBase::bufferevent_rate_limit_group_decrement_read`].
    pub fn bufferevent_rate_limit_group_decrement_write(
        &mut self,
        gid: RateGroupId,
        decr: i64,
    ) -> Result<()> {
        self.group_decrement(gid, Dir::Write, decr)
    }

    /// The bytes the group's members read and wrote since it was made or last reset
    /// (libevent's `bufferevent_rate_limit_group_get_totals`).
    pub fn bufferevent_rate_limit_group_get_totals(
        &mut self,
        gid: RateGroupId,
    ) -> Result<(u64, u64)> {
        let g = self.group_mut(gid)?;
        Ok((g.total_read, g.total_written))
    }

    /// Sets both totals to 0 (libevent's `bufferevent_rate_limit_group_reset_totals`).
    pub fn bufferevent_rate_limit_group_reset_totals(&mut self, gid: RateGroupId) -> Result<()> {
        let g = self.group_mut(gid)?;
        g.total_read = 0;
        g.total_written = 0;
        Ok(())
    }

    /// Puts the bufferevent in the group, leaving any other first; it is suspended at once if
    /// the group is (libevent's `bufferevent_add_to_rate_limit_group`).
    pub fn bufferevent_add_to_rate_limit_group(
        &mut self,
        id: BevId,
        gid: RateGroupId,
    ) -> Result<()> {
        self.group_mut(gid)?;
        let r = self.bev_rate_make(id)?;
        if r.group == Some(gid) {
            return Ok(());
        }
        if r.group.is_some() {
            self.bufferevent_remove_from_rate_limit_group(id)?;
        }
        let g = self.group_mut(gid)?;
        g.members.insert(0, id);
        let (read, write) = (g.read_suspended, g.write_suspended);
        if let Some(r) = self.bev_any(id).and_then(|b| b.rate.as_deref_mut()) {
            r.group = Some(gid);
        }
        if read {
            self.bev_suspend(id, Dir::Read, Suspend::BW_GROUP, BevWhy::RateLimited);
        }
        if write {
            self.bev_suspend(id, Dir::Write, Suspend::BW_GROUP, BevWhy::RateLimited);
        }
        Ok(())
    }

    /// Takes the bufferevent out of its group, if any, and lifts the group's suspension —
    /// enabling what is enabled again, as libevent does even for a bufferevent in no group
    /// (libevent's `bufferevent_remove_from_rate_limit_group`).
    pub fn bufferevent_remove_from_rate_limit_group(&mut self, id: BevId) -> Result<()> {
        let b = self.bev_mut(id)?;
        if let Some(gid) = b.rate.as_deref_mut().and_then(|r| r.group.take()) {
            if let Some(g) = self.rate_groups.get_mut(gid.index(), gid.generation()) {
                g.members.retain(|m| *m != id);
            }
        }
        self.bev_unsuspend(id, Dir::Read, Suspend::BW_GROUP, BevWhy::RateRefilled);
        self.bev_unsuspend(id, Dir::Write, Suspend::BW_GROUP, BevWhy::RateRefilled);
        Ok(())
    }

    /// Suspends `dir` of every member (libevent's `bev_group_suspend_reading_` / `_writing_`).
    fn rate_group_suspend(&mut self, gid: RateGroupId, dir: Dir) {
        let Ok(g) = self.group_mut(gid) else {
            return;
        };
        g.set_suspended(dir, true);
        for m in g.members.clone() {
            self.bev_suspend(m, dir, Suspend::BW_GROUP, BevWhy::RateLimited);
        }
    }

    /// Resumes `dir` of every member, starting at a different one each time (libevent's
    /// `bev_group_unsuspend_reading_` / `_writing_` start at a random one).
    fn rate_group_unsuspend(&mut self, gid: RateGroupId, dir: Dir) {
        let Ok(g) = self.group_mut(gid) else {
            return;
        };
        g.set_suspended(dir, false);
        let mut order = g.members.clone();
        if !order.is_empty() {
            let first = g.next_first % order.len();
            g.next_first = g.next_first.wrapping_add(1);
            order.rotate_left(first);
        }
        for m in order {
            self.bev_unsuspend(m, dir, Suspend::BW_GROUP, BevWhy::RateRefilled);
        }
    }

    /// The group's timer fired (libevent's `bev_group_refill_callback_`): refill its bucket,
    /// and resume a suspended direction once it holds at least the minimum share.
    fn rate_group_refill(&mut self, gid: RateGroupId) {
        let wall = self.rate_wall_ms();
        let Ok(g) = self.group_mut(gid) else {
            return;
        };
        let cfg = g.cfg;
        g.bucket.update(&cfg, cfg.tick_of(wall));
        let resume: Vec<Dir> = [Dir::Read, Dir::Write]
            .into_iter()
            .filter(|d| g.suspended(*d) && g.bucket.get(*d) >= g.min_share)
            .collect();
        for dir in resume {
            self.rate_group_unsuspend(gid, dir);
        }
    }
}

fn other_dir(dir: Dir) -> Dir {
    match dir {
        Dir::Read => Dir::Write,
        Dir::Write => Dir::Read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(rate: usize, burst: usize) -> TokenBucketCfg {
        TokenBucketCfg::new(rate, burst, rate, burst, Some(Duration::from_millis(100)))
            .expect("a valid cfg")
    }

    #[test]
    fn bad_configurations_are_refused() {
        assert!(TokenBucketCfg::new(10, 5, 1, 1, None).is_err());
        assert!(TokenBucketCfg::new(0, 5, 1, 1, None).is_err());
        assert!(TokenBucketCfg::new(1, 1, 2, 1, None).is_err());
        assert!(TokenBucketCfg::new(1, RATE_LIMIT_MAX + 1, 1, 1, None).is_err());
        assert!(TokenBucketCfg::new(1, 1, 1, 1, Some(Duration::from_micros(500))).is_err());
        assert_eq!(
            TokenBucketCfg::new(1, 1, 1, 1, None).map(|c| c.tick).ok(),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_bucket_refills_by_the_rate_up_to_the_burst() {
        let c = cfg(100, 250);
        let mut b = Bucket::new(&c, 7);
        assert_eq!((b.read, b.write), (100, 100));
        assert!(!b.update(&c, 7));
        b.read = -30;
        assert!(b.update(&c, 8));
        assert_eq!((b.read, b.write), (70, 200));
        assert!(b.update(&c, 10));
        assert_eq!((b.read, b.write), (250, 250));
        // Time going back refills nothing.
        assert!(!b.update(&c, 9));
        assert_eq!(b.last_updated, 10);
    }

    #[test]
    fn ticks_count_whole_milliseconds_since_the_epoch() {
        let c = cfg(1, 1);
        assert_eq!(c.tick_of(1_000_099), 10_000);
        assert_eq!(c.tick_of(1_000_100), 10_001);
    }
}
