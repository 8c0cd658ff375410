//! One module per command: each implements its `flags` struct's `run`.

pub mod adopt;
pub mod ci;
pub mod dist;
pub mod merge;
pub mod test;
pub mod toolchain;
