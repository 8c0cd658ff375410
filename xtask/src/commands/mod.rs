//! One module per command: each implements `run` for its `flags` struct, on top of the library modules.

pub mod init;
