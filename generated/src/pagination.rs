//! Cursor pagination as a stream of items.

use std::future::Future;

use futures_core::Stream;
use futures_util::{TryStreamExt, stream};

use crate::Error;

/// Every item of every page: `fetch(cursor)` reads one page and returns its items and the
/// cursor of the next page (`None` on the last). Pages are read as the stream is polled.
pub(crate) fn pages<T, F, Fut>(
    operation: &'static str,
    start: Option<String>,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Error>>,
{
    // The state is the cursor of the next page to read: `None` once the last page was read.
    stream::try_unfold((fetch, Some(start)), move |(mut fetch, next)| async move {
        let Some(cursor) = next else {
            return Ok(None);
        };
        let (items, after) = fetch(cursor.clone()).await?;
        if after.is_some() && after == cursor {
            return Err(Error::InvalidResponse {
                operation,
                message: format!(
                    "HubSpot returned the page cursor {after:?} for the page it starts"
                ),
            });
        }
        Ok(Some((items, (fetch, after.map(Some)))))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn items_of_every_page_in_order_then_the_end() {
        let fetch = |cursor: Option<String>| async move {
            Ok(match cursor.as_deref() {
                None => (vec![1, 2], Some("a".to_owned())),
                Some("a") => (vec![], Some("b".to_owned())),
                Some("b") => (vec![3], None),
                Some(other) => panic!("unexpected cursor {other}"),
            })
        };
        let items: Vec<i32> = pages("list", None, fetch).try_collect().await.unwrap();
        assert_eq!(items, [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_repeating_cursor_ends_the_stream_with_an_error() {
        let same = |_cursor: Option<String>| async { Ok((vec![1], Some("x".to_owned()))) };
        let results: Vec<Result<i32, Error>> = pages("list", None, same).collect().await;
        assert_eq!(results.len(), 2, "the first page's item, then the error");
        assert!(matches!(results[0], Ok(1)));
        assert!(matches!(results[1], Err(Error::InvalidResponse { .. })));
    }
}
