//! Persistence commands: SAVE (LASTSAVE lives with the other server commands). BGSAVE
//! arrives with the background snapshot.

use bytes::Bytes;
use rhea_resp::Reply;

use crate::engine::ctx::Ctx;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[Command::new(
    "save",
    1,
    ADMIN | NOSCRIPT | NO_MULTI,
    (0, 0, 0),
    &["admin", "slow", "dangerous"],
    save,
)];

/// SAVE: a blocking snapshot; on failure Redis replies a bare `-ERR`.
fn save(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    match ctx.srv.save() {
        Ok(()) => Reply::ok(),
        Err(_) => Reply::err("ERR"),
    }
}
