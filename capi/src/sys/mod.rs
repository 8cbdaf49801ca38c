//! The only place in the crate with `unsafe`: reading and writing the memory C hands us,
//! calling C's function pointers, lending the dispatching base to the API calls those
//! callbacks make, and sharing bases between threads. Each function is small, documented, and
//! says why it is sound; the API modules above it are safe code. No safe function here takes a
//! raw pointer (`tests/engine/lint_rules.rs` checks): what C passes comes in as a parameter type
//! of [`cptr`], and a function that must take a raw pointer is an `unsafe fn` with its contract.

// The workspace denies `unsafe_code`; this module is where the crate's unsafe code lives.
#![allow(unsafe_code)]

pub(crate) mod base_calls;
pub(crate) mod bufcall;
pub(crate) mod call;
pub(crate) mod cmem;
pub(crate) mod cptr;
pub(crate) mod cstruct;
pub(crate) mod current;
pub(crate) mod evthread;
pub(crate) mod filter;
pub(crate) mod mem;
pub(crate) mod os;
mod printf;
pub(crate) mod remote_call;
pub(crate) mod shared;
pub(crate) mod symbol;
pub(crate) mod util;
