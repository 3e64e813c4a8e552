//! Cursor pagination as a stream of items.

use std::collections::HashSet;
use std::future::Future;

use futures_core::Stream;
use futures_util::{TryStreamExt, stream};

use crate::Error;

/// The most pages one stream reads: a last resort against a server whose cursors never end
/// (at HubSpot's 500 items a page, five million items), beside the check that no cursor comes
/// twice.
pub(crate) const MAX_PAGES: usize = 10_000;

/// Every item of every page from `start`: `fetch(cursor)` reads one page and returns its items
/// and the cursor of the next page (`None` on the last). Pages are read as the stream is
/// polled. A cursor that comes a second time (a cycle, which would never end) or a stream
/// longer than [`MAX_PAGES`] ends with an error.
pub(crate) fn pages<T, F, Fut>(
    operation: &'static str,
    start: Option<String>,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Error>>,
{
    // The state: the fetch, the cursor of the next page (`None` once the last page was read),
    // and every cursor used so far.
    let seen: HashSet<Option<String>> = HashSet::new();
    stream::try_unfold(
        (fetch, Some(start), seen),
        move |(mut fetch, next, mut seen)| async move {
            let Some(cursor) = next else {
                return Ok(None);
            };
            if !seen.insert(cursor.clone()) {
                return Err(Error::InvalidResponse {
                    operation,
                    message: format!("HubSpot returned the page cursor {cursor:?} a second time"),
                });
            }
            if seen.len() > MAX_PAGES {
                return Err(Error::InvalidResponse {
                    operation,
                    message: format!("the list has more than {MAX_PAGES} pages"),
                });
            }
            let (items, after) = fetch(cursor).await?;
            Ok(Some((items, (fetch, after.map(Some), seen))))
        },
    )
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
        assert_eq!(
            results.len(),
            3,
            "the pages at None and x, then the error: {results:?}"
        );
        assert!(matches!(results[..2], [Ok(1), Ok(1)]));
        assert!(matches!(results[2], Err(Error::InvalidResponse { .. })));
    }

    #[tokio::test]
    async fn a_cycle_of_cursors_ends_the_stream_with_an_error() {
        let cycle = |cursor: Option<String>| async move {
            let next = match cursor.as_deref() {
                None | Some("b") => "a",
                _ => "b",
            };
            Ok((vec![0], Some(next.to_owned())))
        };
        let results: Vec<Result<i32, Error>> = pages("list", None, cycle).collect().await;
        assert_eq!(
            results.len(),
            4,
            "pages None, a, b, then a again: {results:?}"
        );
        assert!(
            matches!(&results[3], Err(Error::InvalidResponse { message, .. }) if message.contains("\"a\"")),
            "{results:?}"
        );
    }
}
