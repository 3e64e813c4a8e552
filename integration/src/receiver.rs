//! The crate's webhook receiver example, running: started on a free port of 127.0.0.1, its
//! output read line by line.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The example `webhook_receiver`, serving.
pub struct Receiver {
    child: Child,
    address: String,
    output: tokio::task::JoinHandle<Vec<String>>,
}

impl Receiver {
    /// Starts the example from `examples` (see [`built_examples`](crate::built_examples)),
    /// checking signatures with `secret`, to stop after `exit_after` distinct changes.
    pub async fn start(examples: &Path, secret: &str, exit_after: usize) -> Self {
        let mut child = Command::new(examples.join("webhook_receiver"))
            .env("HUBSPOT_CLIENT_SECRET", secret)
            .env("WEBHOOK_LISTEN", "127.0.0.1:0")
            .env("WEBHOOK_EXIT_AFTER", exit_after.to_string())
            .env_remove("WEBHOOK_PUBLIC_URL")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the example starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the example says where it listens")
            .expect("its output is readable")
            .unwrap_or_default();
        let address = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the first line names the address: {first:?}"))
            .to_owned();
        let output = tokio::spawn(async move {
            let mut all = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                all.push(line);
            }
            all
        });
        Self {
            child,
            address,
            output,
        }
    }

    /// The URL to send webhooks to, with a path and a query, as an app's settings may have.
    pub fn url(&self) -> String {
        format!("http://{}/hubspot/events?app=test%3Aapp", self.address)
    }

    /// Waits up to `timeout` for it to stop on its own; every line it printed after the
    /// first. Panics if it does not stop or fails.
    pub async fn finish(mut self, timeout: Duration) -> Vec<String> {
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .expect("the receiver stops after the changes it was told to wait for")
            .expect("its status is readable");
        assert!(status.success(), "the receiver failed: {status}");
        self.output.await.expect("its output was read")
    }
}
