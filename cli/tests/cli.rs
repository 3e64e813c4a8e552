//! The `hubspot-associations` binary against the fake HubSpot, as a user runs it.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use fake_hubspot::{Config, FakeHubSpot};
use hubspot_associations::{ApiVersion, with_version};
use tokio::process::Command;

const TOKEN: &str = "pat-na1-cli-test";

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"));
    command.env("HUBSPOT_TOKEN", TOKEN);
    command
}

fn write_pairs(dir: &Path, pairs: impl IntoIterator<Item = (u64, u64)>, extra: &str) -> PathBuf {
    let mut text = String::from("from_id,to_id\n");
    for (from, to) in pairs {
        text.push_str(&format!("{from},{to}\n"));
    }
    text.push_str(extra);
    let path = dir.join("pairs.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn held(fake: &FakeHubSpot) -> BTreeSet<(u64, u64)> {
    fake.associations()
        .iter()
        .map(|a| (a.from_id, a.to_id))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn run<S: AsRef<std::ffi::OsStr>>(args: &[S], fake: &FakeHubSpot) -> Output {
    binary()
        .args(args)
        .args(["--base-url", &fake.url(), "--no-progress"])
        .output()
        .await
        .unwrap()
}

/// `run` with `--api-version version`.
async fn run_in(version: ApiVersion, fake: &FakeHubSpot, args: &[&str]) -> Output {
    let mut args = args.to_vec();
    args.extend(["--api-version", version.as_str()]);
    run(&args, fake).await
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_and_rejected_ids_are_reported_by_line_while_the_rest_goes_on() {
    let fake = FakeHubSpot::start(Config {
        missing_ids: [7, 100_009].into_iter().collect(),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(
        dir.path(),
        (1..=3_000).map(|i| (i, 100_000 + i)),
        "42,\n1,2,3\nabc,9\n",
    );
    let output = run(
        &[
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--type-id",
            "279",
            "--input",
            input.to_str().unwrap(),
        ],
        &fake,
    )
    .await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "something failed: {text}");
    assert!(
        text.contains("line 3002: skipped, an empty id: 42,"),
        "{text}"
    );
    assert!(
        text.contains("line 3003: skipped, 3 columns, expected 2: 1,2,3"),
        "{text}"
    );
    assert!(
        text.contains("associate: 3003 rows: 2998 done, 2 failed, 3 bad, 0 skipped"),
        "{text}"
    );
    let failures = std::fs::read_to_string(dir.path().join("pairs.csv.failures.csv")).unwrap();
    assert_eq!(
        failures,
        "line,reason,from_id,to_id\n\
        8,rejected: VALIDATION_ERROR: No contacts with ID 7 exist,7,100007\n\
        10,rejected: VALIDATION_ERROR: No companies with ID 100009 exist,9,100009\n\
        3002,bad input: an empty id,42,\n\
        3003,\"bad input: 3 columns, expected 2\",1,2,3\n\
        3004,bad input: `abc` is not a record id (record ids are whole numbers below 2^63),abc,9\n"
    );
    let expected: BTreeSet<(u64, u64)> = (1..=3_000)
        .filter(|i| *i != 7 && *i != 9)
        .map(|i| (i, 100_000 + i))
        .collect();
    assert_eq!(held(&fake), expected);
    assert_eq!(
        fake.stats().requests,
        3_000_u64.div_ceil(support::create_cap()),
        "requests at the version's cap"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_validates_and_plans_and_writes_nothing() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), (1..=4_500).map(|i| (i, i + 1)), "x,1\n");
    let output = run(
        &[
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--type-id",
            "279",
            "--input",
            input.to_str().unwrap(),
            "--dry-run",
            "--rate-limit",
            "2/1000",
        ],
        &fake,
    )
    .await;
    let plan = String::from_utf8_lossy(&output.stdout);
    assert!(
        plan.contains("4501 rows: 4500 distinct, 1 bad, 0 settled by an earlier run"),
        "{plan}"
    );
    assert!(plan.contains("4500 to send in 3 requests"), "{plan}");
    assert!(
        plan.contains("about 500 ms at the rate limit"),
        "the third request waits half a second: {plan}"
    );
    assert_eq!(output.status.code(), Some(1), "a bad row fails validation");
    assert_eq!(fake.stats().requests, 0);
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(written, ["pairs.csv"], "no state, lock or failures file");
}

/// Killed with SIGKILL half-way, then run again: the store ends as if the run had never
/// stopped, and only the requests in flight at the kill are sent twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_with_sigkill_resumes_where_it_stopped() {
    let fake = slow_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=6_000).map(|i| (i, 500_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let args = slow_run(&input);
    let mut child = binary()
        .args(&args)
        .args(["--base-url", &fake.url(), "--no-progress"])
        .spawn()
        .unwrap();
    let halfway = async {
        while held(&fake).len() <= 2_000 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), halfway)
        .await
        .expect("the run gets a third of the way");
    child.kill().await.unwrap();
    let held_at_kill = held(&fake).len();
    assert!(held_at_kill < 6_000, "killed before the end");

    let output = run(&args, &fake).await;
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    let skipped: u64 = text
        .split(" skipped")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        skipped >= 2_000,
        "the second run skipped what the first settled: {text}"
    );
    assert!(
        text.contains("6000 rows: 6000 done, 0 failed, 0 bad"),
        "{text}"
    );
    let expected: BTreeSet<(u64, u64)> = pairs.into_iter().collect();
    assert_eq!(held(&fake), expected, "the store equals the input");
    // The resumed process cannot know what the killed one sent within the rate-limit window,
    // so its first requests may meet 429s, which it retries.
    assert!(
        fake.repeated_creations() <= 200,
        "at most the two requests in flight were sent again: {}",
        fake.repeated_creations()
    );
}

/// In every version of the crate, from its registry: a label resolved, pairs associated with
/// it, exported across pages, and archived.
#[tokio::test(flavor = "multi_thread")]
async fn labels_are_resolved_and_archive_and_export_round_trip_in_every_version() {
    for &version in ApiVersion::ALL {
        round_trip(version).await;
    }
}

async fn round_trip(version: ApiVersion) {
    let fake = FakeHubSpot::start(Config {
        batch_read_page: 50,
        ..Config::default()
    })
    .await
    .unwrap();
    define_label(&fake, version).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(
        dir.path(),
        (1..=3).flat_map(|from| (1..=120).map(move |to| (from, 1_000 + to))),
        "",
    );
    let output = run_in(
        version,
        &fake,
        &[
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--label",
            "billing contact",
            "--input",
            input.to_str().unwrap(),
        ],
    )
    .await;
    assert!(output.status.success(), "{version}: {}", stderr(&output));
    assert!(
        fake.associations().iter().all(|a| a.type_id == 1000),
        "{version}: the label's type"
    );

    let ids = dir.path().join("ids.csv");
    std::fs::write(&ids, "id\n1\n2\n3\n4\n").unwrap();
    let exported = dir.path().join("out.csv");
    let output = run_in(
        version,
        &fake,
        &[
            "export",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--input",
            ids.to_str().unwrap(),
            "--output",
            exported.to_str().unwrap(),
        ],
    )
    .await;
    assert!(output.status.success(), "{version}: {}", stderr(&output));
    assert!(
        stderr(&output).contains("4 rows: 4 done, 0 failed"),
        "{version}: record 4 has no associations, which HubSpot answers with an error of its own, and is done: {}",
        stderr(&output)
    );
    let text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 360,
        "{version}: every association, across pages"
    );
    assert!(
        text.contains("\n2,1007,1000,USER_DEFINED,Billing contact\n"),
        "{version}: {text}"
    );

    let removal = write_pairs(dir.path(), (1..=120).map(|to| (2, 1_000 + to)), "");
    let output = run_in(
        version,
        &fake,
        &[
            "archive",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--input",
            removal.to_str().unwrap(),
            "--state",
            dir.path().join("archive.sqlite").to_str().unwrap(),
        ],
    )
    .await;
    assert!(output.status.success(), "{version}: {}", stderr(&output));
    assert!(held(&fake).iter().all(|(from, _)| *from != 2));
    assert_eq!(held(&fake).len(), 240);
}

/// A label that does not exist: the run is refused before anything is sent, naming the
/// labels there are.
#[tokio::test(flavor = "multi_thread")]
async fn a_label_that_does_not_exist_is_refused_with_the_labels_there_are() {
    let version = ApiVersion::newest_generally_available().expect("a generally available version");
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    define_label(&fake, version).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), [(1, 2)], "");
    let output = run_in(
        version,
        &fake,
        &[
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--label",
            "Nope",
            "--input",
            input.to_str().unwrap(),
        ],
    )
    .await;
    let text = stderr(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("no association label `Nope` from contacts to companies; the labels there: Billing contact"),
        "{text}"
    );
    assert!(fake.associations().is_empty(), "nothing was sent");
}

/// Defines the label "Billing contact" through the fake's API, in `version`.
async fn define_label(fake: &FakeHubSpot, version: ApiVersion) {
    let transport = hubspot_associations::Transport::builder(TOKEN)
        .base_url(fake.url())
        .build()
        .unwrap();
    let params = serde_json::json!({"fromObjectType": "contacts", "toObjectType": "companies"});
    let label = serde_json::json!({"label": "Billing contact", "name": "billing_contact"});
    with_version!(version, api, {
        api::Client::new(transport)
            .call_json("create_label", params.as_object().unwrap(), Some(&label))
            .await
            .unwrap()
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_comes_only_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), [(1, 2)], "");
    let output = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"))
        .args(associate(&input, &[]))
        .env_remove("HUBSPOT_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "set a private app's access token in HUBSPOT_TOKEN, or an OAuth app's \
             HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN"
        ),
        "{}",
        stderr(&output)
    );
    let output = binary()
        .args(["associate", "--token", "x"])
        .output()
        .await
        .unwrap();
    assert!(
        stderr(&output).contains("unexpected argument '--token'"),
        "{}",
        stderr(&output)
    );
}

/// A server that echoes the token in its errors: the failures file, the run's state and the
/// summary carry what it said, with the token redacted.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_the_server_echoes_is_in_no_file_the_cli_writes() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.push_faults([fake_hubspot::Fault::json(
        400,
        serde_json::json!({
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": format!("token {TOKEN} is not allowed"),
            "context": {"token": [TOKEN]},
        }),
    )
    .header("x-echo", TOKEN)]);
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), [(1, 2)], "");
    let output = run(
        &[
            "associate",
            "--from",
            "contacts",
            "--to",
            "companies",
            "--chunk-size",
            "1",
            "--input",
            input.to_str().unwrap(),
        ],
        &fake,
    )
    .await;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert!(!said.contains(TOKEN), "{said}");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "{}",
            path.display()
        );
    }
    let shown = status_of(&input).await.unwrap();
    assert!(shown.contains("token [redacted] is not allowed"), "{shown}");
    let failures = std::fs::read_to_string(dir.path().join("pairs.csv.failures.csv")).unwrap();
    assert!(
        failures.contains("token [redacted] is not allowed"),
        "{failures}"
    );
}

/// A fake that lets 4 requests through per 400 ms.
async fn slow_fake() -> FakeHubSpot {
    FakeHubSpot::start(Config {
        burst_limit: Some((4, Duration::from_millis(400))),
        ..Config::default()
    })
    .await
    .unwrap()
}

/// What `status` prints of the run of `input`, or its error.
async fn status_of(input: &Path) -> Result<String, String> {
    let output = binary()
        .args(["status", "--input", input.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    match output.status.success() {
        true => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
        false => Err(stderr(&output)),
    }
}

/// The arguments of `associate` of the pairs of `input`, contacts to companies, then `extra`.
fn associate(input: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = [
        "associate",
        "--from",
        "contacts",
        "--to",
        "companies",
        "--input",
    ]
    .map(String::from)
    .to_vec();
    args.push(input.to_str().unwrap().to_owned());
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

/// `associate` of `input` slowed to a few seconds by the rate limit (of 100 pairs a request,
/// 2 at once, at most 4 per 400 ms).
fn slow_run(input: &Path) -> Vec<String> {
    associate(
        input,
        &[
            "--chunk-size",
            "100",
            "--rate-limit",
            "4/400",
            "--concurrency",
            "2",
        ],
    )
}

/// Two processes on one input at once: exactly one proceeds, the other is refused naming it,
/// and the store ends equal to the input with no pair created twice. While the run goes on,
/// `status` names the process and its progress.
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_of_one_input_at_once_one_proceeds_and_nothing_is_created_twice() {
    let fake = slow_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=3_000).map(|i| (i, 700_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let start = || {
        binary()
            .args(slow_run(&input))
            .args(["--base-url", &fake.url(), "--no-progress"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start(), start());
    let pids = [first.id().unwrap(), second.id().unwrap()];

    let watch = async {
        loop {
            // Until the first run has read the input, there is no state to show.
            let shown = status_of(&input).await.unwrap_or_default();
            if shown.contains("running now") && shown.contains(" done, ") {
                return shown;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let status = tokio::time::timeout(Duration::from_secs(60), watch)
        .await
        .expect("status shows the run while it goes on");

    let outputs = [
        first.wait_with_output().await.unwrap(),
        second.wait_with_output().await.unwrap(),
    ];
    let codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
    let (winner, refused) = match codes.as_slice() {
        [Some(0), Some(2)] => (0, 1),
        [Some(2), Some(0)] => (1, 0),
        _ => panic!(
            "exactly one run proceeds: {codes:?}\n{}\n{}",
            stderr(&outputs[0]),
            stderr(&outputs[1])
        ),
    };
    let refusal = stderr(&outputs[refused]);
    assert!(
        refusal.contains("another run is using the state")
            && refusal.contains(&format!("pid {}", pids[winner])),
        "the refusal names the holder: {refusal}"
    );
    assert!(
        status.contains(&format!("running now: pid {}", pids[winner])),
        "{status}"
    );
    assert!(
        stderr(&outputs[winner]).contains("3000 rows: 3000 done, 0 failed"),
        "{}",
        stderr(&outputs[winner])
    );
    let expected: BTreeSet<(u64, u64)> = pairs.into_iter().collect();
    assert_eq!(held(&fake), expected);
    assert_eq!(fake.repeated_creations(), 0, "no pair was created twice");
    assert_eq!(fake.stats().requests, 30, "each pair sent once");
}

/// `status` after a run with failures: its counts, who ran it, and the failed rows by line;
/// `--retry-failed` sends only those again.
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_a_finished_run_and_retry_failed_sends_only_its_failures() {
    let fake = FakeHubSpot::start(Config {
        missing_ids: [7].into_iter().collect(),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), (1..=50).map(|i| (i, 9_000 + i)), "x,1\n");
    let args = associate(&input, &[]);
    let output = run(&args, &fake).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let shown = status_of(&input).await.unwrap();
    assert!(
        shown.contains("run: associate contacts to companies, default, API"),
        "{shown}"
    );
    assert!(shown.contains("not running"), "{shown}");
    assert!(
        shown.contains("rows: 51: 49 done, 1 failed, 0 pending, 1 bad"),
        "{shown}"
    );
    assert!(shown.contains("  line 8: rejected: "), "{shown}");
    assert!(shown.contains("  line 52: bad input: "), "{shown}");
    assert!(shown.contains(", ended "), "{shown}");

    let before = fake.stats().requests;
    let output = run(&args, &fake).await;
    assert!(
        stderr(&output).contains("49 done, 1 failed, 1 bad, 50 skipped"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fake.stats().requests, before, "nothing is sent again");
    let retry = associate(&input, &["--retry-failed"]);
    let output = run(&retry, &fake).await;
    assert!(
        stderr(&output).contains("49 done, 1 failed, 1 bad, 49 skipped"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        fake.stats().requests,
        before + 1,
        "one request, for the failed pair"
    );
}

/// A state that is not one (a text journal, torn bytes) or that belongs to another input is
/// refused with the file named and a remedy, and left as it was; nothing is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_damaged_or_other_state_is_refused_and_kept() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), [(1, 2), (3, 4)], "");
    let state = dir.path().join("pairs.csv.state.sqlite");
    let args = associate(&input, &[]);
    for foreign in [&b"# journal v1\n1\tok\n2\to\xff\xfe"[..], &[0x53; 8192][..]] {
        std::fs::write(&state, foreign).unwrap();
        let output = run(&args, &fake).await;
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(text.contains("is not a usable run state"), "{text}");
        assert!(
            text.contains("move it away, or give another --state"),
            "{text}"
        );
        assert_eq!(std::fs::read(&state).unwrap(), foreign, "left as it was");
    }
    assert_eq!(fake.stats().requests, 0);

    std::fs::remove_file(&state).unwrap();
    let output = run(&args, &fake).await;
    assert!(output.status.success(), "{}", stderr(&output));
    write_pairs(dir.path(), [(1, 2), (5, 6)], "");
    let output = run(&args, &fake).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("changed since the run state"), "{text}");
}

/// Ctrl-C (SIGINT) stops new requests and lets those in flight finish and be recorded: the
/// run ends with its session closed and everything HubSpot holds recorded, and the next run
/// sends the rest with nothing sent twice.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_finishes_the_requests_in_flight_and_the_next_run_sends_the_rest() {
    let fake = slow_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=6_000).map(|i| (i, 800_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let args = slow_run(&input);
    let child = binary()
        .args(&args)
        .args(["--base-url", &fake.url(), "--no-progress"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = async {
        while held(&fake).len() < 1_000 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), started)
        .await
        .expect("the run gets going");
    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    let output = child.wait_with_output().await.unwrap();
    let text = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(130),
        "interrupted, as a shell tells it: {text}"
    );
    assert!(
        text.contains("interrupted: finishing the requests in flight"),
        "{text}"
    );
    assert!(
        text.contains("rows not sent: run the same command again"),
        "{text}"
    );
    let held_then = held(&fake).len();
    assert!(held_then < 6_000, "stopped before the end");
    let shown = status_of(&input).await.unwrap();
    assert!(
        shown.contains(&format!(
            "rows: 6000: {held_then} done, 0 failed, {} pending",
            6_000 - held_then
        )),
        "everything HubSpot holds is recorded: {shown}"
    );
    assert!(shown.contains(", ended "), "the session ended: {shown}");

    let output = run(&args, &fake).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let expected: BTreeSet<(u64, u64)> = pairs.into_iter().collect();
    assert_eq!(held(&fake), expected);
    assert_eq!(fake.repeated_creations(), 0, "nothing was sent twice");
}

/// Many bad rows: the first hundred are shown on stderr, the rest counted; the plan counts
/// them all.
#[tokio::test(flavor = "multi_thread")]
async fn past_a_hundred_bad_rows_the_rest_are_counted_not_shown() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad: String = (1..=150).map(|i| format!("x{i},1\n")).collect();
    let input = write_pairs(dir.path(), [(1, 2)], &bad);
    let output = run(&associate(&input, &["--dry-run"]), &fake).await;
    let text = stderr(&output);
    assert_eq!(text.matches(": skipped, ").count(), 100, "{text}");
    assert!(text.contains("line 102: skipped"), "{text}");
    assert!(!text.contains("line 103: skipped"), "{text}");
    assert!(text.contains("... and 50 more bad rows, all in"), "{text}");
    let plan = String::from_utf8_lossy(&output.stdout);
    assert!(plan.contains("151 rows: 1 distinct, 150 bad"), "{plan}");
}

/// The wrong file given as input: one line of 300 MB between good rows.
/// The run reports it as one bad row with a short excerpt, sends the other rows, and its
/// memory stays far below the line's size; neither stderr, the state nor the failures file
/// holds more than an excerpt of it.
#[tokio::test(flavor = "multi_thread")]
async fn a_line_of_300_megabytes_is_one_bad_row_and_memory_stays_bounded() {
    use std::io::Write;
    const LINE: usize = 300 * 1024 * 1024;
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.csv");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        file.write_all(b"from_id,to_id\n1,2\n").unwrap();
        let block = vec![b'7'; 1024 * 1024];
        for _ in 0..LINE / block.len() {
            file.write_all(&block).unwrap();
        }
        file.write_all(b"\n3,4\n5,6").unwrap();
    }
    let mut child = binary()
        .args(associate(
            &input,
            &["--base-url", &fake.url(), "--no-progress"],
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr_pipe = child.stderr.take().unwrap();
    let reading = tokio::spawn(async move {
        let mut text = String::new();
        let mut pipe = stderr_pipe;
        tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut text)
            .await
            .unwrap();
        text
    });
    let (peak, status) = support::wait_with_status(&mut child).await;
    let text = reading.await.unwrap();
    println!("peak RSS of a run over a 300 MB line: {} MB", peak / 1024);
    assert_eq!(status.code(), Some(1), "a bad row: {text}");
    assert!(peak > 0 && peak < 100 * 1024, "peak RSS {peak} kB");
    assert!(
        text.contains(&format!(
            "line 3: skipped, longer than 4 KiB or more than 64 fields: not a row of record ids \
             (the wrong file, or a quote never closed?): {}...",
            "7".repeat(64)
        )),
        "{}",
        &text[..text.len().min(2_000)]
    );
    assert!(
        text.len() < 4_096,
        "stderr quotes an excerpt: {} bytes",
        text.len()
    );
    assert!(text.contains("4 rows: 3 done, 0 failed, 1 bad"), "{text}");
    assert_eq!(held(&fake), [(1, 2), (3, 4), (5, 6)].into_iter().collect());
    let failures = std::fs::read_to_string(dir.path().join("pairs.csv.failures.csv")).unwrap();
    assert!(
        failures.len() < 1_024,
        "the failures file quotes an excerpt"
    );
    assert!(
        failures.contains("3,\"bad input: longer than 4 KiB"),
        "{failures}"
    );
    let state = std::fs::metadata(dir.path().join("pairs.csv.state.sqlite")).unwrap();
    assert!(
        state.len() < 1024 * 1024,
        "the state holds an excerpt: {} bytes",
        state.len()
    );
}

/// `--help` of each command says which versions of the registry can run each of its forms:
/// those that have every operation the form sends (as HubSpot's docs describe each form).
#[tokio::test]
async fn help_names_the_versions_that_can_run_each_form_of_a_command() {
    let forms: [(&str, &str, &[&str]); 10] = [
        ("associate", "associate", &["batch_create_default"]),
        ("associate", "associate --type-id", &["batch_create"]),
        (
            "associate",
            "associate --label",
            &["list_labels", "batch_create"],
        ),
        ("archive", "archive --default", &["batch_archive"]),
        ("archive", "archive --type-id", &["batch_archive_labels"]),
        (
            "archive",
            "archive --label",
            &["list_labels", "batch_archive_labels"],
        ),
        ("export", "export", &["batch_read"]),
        (
            "sync",
            "sync --mode mirror",
            &["batch_read", "batch_create_default", "batch_archive"],
        ),
        (
            "sync",
            "sync --mode mirror --type-id",
            &["batch_read", "batch_create", "batch_archive_labels"],
        ),
        (
            "sync",
            "sync --mode mirror --label",
            &[
                "list_labels",
                "batch_read",
                "batch_create",
                "batch_archive_labels",
            ],
        ),
    ];
    for (command, form, operations) in forms {
        let output = binary().args([command, "--help"]).output().await.unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("API versions that can run it:"), "{help}");
        let versions: Vec<&str> = ApiVersion::ALL
            .iter()
            .filter(|version| operations.iter().all(|op| version.operation(op).is_some()))
            .map(|version| version.as_str())
            .collect();
        let line = match versions.is_empty() {
            true => format!("  {form}: no version of this build\n"),
            false => format!("  {form}: {}\n", versions.join(", ")),
        };
        assert!(help.contains(&line), "{command}: no `{line}` in\n{help}");
    }
}

const CLIENT_ID: &str = "cli-client-id";
const CLIENT_SECRET: &str = "cli-client-secret-0000";
const REFRESH_TOKEN: &str = "cli-refresh-token-0000";

/// A fake that is an OAuth app's account, its tokens living `lifetime`.
async fn oauth_fake(lifetime: Duration, rotate: bool) -> FakeHubSpot {
    FakeHubSpot::start(Config {
        oauth: Some(fake_hubspot::OAuthConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            refresh_token: REFRESH_TOKEN.into(),
            token_lifetime: lifetime,
            rotate_refresh_tokens: rotate,
        }),
        ..Config::default()
    })
    .await
    .unwrap()
}

/// The binary as an OAuth app with `refresh_token`, running `args` against `fake`.
fn as_oauth_app(refresh_token: &str, fake: &FakeHubSpot, args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"));
    command
        .env_remove("HUBSPOT_TOKEN")
        .env("HUBSPOT_CLIENT_ID", CLIENT_ID)
        .env("HUBSPOT_CLIENT_SECRET", CLIENT_SECRET)
        .env("HUBSPOT_REFRESH_TOKEN", refresh_token)
        .args(args)
        .args(["--base-url", &fake.url(), "--no-progress"]);
    command
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// 50,000 pairs at a rate that makes the run last about five lifetimes of 2-second tokens,
/// with the refresh token rotated at every refresh: the store ends equal to the input, no
/// pair is created twice, and the newest refresh token is in the file, readable by its owner
/// alone; no access token, client secret or old refresh token is in any file of the run.
#[tokio::test(flavor = "multi_thread")]
async fn an_oauth_run_across_several_token_lifetimes_loses_nothing_and_sends_nothing_twice() {
    let fake = oauth_fake(Duration::from_secs(2), true).await;
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=50_000).map(|i| (i, 1_000_000 + i % 97)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let token_file = dir.path().join("refresh-token");
    let output = as_oauth_app(
        REFRESH_TOKEN,
        &fake,
        &associate(
            &input,
            &[
                "--chunk-size",
                "500",
                "--rate-limit",
                "10/1000",
                "--refresh-token-file",
                token_file.to_str().unwrap(),
            ],
        ),
    )
    .output()
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(held(&fake), pairs.iter().copied().collect());
    assert_eq!(fake.repeated_creations(), 0);
    let stats = fake.stats();
    eprintln!(
        "50,000 pairs: {} requests, {} tokens issued, {} expired-token 401s, {} created twice",
        stats.requests,
        stats.tokens_issued,
        stats.expired_tokens,
        fake.repeated_creations()
    );
    assert!(stats.tokens_issued >= 4, "{stats:?}");
    assert_eq!(stats.token_refusals, 0, "{stats:?}");
    let stored = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(vec![stored.trim().to_owned()], fake.refresh_tokens());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in ["fake-at-", CLIENT_SECRET, REFRESH_TOKEN] {
            assert!(!contains(&bytes, secret), "{secret} in {}", path.display());
            assert!(!said.contains(secret), "{secret} in the output: {said}");
        }
    }
}

/// The app's refresh token is revoked mid-run: the run stops with a non-zero exit, saying
/// why and what to do, with nothing marked failed; after the app is authorized again, the
/// same command with the new refresh token finishes, creating nothing twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_refresh_token_stops_the_run_resumably_and_a_new_one_finishes_it() {
    let fake = oauth_fake(Duration::from_secs(1), false).await;
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=3_000).map(|i| (i, 500_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let args = associate(&input, &["--chunk-size", "100", "--rate-limit", "5/1000"]);
    let run = as_oauth_app(REFRESH_TOKEN, &fake, &args).output();
    let run = tokio::spawn(run);
    // Revoked once a few requests went through, while the first token still works.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while fake.stats().requests < 4 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.revoke_refresh_tokens();
    let output = run.await.unwrap().unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(text.contains("Authorize the app again"), "{text}");
    assert!(text.contains("pairs not sent are pending in"), "{text}");
    let created = held(&fake).len();
    assert!(
        created > 0 && created < pairs.len(),
        "{created} created before the stop"
    );

    fake.grant_refresh_token("cli-refresh-token-new");
    let output = as_oauth_app("cli-refresh-token-new", &fake, &args)
        .output()
        .await
        .unwrap();
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    assert_eq!(held(&fake), pairs.iter().copied().collect());
    assert_eq!(fake.repeated_creations(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_of_both_kinds_or_half_an_oauth_app_are_refused_clearly() {
    let fake = oauth_fake(Duration::from_secs(60), false).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), [(1, 2)], "");
    let both = as_oauth_app(REFRESH_TOKEN, &fake, &associate(&input, &[]))
        .env("HUBSPOT_TOKEN", TOKEN)
        .output()
        .await
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).contains("both HUBSPOT_TOKEN"),
        "{}",
        stderr(&both)
    );
    let half = as_oauth_app(REFRESH_TOKEN, &fake, &associate(&input, &[]))
        .env_remove("HUBSPOT_CLIENT_SECRET")
        .env_remove("HUBSPOT_REFRESH_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(half.status.code(), Some(2));
    assert!(
        stderr(&half).contains("missing: HUBSPOT_CLIENT_SECRET, HUBSPOT_REFRESH_TOKEN"),
        "{}",
        stderr(&half)
    );
    assert_eq!(fake.stats().requests, 0, "nothing was sent");
}

/// `HTTP_PROXY` in the environment: the token request and the calls go through the proxy.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_from_the_environment_carries_the_token_request_and_the_calls() {
    let fake = oauth_fake(Duration::from_secs(60), false).await;
    let proxy = fake_hubspot::ForwardProxy::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), (1..=10).map(|i| (i, 100 + i)), "");
    let output = as_oauth_app(
        REFRESH_TOKEN,
        &fake,
        &associate(&input, &["--chunk-size", "5"]),
    )
    .env("HTTP_PROXY", proxy.url())
    .env_remove("NO_PROXY")
    .env_remove("no_proxy")
    .output()
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let seen = proxy.seen();
    let base = fake.url();
    assert_eq!(
        seen.first().map(String::as_str),
        Some(format!("POST {base}{}", hubspot_associations::OAUTH_TOKEN_PATH).as_str()),
        "{seen:?}"
    );
    assert_eq!(seen.len(), 3, "the token, then two batches: {seen:?}");
    assert_eq!(held(&fake).len(), 10);
}

/// Two runs of different inputs on one account, sharing one budget through a real
/// `redis-server`: each configured for the whole limit, together they stay under it.
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_sharing_a_budget_through_redis_stay_under_the_limit_together() {
    let redis = fake_hubspot::RedisServer::start();
    let fake = FakeHubSpot::start(Config {
        burst_limit: Some((10, Duration::from_secs(1))),
        ..Config::default()
    })
    .await
    .unwrap();
    let runs: Vec<_> = (0..2_u64)
        .map(|worker| {
            let dir = tempfile::tempdir().unwrap();
            let pairs: Vec<(u64, u64)> = (1..=2_500)
                .map(|i| (worker * 100_000 + i, 900_000 + i))
                .collect();
            let input = write_pairs(dir.path(), pairs.iter().copied(), "");
            let args = associate(&input, &["--chunk-size", "100", "--rate-limit", "10/1000"]);
            let output = binary()
                .args(&args)
                .args(["--base-url", &fake.url(), "--no-progress"])
                .args(["--shared-limit", &redis.url()])
                .env("HUBSPOT_BUDGET_KEY", "account-cli-test")
                .output();
            (dir, pairs, tokio::spawn(output))
        })
        .collect();
    let started = std::time::Instant::now();
    let mut all = BTreeSet::new();
    for (_dir, pairs, run) in runs {
        let output = run.await.unwrap().unwrap();
        let text = stderr(&output);
        assert!(output.status.success(), "{text}");
        assert!(text.contains("rate limit shared through Redis"), "{text}");
        all.extend(pairs);
    }
    let stats = fake.stats();
    println!(
        "two runs, 50 requests at 10 per second shared: {} requests, {} answered 429, {:?}",
        stats.requests,
        stats.rate_limited,
        started.elapsed()
    );
    assert_eq!(stats.rate_limited, 0, "together they went past the limit");
    assert_eq!(held(&fake), all);
}

/// HubSpot's ten-secondly limit passes within ten seconds: a 429 of it that asks for eleven
/// days delays the run by about ten seconds, not by the five-minute `max_pause`, and fails
/// nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_ten_secondly_429_asking_for_days_delays_the_run_by_about_ten_seconds() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    fake.push_faults([
        fake_hubspot::Fault::rate_limited("TEN_SECONDLY_ROLLING").header("retry-after", "999999")
    ]);
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=500).map(|i| (i, 700_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let started = std::time::Instant::now();
    let output = run(&associate(&input, &["--chunk-size", "100"]), &fake).await;
    let took = started.elapsed();
    let text = stderr(&output);
    println!("a run with one 429 asking for 999999 s took {took:?}");
    assert!(output.status.success(), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_eq!(held(&fake), pairs.into_iter().collect());
}

/// The daily limit lasts until midnight: the run stops sending, says when it can go on, and
/// leaves the rest pending, none failed; the same command then finishes it, sending nothing
/// twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_daily_429_stops_the_run_resumably_with_nothing_failed() {
    let exhausted = FakeHubSpot::start(Config {
        daily_limit: Some(5),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=2_000).map(|i| (i, 800_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let args = associate(&input, &["--chunk-size", "100", "--concurrency", "2"]);
    let output = run(&args, &exhausted).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("DAILY"), "{text}");
    assert!(
        text.contains("midnight in the account's time zone"),
        "{text}"
    );
    assert!(text.contains("pairs not sent are pending in"), "{text}");
    let status = status_of(&input).await.unwrap();
    assert!(status.contains(" 0 failed"), "{status}");
    let first_day = held(&exhausted);
    assert_eq!(first_day.len(), 500, "five requests of 100 went through");

    let next_day = FakeHubSpot::start(Config::default()).await.unwrap();
    let output = run(&args, &next_day).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let second_day = held(&next_day);
    assert!(first_day.is_disjoint(&second_day), "sent twice");
    let both: BTreeSet<_> = first_day.union(&second_day).copied().collect();
    assert_eq!(both, pairs.into_iter().collect());
}

/// The records of `ids.csv`: 1 to `count`, one association each.
fn write_ids(dir: &Path, count: u64) -> PathBuf {
    let mut text = String::from("id\n");
    for id in 1..=count {
        text.push_str(&format!("{id}\n"));
    }
    let path = dir.join("ids.csv");
    std::fs::write(&path, text).unwrap();
    path
}

async fn seeded_with_one_each(config: Config, count: u64) -> FakeHubSpot {
    let fake = FakeHubSpot::start(config).await.unwrap();
    fake.seed((1..=count).map(|id| fake_hubspot::Association {
        from_type: "contacts".into(),
        from_id: id,
        to_type: "companies".into(),
        to_id: 700_000 + id,
        type_id: 279,
    }));
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_stopped_at_the_daily_limit_goes_on_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_ids(dir.path(), 3_000);
    let output = dir.path().join("associations.csv");
    let args: Vec<String> = [
        "export",
        "--from",
        "contacts",
        "--to",
        "companies",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
        "--chunk-size",
        "100",
        "--concurrency",
        "2",
    ]
    .map(String::from)
    .to_vec();
    let exhausted = seeded_with_one_each(
        Config {
            daily_limit: Some(5),
            ..Config::default()
        },
        3_000,
    )
    .await;
    let first = run(&args, &exhausted).await;
    let text = stderr(&first);
    assert_eq!(first.status.code(), Some(2), "{text}");
    assert!(
        text.contains("2500 records not read are pending in"),
        "{text}"
    );
    assert!(!output.exists(), "no output until every record is read");

    let next_day = seeded_with_one_each(Config::default(), 3_000).await;
    let second = run(&args, &next_day).await;
    let text = stderr(&second);
    assert!(second.status.success(), "{text}");
    assert!(
        text.contains("3000 rows: 3000 done, 0 failed, 0 bad, 500 skipped"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "3000 associations written to {}",
            output.display()
        )),
        "{text}"
    );
    assert_eq!(
        next_day.stats().requests,
        25,
        "only the records not read before"
    );
    let written = std::fs::read_to_string(&output).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 3_001);
    assert_eq!(lines[1], "1,700001,279,HUBSPOT_DEFINED,");
    assert_eq!(lines[3_000], "3000,703000,279,HUBSPOT_DEFINED,");
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_refused_alike_stop_the_run_with_every_pair_pending() {
    let fake = FakeHubSpot::start(Config::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), (1..=1_000).map(|i| (i, 900_000 + i)), "");
    let args: Vec<String> = [
        "associate",
        "--from",
        "contactz",
        "--to",
        "companies",
        "--input",
        input.to_str().unwrap(),
        "--chunk-size",
        "100",
    ]
    .map(String::from)
    .to_vec();
    let output = run(&args, &fake).await;
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("Unable to infer object type from: contactz"),
        "HubSpot's message: {text}"
    );
    assert!(text.contains("1000 pairs not sent are pending"), "{text}");
    let planned = 10;
    assert!(
        fake.stats().requests <= planned + 3,
        "{} requests for {planned} planned",
        fake.stats().requests
    );
    let status = status_of(&input).await.unwrap();
    assert!(
        status.contains("rows: 1000: 0 done, 0 failed, 1000 pending"),
        "{status}"
    );
    assert!(held(&fake).is_empty());
}

/// A relay on a port of its own to `to`, as a network path to HubSpot: aborting the task cuts
/// every connection through it and closes the port.
async fn relay(to: std::net::SocketAddr) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        // Dropped with the task: every connection goes with it.
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((mut inbound, _)) = listener.accept().await {
            connections.spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (address, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn hubspot_unreachable_mid_run_stops_it_and_the_same_command_finishes_it() {
    let fake = slow_fake().await;
    let (through, path) = relay(fake.address()).await;
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<(u64, u64)> = (1..=6_000).map(|i| (i, 600_000 + i)).collect();
    let input = write_pairs(dir.path(), pairs.iter().copied(), "");
    let args = slow_run(&input);
    let child = binary()
        .args(&args)
        .args(["--base-url", &format!("http://{through}"), "--no-progress"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = async {
        while held(&fake).len() < 1_000 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), started)
        .await
        .expect("the run gets going");
    path.abort();
    let output = child.wait_with_output().await.unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("HubSpot could not be reached"), "{text}");
    assert!(text.contains("caused by: "), "the cause underneath: {text}");
    assert!(text.contains("pairs not sent are pending"), "{text}");
    let status = status_of(&input).await.unwrap();
    assert!(status.contains(" 0 failed"), "nothing failed: {status}");

    let output = run(&args, &fake).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(held(&fake), pairs.into_iter().collect());
    assert!(
        fake.repeated_creations() <= 200,
        "at most the two requests in flight at the cut were sent again: {}",
        fake.repeated_creations()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_gets_json_progress_lines_and_no_leftover_files() {
    let fake = slow_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_pairs(dir.path(), (1..=6_000).map(|i| (i, 400_000 + i)), "");
    let mut args = slow_run(&input);
    args.push("--json".into());
    // stderr is a pipe, not a terminal: progress comes as lines.
    let output = binary()
        .args(&args)
        .args(["--base-url", &fake.url()])
        .output()
        .await
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("progress: "),
        "a line every few seconds: {text}"
    );
    assert!(text.contains(" of 6000 pairs, "), "{text}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["command"], "associate");
    assert_eq!(summary["done"], 6_000);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["exit_code"], 0);
    assert!(summary["failures_file"].is_null(), "{summary}");

    let status = binary()
        .args(["status", "--json", "--input", input.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["rows"]["done"], 6_000);
    assert!(status["running"].is_null(), "{status}");
    assert_eq!(status["sessions"].as_array().unwrap().len(), 1);

    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        ["pairs.csv", "pairs.csv.state.sqlite"],
        "no failures file without failures, no -wal, -shm or .lock after the run and status"
    );
}
