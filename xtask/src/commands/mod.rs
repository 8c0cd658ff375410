//! One module per command: each implements `run` for its `flags` struct, on top of the library modules.

pub mod adopt;
pub mod ci;
pub mod dist;
pub mod init;
pub mod merge;
pub mod push;
pub mod test;
pub mod toolchain;
pub mod verify;
