//! Borrowing a bufferevent's buffers (libevent's `bufferevent_get_input` /
//! `bufferevent_get_output`). The borrow is a guard: when it ends, the bufferevent reacts to
//! what changed, as libevent's evbuffer callbacks make it do: new output is written, drained
//! input lets reading resume below the high watermark, and the observer hears the new levels.

use std::ops::{Deref, DerefMut};

use super::base::EventBase;
use super::bev_data::BevData;
use super::buffer::Evbuffer;
use super::error::Result;
use super::handle::BevId;

/// One of a bufferevent's buffers, borrowed; derefs to [`Evbuffer`].
pub struct BevBuf<'a> {
    base: &'a mut EventBase,
    id: BevId,
    output: bool,
    /// The buffer's length when borrowed: only a buffer that grew has had bytes added, and
    /// only added output makes the bufferevent write (libevent's callbacks look at `n_added`).
    before: usize,
}

/// Both of a bufferevent's buffers, borrowed together (to move input to output).
pub struct BevBuffers<'a> {
    base: &'a mut EventBase,
    id: BevId,
    /// The output's length when borrowed.
    output_before: usize,
}

fn data(base: &EventBase, id: BevId) -> &BevData {
    base.bevs
        .get(id.index(), id.generation())
        .expect("the guard holds the base, so the bufferevent lives as long as it")
}

fn data_mut(base: &mut EventBase, id: BevId) -> &mut BevData {
    base.bevs
        .get_mut(id.index(), id.generation())
        .expect("the guard holds the base, so the bufferevent lives as long as it")
}

impl Deref for BevBuf<'_> {
    type Target = Evbuffer;
    fn deref(&self) -> &Evbuffer {
        let b = data(self.base, self.id);
        if self.output {
            &b.output
        } else {
            &b.input
        }
    }
}

impl DerefMut for BevBuf<'_> {
    fn deref_mut(&mut self) -> &mut Evbuffer {
        let b = data_mut(self.base, self.id);
        if self.output {
            &mut b.output
        } else {
            &mut b.input
        }
    }
}

impl Drop for BevBuf<'_> {
    fn drop(&mut self) {
        if self.has_changes() {
            self.base.bev_notify_buffers(self.id);
        }
        if self.output {
            self.base.bev_report(self.id);
            if self.len() > self.before {
                self.base.bev_output_added(self.id);
            }
        } else {
            self.base.bev_input_changed(self.id);
        }
    }
}

impl BevBuffers<'_> {
    /// The input buffer.
    pub fn input(&mut self) -> &mut Evbuffer {
        &mut data_mut(self.base, self.id).input
    }

    /// The output buffer.
    pub fn output(&mut self) -> &mut Evbuffer {
        &mut data_mut(self.base, self.id).output
    }

    /// (input, output), e.g. for `output.add_buffer(input)`: the echo.
    pub fn split(&mut self) -> (&mut Evbuffer, &mut Evbuffer) {
        let b = data_mut(self.base, self.id);
        (&mut b.input, &mut b.output)
    }
}

impl Drop for BevBuffers<'_> {
    fn drop(&mut self) {
        self.base.bev_input_changed(self.id);
        if data(self.base, self.id).output.len() > self.output_before {
            self.base.bev_output_added(self.id);
        }
        self.base.bev_report(self.id);
    }
}

impl EventBase {
    /// The input buffer, borrowed (libevent's `bufferevent_get_input`). Draining it below the
    /// read high watermark lets reading resume when the borrow ends.
    pub fn bufferevent_get_input(&mut self, id: BevId) -> Result<BevBuf<'_>> {
        let before = self.bev_ref(id)?.input.len();
        Ok(BevBuf {
            base: self,
            id,
            output: false,
            before,
        })
    }

    /// The output buffer, borrowed (libevent's `bufferevent_get_output`). Bytes added are
    /// written when the borrow ends.
    pub fn bufferevent_get_output(&mut self, id: BevId) -> Result<BevBuf<'_>> {
        let before = self.bev_ref(id)?.output.len();
        Ok(BevBuf {
            base: self,
            id,
            output: true,
            before,
        })
    }

    /// Both buffers at once; `split()` gives (input, output). The course's echo is
    /// `let (i, o) = bufs.split(); o.add_buffer(i);` (libevent:
    /// `evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev))`).
    pub fn bufferevent_buffers(&mut self, id: BevId) -> Result<BevBuffers<'_>> {
        let output_before = self.bev_ref(id)?.output.len();
        Ok(BevBuffers {
            base: self,
            id,
            output_before,
        })
    }
}
