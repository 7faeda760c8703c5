//! Where the executor's jobs come from: an iterator (the input file, the journal's pending lines)
//! or a source that may have nothing now and more later (a queue shared by several runners).

use std::future::Future;
use std::pin::Pin;

use super::Job;

/// What a source has to give.
#[derive(Debug)]
pub enum Next {
    /// A job to send.
    Job(Job),
    /// Nothing now; [`JobSource::changed`] resolves when there may be more.
    Later,
    /// Nothing ever again.
    Done,
}

/// A future a source hands out to be woken by.
pub type Wake<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A stream of jobs the executor pulls from without blocking.
pub trait JobSource {
    /// The next job, if one is at hand.
    fn next(&mut self) -> Next;

    /// Resolves when [`JobSource::next`] may have something new after a [`Next::Later`]. The
    /// default never resolves (a source that never says `Later` needs no wake).
    fn changed(&mut self) -> Wake<'_> {
        Box::pin(std::future::pending())
    }
}

/// An iterator as a source: it never says `Later`.
pub struct IterSource<I>(pub I);

impl<I: Iterator<Item = Job>> JobSource for IterSource<I> {
    fn next(&mut self) -> Next {
        match self.0.next() {
            Some(job) => Next::Job(job),
            None => Next::Done,
        }
    }
}
