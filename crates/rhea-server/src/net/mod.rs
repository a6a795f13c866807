//! Network drivers: listeners and per-connection tasks. They decode requests and carry
//! bytes; every decision about a command is the engine's.

pub mod conn;
pub mod listener;
pub mod master_link;
