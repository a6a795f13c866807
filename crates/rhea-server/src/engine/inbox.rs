//! The engine's inbox for other threads (signals, the background save and load, the
//! replica's master link, full-sync serialisers): a channel plus a poller waker, so a
//! message wakes the event loop as readily as a socket does.

use std::sync::Arc;

use crossbeam_channel::Sender;

use super::Event;

#[derive(Clone)]
pub struct EngineTx {
    tx: Sender<Event>,
    waker: Arc<mio::Waker>,
}

impl EngineTx {
    pub fn new(tx: Sender<Event>, waker: Arc<mio::Waker>) -> EngineTx {
        EngineTx { tx, waker }
    }

    /// Deliver `ev` and wake the engine. False when the engine is gone.
    pub fn send(&self, ev: Event) -> bool {
        if self.tx.send(ev).is_err() {
            return false;
        }
        let _ = self.waker.wake();
        true
    }
}
