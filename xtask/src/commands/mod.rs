//! One module per command: each implements its `flags` struct's `run`.

pub mod toolchain;
