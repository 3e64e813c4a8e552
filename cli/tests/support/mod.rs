//! What the CLI's tests and benchmarks share: the peak memory of a run.

#![allow(dead_code, reason = "the tests and the benchmarks each use a part")]

use std::time::Duration;

use hubspot_associations::ApiVersion;
use tokio::process::Child;

/// HubSpot's cap on the inputs of a `batch_create` request in the CLI's default version (the
/// newest generally available), as its spec documents it: what `associate --type-id` sends
/// per request.
pub fn create_cap() -> u64 {
    ApiVersion::newest_generally_available()
        .and_then(|version| version.operation("batch_create"))
        .and_then(|op| op.batch_cap)
        .and_then(|cap| u64::try_from(cap).ok())
        .expect("the default version documents the cap of batch_create")
}

/// The inputs per request the CLI sends through `operation` in its default version when not
/// given `--chunk-size`: HubSpot's cap as the spec documents it, else the crate's default.
pub fn inputs_per_request(operation: &str) -> u64 {
    let version =
        ApiVersion::newest_generally_available().expect("a version is generally available");
    let cap = version
        .operation(operation)
        .unwrap_or_else(|| panic!("{version} has {operation}"))
        .batch_cap;
    hubspot_associations::BulkOptions::default().inputs_per_request(cap) as u64
}

/// The peak resident memory of a running process, from /proc (Linux), in kB.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("VmHWM:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// Waits for the process, sampling its peak memory every 5 ms; the peak in kB and whether it
/// succeeded.
pub async fn wait_with_status(child: &mut Child) -> (u64, std::process::ExitStatus) {
    let pid = child.id().unwrap();
    let mut peak = 0;
    loop {
        if let Some(kb) = peak_rss(pid) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
