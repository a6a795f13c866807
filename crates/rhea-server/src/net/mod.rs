//! Network drivers. Client sockets are non-blocking and driven by the engine thread
//! itself (`listener`, `socket`, polled in `engine::io`), as Redis's event loop does;
//! the replica's link to its master is a tokio task (`master_link`) that talks to the
//! engine through its inbox.

pub mod listener;
pub mod master_link;
pub mod socket;
