//! Every pager of every version reads every page, following each cursor, and ends with an
//! error at a cursor it already followed: against a server on 127.0.0.1 that answers with
//! pages made from the operation's success example in the spec.

use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};

use hubspot_associations::{Error, RateLimit, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// One module per version with a pager, generated from the specs by `cargo xtask codegen` and
// printed by prettyplease, not rustfmt.
#[rustfmt::skip]
#[path = "pagers/versions.rs"]
mod versions;

/// A server on 127.0.0.1 that answers the n-th request with the n-th page (the last page
/// again once they run out), one connection per request, and records each request's target.
struct Pages {
    url: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl Pages {
    async fn serve(pages: &[&'static str]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let (log, pages) = (Arc::clone(&targets), pages.to_vec());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut buffer = [0; 1024];
                while !head.windows(4).any(|end| end == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => head.extend_from_slice(&buffer[..read]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                let served = {
                    let mut log = log.lock().unwrap();
                    log.push(target);
                    log.len()
                };
                let page = pages[(served - 1).min(pages.len() - 1)];
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        Self { url, targets }
    }

    fn transport(&self) -> Transport {
        Transport::builder("pat-na1-pager-test")
            .base_url(&self.url)
            .rate_limit(RateLimit::Off)
            .build()
            .unwrap()
    }

    /// The target (path and query) of each request, in order.
    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

/// Checks a pager: `read` (the pager on a transport, collected) reads `first` then `last`,
/// `items` in all, the second request with `followed` (the first page's cursor) in its query;
/// and pages that repeat `first`, whose cursor then repeats, end it with an error.
async fn reads_every_page_once<T, F, Fut>(
    first: &'static str,
    last: &'static str,
    items: usize,
    followed: &str,
    read: F,
) where
    T: Debug,
    F: Fn(Transport) -> Fut,
    Fut: Future<Output = Vec<Result<T, Error>>>,
{
    let pages = Pages::serve(&[first, last]).await;
    let read_all = read(pages.transport()).await;
    assert!(read_all.iter().all(Result::is_ok), "{read_all:?}");
    assert_eq!(read_all.len(), items);
    let targets = pages.targets();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(
        !targets[0].contains(followed) && targets[1].contains(followed),
        "{targets:?}"
    );

    let pages = Pages::serve(&[first]).await;
    let read_all = read(pages.transport()).await;
    assert!(
        matches!(read_all.last(), Some(Err(Error::InvalidResponse { .. }))),
        "a repeated cursor ends the pages with an error: {read_all:?}"
    );
    assert_eq!(pages.targets().len(), 2);
}
