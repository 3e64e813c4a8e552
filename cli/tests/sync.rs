//! `sync` against the fake HubSpot, seeded with what an account holds: some desired pairs,
//! extra ones, other labels, and records the input does not name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use fake_hubspot::{Association, Config, FakeHubSpot};
use tokio::process::Command;

const LABEL: i32 = 9_001;

fn default_type() -> i32 {
    hubspot_associations::association_types::default_type("contacts", "companies")
        .expect("HubSpot's table has contacts to companies")
        .id
}

fn association(from_id: u64, to_id: u64, type_id: i32) -> Association {
    Association {
        from_type: "contacts".into(),
        from_id,
        to_type: "companies".into(),
        to_id,
        type_id,
    }
}

/// The pairs the fake holds with `type_id`.
fn held(fake: &FakeHubSpot, type_id: i32) -> BTreeSet<(u64, u64)> {
    fake.associations()
        .iter()
        .filter(|a| a.type_id == type_id)
        .map(|a| (a.from_id, a.to_id))
        .collect()
}

fn write_input(dir: &Path, rows: &[String]) -> PathBuf {
    let path = dir.join("desired.csv");
    std::fs::write(&path, format!("from_id,to_id\n{}\n", rows.join("\n"))).unwrap();
    path
}

fn sync_args(input: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["sync", "--from", "contacts", "--to", "companies", "--input"]
        .map(String::from)
        .to_vec();
    args.push(input.to_str().unwrap().to_owned());
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

fn command(fake: &FakeHubSpot, args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"));
    command
        .env("HUBSPOT_TOKEN", "pat-na1-sync-test")
        .args(args)
        .args(["--base-url", &fake.url(), "--no-progress"]);
    command
}

async fn run(fake: &FakeHubSpot, args: &[String]) -> (Option<i32>, String, String) {
    let output: Output = command(fake, args).output().await.unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The account: records 1 to 20 hold their first desired pair (i, 1000 + i); records 1 to 10
/// also an extra one (i, 3000 + i), and record 5's extra one carries the label too; records 1
/// to 4 hold a pair with the label only (i, 4000 + i); record 30, named by the input with no
/// pair, holds (30, 3030); records 100 to 104, not in the input, hold (i, 5000 + i).
/// The input wants (i, 1000 + i) and (i, 2000 + i) for records 1 to 20, and nothing for 30.
async fn seeded(config: Config) -> (FakeHubSpot, Vec<String>) {
    let fake = FakeHubSpot::start(config).await.unwrap();
    fake.seed_label("contacts", "companies", LABEL, "Billing");
    let default = default_type();
    let mut seeds = Vec::new();
    for i in 1..=20 {
        seeds.push(association(i, 1000 + i, default));
    }
    for i in 1..=10 {
        seeds.push(association(i, 3000 + i, default));
    }
    seeds.push(association(5, 3005, LABEL));
    for i in 1..=4 {
        seeds.push(association(i, 4000 + i, LABEL));
    }
    seeds.push(association(30, 3030, default));
    for i in 100..=104 {
        seeds.push(association(i, 5000 + i, default));
    }
    fake.seed(seeds);
    let mut rows: Vec<String> = (1..=20)
        .flat_map(|i| [format!("{i},{}", 1000 + i), format!("{i},{}", 2000 + i)])
        .collect();
    rows.push("30,".into());
    (fake, rows)
}

fn desired() -> BTreeSet<(u64, u64)> {
    (1..=20)
        .flat_map(|i| [(i, 1000 + i), (i, 2000 + i)])
        .collect()
}

fn out_of_scope() -> BTreeSet<(u64, u64)> {
    (100..=104).map(|i| (i, 5000 + i)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn add_creates_the_missing_pairs_and_a_second_run_writes_nothing() {
    let (fake, rows) = seeded(Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), &rows);
    let before = held(&fake, default_type());
    let (code, _, text) = run(&fake, &sync_args(&input, &[])).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("21 from-records read: 20 created, 0 removed, 20 unchanged, 0 failed"),
        "{text}"
    );
    let expected: BTreeSet<(u64, u64)> = before.union(&desired()).copied().collect();
    assert_eq!(
        held(&fake, default_type()),
        expected,
        "only the missing pairs added"
    );
    assert_eq!(held(&fake, LABEL).len(), 5, "labels as they were");

    let requests = fake.stats().requests;
    let (code, _, text) = run(&fake, &sync_args(&input, &[])).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("HubSpot already matches the input (21 from-records read, 40 pairs unchanged); nothing was written"),
        "{text}"
    );
    assert_eq!(
        fake.stats().requests - requests,
        1,
        "one batch read, no write"
    );
    assert_eq!(fake.repeated_creations(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn mirror_makes_the_kind_equal_to_the_input_for_its_records_only() {
    let (fake, rows) = seeded(Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), &rows);
    let args = sync_args(&input, &["--mode", "mirror"]);
    let (code, _, text) = run(&fake, &args).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("21 from-records read: 20 created, 11 removed, 20 unchanged, 0 failed"),
        "{text}"
    );
    assert!(
        text.contains("1 label went with the associations removed"),
        "{text}"
    );
    let expected: BTreeSet<(u64, u64)> = desired().union(&out_of_scope()).copied().collect();
    assert_eq!(held(&fake, default_type()), expected);
    let labels: BTreeSet<(u64, u64)> = (1..=4).map(|i| (i, 4000 + i)).collect();
    assert_eq!(
        held(&fake, LABEL),
        labels,
        "pairs with the label only are another kind, left alone; (5, 3005) went whole"
    );

    let (code, _, text) = run(&fake, &args).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("HubSpot already matches the input"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mirror_of_a_label_removes_that_label_and_keeps_the_pairs() {
    let (fake, _) = seeded(Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // Records 1 and 2 should carry the label on (i, 1000 + i) only.
    let input = write_input(dir.path(), &["1,1001".into(), "2,1002".into()]);
    let args = sync_args(&input, &["--mode", "mirror", "--label", "Billing"]);
    let (code, _, text) = run(&fake, &args).await;
    assert_eq!(code, Some(0), "{text}");
    let labelled: BTreeSet<(u64, u64)> =
        [(1, 1001), (2, 1002), (3, 4003), (4, 4004), (5, 3005)].into();
    assert_eq!(held(&fake, LABEL), labelled);
    assert!(
        held(&fake, default_type()).contains(&(1, 1001)),
        "the unlabelled association stays"
    );
    assert!(!text.contains("labels went"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_removals_are_refused_before_any_write_and_a_dry_run_writes_only_the_plan() {
    let (fake, _) = seeded(Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // A truncated file: one record of twenty.
    let input = write_input(dir.path(), &["1,1001".into(), "2,".into(), "3,".into()]);
    let all = fake.associations();

    let args = sync_args(&input, &["--mode", "mirror", "--dry-run"]);
    let (code, stdout, text) = run(&fake, &args).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        stdout
            .contains("3 from-records read, 1 pair desired: 0 to create, 5 to remove, 1 unchanged"),
        "{stdout}"
    );
    assert_eq!(
        fake.associations(),
        all,
        "a dry run writes nothing to HubSpot"
    );
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        ["desired.csv", "desired.csv.plan.csv"],
        "nor beside the input"
    );
    let plan = std::fs::read_to_string(dir.path().join("desired.csv.plan.csv")).unwrap();
    assert_eq!(
        plan,
        "action,from_id,to_id,labels_lost,outcome,reason\n\
         remove,1,3001,0,,\n\
         remove,2,1002,0,,\n\
         remove,2,3002,0,,\n\
         remove,3,1003,0,,\n\
         remove,3,3003,0,,\n"
    );

    let args = sync_args(&input, &["--mode", "mirror", "--max-removals", "4"]);
    let (code, _, text) = run(&fake, &args).await;
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("the plan removes 5 associations, more than --max-removals 4 allows; nothing was written"),
        "{text}"
    );
    assert_eq!(fake.associations(), all, "refused before any write");

    let args = sync_args(&input, &["--mode", "mirror", "--max-removals", "5"]);
    let (code, _, text) = run(&fake, &args).await;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(fake.associations().len(), all.len() - 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_at_its_association_limit_fails_just_its_pairs() {
    let (fake, _) = seeded(Config {
        association_limit: Some(3),
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Record 1 holds three companies (1001, 3001, 4001): no room for 2001 or 2101. Record 11
    // holds one: room for two.
    let rows = [
        "1,1001", "1,2001", "1,2101", "11,1011", "11,2011", "11,2111",
    ]
    .map(String::from);
    let input = write_input(dir.path(), &rows);
    let (code, _, text) = run(&fake, &sync_args(&input, &[])).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("2 created, 0 removed, 2 unchanged, 2 failed"),
        "{text}"
    );
    let held = held(&fake, default_type());
    assert!(
        held.contains(&(11, 2011)) && held.contains(&(11, 2111)),
        "{held:?}"
    );
    assert!(!held.contains(&(1, 2001)) && !held.contains(&(1, 2101)));
    let failures = std::fs::read_to_string(dir.path().join("desired.csv.failures.csv")).unwrap();
    let lines: Vec<&str> = failures.lines().collect();
    assert_eq!(lines.len(), 3, "{failures}");
    assert!(lines[1].starts_with("3,"), "by input line: {failures}");
    assert!(
        lines[1].contains("Exceeded association limit of 3")
            && lines[1].ends_with(",create,1,2001"),
        "{failures}"
    );
    let status = Command::new(env!("CARGO_BIN_EXE_hubspot-associations"))
        .args(["status", "--input", input.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("line 3: ") && status.contains("Exceeded association limit of 3"),
        "status lists the failed writes: {status}"
    );
    assert!(
        status.contains("select * from plan where outcome = 'failed'"),
        "{status}"
    );
}

/// The next number of a xorshift sequence.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Requests the fake answered with success, and how many of them were writes.
fn answered(fake: &FakeHubSpot) -> (usize, usize) {
    let requests = fake.requests();
    let ok = requests.iter().filter(|r| r.status < 300);
    let writes = ok
        .clone()
        .filter(|r| !r.path.ends_with("/batch/read"))
        .count();
    (ok.count(), writes)
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_in_the_read_and_the_write_resumes_to_the_plan_with_nothing_sent_twice() {
    let fake = FakeHubSpot::start(Config {
        burst_limit: Some((4, Duration::from_millis(400))),
        ..Config::default()
    })
    .await
    .unwrap();
    let default = default_type();
    // 2,000 records: half hold their desired pair, every one an extra pair.
    let mut seeds = Vec::new();
    for i in 1..=2_000 {
        if i % 2 == 0 {
            seeds.push(association(i, 100_000 + i, default));
        }
        seeds.push(association(i, 300_000 + i, default));
    }
    fake.seed(seeds);
    let rows: Vec<String> = (1..=2_000)
        .flat_map(|i| {
            [
                format!("{i},{}", 100_000 + i),
                format!("{i},{}", 200_000 + i),
            ]
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), &rows);
    let args = sync_args(
        &input,
        &[
            "--mode",
            "mirror",
            "--max-removals",
            "2000",
            "--chunk-size",
            "100",
            "--rate-limit",
            "4/400",
            "--concurrency",
            "2",
        ],
    );
    // SYNC_KILL_SEED repeats a run's kill points.
    let seed = std::env::var("SYNC_KILL_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    // Each run reads in 20 requests, then writes in up to 50. Four runs are killed after a
    // random number of answered requests: two while reading, two while writing.
    let mut state = seed | 1;
    let mut points = Vec::new();
    for (round, phase) in ["read", "write", "read", "write"].into_iter().enumerate() {
        let after = match phase {
            "read" => 1 + next(&mut state) % 19,
            _ => 21 + next(&mut state) % 10,
        };
        let (start, writes_before) = answered(&fake);
        let mut child = command(&fake, &args).spawn().unwrap();
        let reached = async {
            while answered(&fake).0 - start < after as usize {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), reached)
            .await
            .unwrap_or_else(|_| panic!("seed {seed}: run {round} gets {after} requests far"));
        child.kill().await.unwrap();
        let wrote = answered(&fake).1 > writes_before;
        assert_eq!(
            wrote,
            phase == "write",
            "seed {seed}: run {round} killed while {phase}ing"
        );
        points.push(after);
    }
    let (code, _, text) = run(&fake, &args).await;
    assert_eq!(
        code,
        Some(0),
        "seed {seed}, kills after {points:?} requests: {text}"
    );
    assert_eq!(
        held(&fake, default),
        (1..=2_000)
            .flat_map(|i| [(i, 100_000 + i), (i, 200_000 + i)])
            .collect(),
        "seed {seed}, kills after {points:?} requests: HubSpot equals the plan"
    );
    assert_eq!(
        fake.repeated_creations(),
        0,
        "seed {seed}, kills after {points:?} requests: each run reads first, so nothing written is \
         written again"
    );
}
