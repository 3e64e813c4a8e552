//! The streams the clients return, usable without pinning or a stream library.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// A stream a client method returns: each request's outcome (`*_chunks`), each item of every
/// page (`*_stream`).
///
/// [`next`](Self::next) reads it with nothing else: no `pin!`, no `futures-util`.
///
/// ```no_run
/// # use hubspot_associations::newest_generally_available::{Client, types};
/// # use hubspot_associations::BulkOptions;
/// # async fn run(client: &Client, pairs: Vec<types::PublicDefaultAssociationMultiPost>) {
/// let mut chunks = client.batch_create_default_chunks("contacts", "companies", pairs, BulkOptions::default());
/// while let Some(outcome) = chunks.next().await {
///     println!("{} done, {} failed", outcome.succeeded.len(), outcome.failed.len());
/// }
/// # }
/// ```
///
/// It is also a [`Stream`] (and `Unpin`), for the combinators of `futures-util` or
/// `tokio-stream`.
pub struct Items<S> {
    stream: Pin<Box<S>>,
}

impl<S: Stream> Items<S> {
    /// Wraps a stream, boxing it once so that the wrapper can move freely.
    pub(crate) fn new(stream: S) -> Self {
        Self {
            stream: Box::pin(stream),
        }
    }

    /// The next item, or `None` after the last.
    pub async fn next(&mut self) -> Option<S::Item> {
        std::future::poll_fn(|cx| self.stream.as_mut().poll_next(cx)).await
    }
}

impl<S: Stream> Stream for Items<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.get_mut().stream.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

impl<S> fmt::Debug for Items<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn next_reads_every_item_then_none_and_it_is_a_stream_too() {
        let mut items = Items::new(futures_util::stream::iter([1, 2]));
        assert_eq!(items.size_hint(), (2, Some(2)));
        assert_eq!(items.next().await, Some(1));
        let rest: Vec<i32> = futures_util::StreamExt::collect(items).await;
        assert_eq!(rest, [2]);
    }
}
