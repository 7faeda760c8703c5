//! A response body handed on a chunk at a time instead of read whole: the download of a large
//! answer streams through a bounded channel to a reader that parses as the bytes arrive, so that
//! the body is never held in memory and the server's sending overlaps the client's parsing.

use bytes::Bytes;
use tokio::sync::mpsc;

/// The chunks a bounded sink holds before the sender waits for the reader.
const CHUNKS_HELD: usize = 16;

/// What a streamed body says to its reader.
#[derive(Debug)]
pub enum Chunk {
    /// A body starts: anything read of an earlier attempt's body is void.
    Start,
    /// The next bytes of the body.
    Data(Bytes),
    /// The body ended whole.
    End,
}

/// The sending end, carried by a [`Call`](crate::executor::Call) whose successful body is
/// streamed.
#[derive(Clone)]
pub struct BodySink {
    sender: mpsc::Sender<Chunk>,
}

impl std::fmt::Debug for BodySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodySink")
    }
}

/// A sink and the receiving end its reader drains.
pub fn body_sink() -> (BodySink, mpsc::Receiver<Chunk>) {
    let (sender, receiver) = mpsc::channel(CHUNKS_HELD);
    (BodySink { sender }, receiver)
}

/// The reader stopped before the body ended (it found the body unreadable and said so itself).
#[derive(Debug)]
pub(crate) struct ReaderGone;

impl BodySink {
    /// Hands `chunk` on, waiting while the reader is `CHUNKS_HELD` chunks behind.
    pub(crate) async fn send(&self, chunk: Chunk) -> Result<(), ReaderGone> {
        self.sender.send(chunk).await.map_err(|_| ReaderGone)
    }
}
