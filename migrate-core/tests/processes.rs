//! Separate processes against one database: 16 runners started at once (each version applied
//! exactly once, a failure releases the waiters), and SIGKILL at every point of a migration
//! (the history tells the truth and `resume` or a re-run finishes the job).
//!
//! The test binary is its own child: with `MIGRATE_CHILD` set, the `child` test runs one
//! migrator and exits.
#![cfg(feature = "testing")]

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::time::{Duration, Instant};

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::history::State;
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{source, Config, Dialect, Error, Migrator, Resume, Target};

const CHILD: &str = "MIGRATE_CHILD_URL";
const CHILD_TREE: &str = "MIGRATE_CHILD_TREE";

#[path = "support/child.rs"]
mod child;
#[path = "suite/forward.rs"]
mod forward;

use forward::{Call, Forward, Hook};

/// Prints `executed <sql>` after every statement that succeeds, so a parent can kill the
/// process between two statements. Batches are split into one `execute` per statement
/// (`SPLIT_BATCHES`), so that every statement is announced on its own and a kill can land
/// between any two of them, the statements of one batch included.
#[derive(Default)]
struct Announces;

impl Hook for Announces {
    const SPLIT_BATCHES: bool = true;
    fn done(&mut self, call: &Call<'_>) {
        if let Call::Execute(sql) = call {
            println!("executed {}", sql.replace('\n', " "));
        }
    }
}

type Announcing = Forward<AnyDriver, Announces>;

/// The child process: migrate `MIGRATE_CHILD_URL` with the tree at `MIGRATE_CHILD_TREE`.
#[test]
fn child() {
    let (Ok(url), Ok(tree)) = (std::env::var(CHILD), std::env::var(CHILD_TREE)) else {
        return; // an ordinary test run
    };
    child::exit_with(async {
        let set = source::load_dir(&tree, &Dialect::ALL).expect("tree");
        let mut driver = Announcing::new(AnyDriver::connect(&url).await.expect("connect"));
        let config = Config::default().lock_timeout(Duration::from_secs(120));
        Migrator::with_config(&set, config)
            .up(&mut driver, Target::Latest)
            .await
    })
}

fn spawn(url: &str, tree: &std::path::Path) -> Child {
    child::command()
        .env(CHILD, url)
        .env(CHILD_TREE, tree)
        .spawn()
        .expect("spawn child")
}

async fn database(backend: Backend) -> Option<TestDatabase> {
    TestDatabase::create(backend).await.expect("test database")
}

fn scalar_sql(dialect: Dialect, expr: &str, from: &str) -> String {
    match dialect {
        Dialect::MySql => format!("SELECT CAST({expr} AS CHAR) FROM {from}"),
        Dialect::Postgres => format!("SELECT ({expr})::text FROM {from}"),
        Dialect::Sqlite => format!("SELECT CAST({expr} AS TEXT) FROM {from}"),
    }
}

// ----------------------------------------------------------------------------------------------
// Sixteen runners at once.

/// Three versions, each recording itself in a side-effect table.
fn racing_tree(fail_in_v2: bool) -> tempfile::TempDir {
    let mut files = vec![
        (
            "V1/up.sql".to_owned(),
            "CREATE TABLE side_effects (version INTEGER NOT NULL);\nINSERT INTO side_effects (version) VALUES (1);".to_owned(),
        ),
        ("V1/down.sql".to_owned(), "DROP TABLE side_effects;".to_owned()),
    ];
    for n in 2..=3 {
        let extra = if fail_in_v2 && n == 2 {
            "\nINSERT INTO no_such_table VALUES (1);"
        } else {
            ""
        };
        files.push((
            format!("V{n}/up.sql"),
            format!("CREATE TABLE t{n} (id INTEGER);\nINSERT INTO side_effects (version) VALUES ({n});{extra}"),
        ));
        files.push((format!("V{n}/down.sql"), format!("DROP TABLE t{n};")));
    }
    child::write_tree(&files)
}

const RUNNERS: usize = 16;
const TRIALS: usize = 20;

async fn sixteen_runners_apply_each_version_once(backend: Backend) {
    let tree = racing_tree(false);
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    for trial in 0..TRIALS {
        let Some(db) = database(backend).await else {
            return;
        };
        let started = Instant::now();
        let children: Vec<Child> = (0..RUNNERS).map(|_| spawn(db.url(), tree.path())).collect();
        for (i, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().expect("child output");
            assert!(
                out.status.success(),
                "trial {trial}, runner {i} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let elapsed = started.elapsed();
        let mut d = AnyDriver::connect(db.url()).await.expect("connect");
        let dialect = d.dialect();
        let history = Migrator::new(&set).history(&mut d).await.expect("history");
        let versions: Vec<u32> = history.iter().map(|r| r.version.get()).collect();
        assert_eq!(versions, [1, 2, 3], "trial {trial}");
        assert!(history.iter().all(|r| r.state == State::Applied));
        let rows = d
            .query(&scalar_sql(
                dialect,
                "version",
                "side_effects ORDER BY version",
            ))
            .await
            .expect("side effects");
        let effects: Vec<String> = rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        assert_eq!(
            effects,
            ["1", "2", "3"],
            "trial {trial}: each version must run exactly once"
        );
        let log = Migrator::new(&set).log(&mut d).await.expect("log");
        assert_eq!(
            log.len(),
            3,
            "trial {trial}: one log row per version: {log:?}"
        );
        eprintln!("{backend:?} trial {trial}: {RUNNERS} runners in {elapsed:?}");
        drop(d);
        db.drop_database().await;
    }
}

async fn failure_releases_the_waiters(backend: Backend) {
    let tree = racing_tree(true);
    let Some(db) = database(backend).await else {
        return;
    };
    let started = Instant::now();
    let children: Vec<Child> = (0..RUNNERS).map(|_| spawn(db.url(), tree.path())).collect();
    let mut stderrs = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("child output");
        assert_eq!(
            out.status.code(),
            Some(2),
            "every runner reports the failure"
        );
        stderrs.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "runners hung: {:?}",
        started.elapsed()
    );
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let mut d = AnyDriver::connect(db.url()).await.expect("connect");
    let history = Migrator::new(&set).history(&mut d).await.expect("history");
    match d.dialect() {
        Dialect::MySql => {
            // One runner failed the statement; every other one found the failed row.
            assert_eq!(history.len(), 2);
            assert_eq!(history[1].state, State::Failed);
            let ran_it = stderrs
                .iter()
                .filter(|e| e.contains("the history row is marked failed"))
                .count();
            let found_row = stderrs
                .iter()
                .filter(|e| e.contains("of 3 in `V2/up.sql`") && e.contains("run `resume`"))
                .count();
            assert_eq!((ran_it, found_row), (1, RUNNERS - 1), "{stderrs:#?}");
        }
        _ => {
            // Each runner tried V2 in its own transaction and rolled back.
            assert_eq!(history.len(), 1);
            assert!(
                stderrs
                    .iter()
                    .all(|e| e.contains("no_such_table") || e.contains("rolled back")),
                "{stderrs:#?}"
            );
        }
    }
    drop(d);
    db.drop_database().await;
}

#[tokio::test]
async fn sixteen_runners_on_sqlite() {
    sixteen_runners_apply_each_version_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn sixteen_runners_on_mariadb() {
    sixteen_runners_apply_each_version_once(Backend::MySql).await;
}

#[tokio::test]
async fn sixteen_runners_on_postgres() {
    sixteen_runners_apply_each_version_once(Backend::Postgres).await;
}

#[tokio::test]
async fn failure_releases_waiters_on_sqlite() {
    failure_releases_the_waiters(Backend::Sqlite).await;
}

#[tokio::test]
async fn failure_releases_waiters_on_mariadb() {
    failure_releases_the_waiters(Backend::MySql).await;
}

#[tokio::test]
async fn failure_releases_waiters_on_postgres() {
    failure_releases_the_waiters(Backend::Postgres).await;
}

// ----------------------------------------------------------------------------------------------
// SIGKILL between every pair of statements.

const CREATES_PER_VERSION: usize = 3;

/// Two versions of three idempotent `CREATE TABLE`s each, with a pause after every one so that
/// a kill lands between two statements.
fn crash_tree() -> tempfile::TempDir {
    let mut files = Vec::new();
    for n in 1..=2 {
        let mut up = |dialect: &str, pause: &str| {
            let body: Vec<String> = (1..=CREATES_PER_VERSION)
                .map(|i| {
                    format!("CREATE TABLE IF NOT EXISTS crash_{n}_{i} (id INTEGER);\n{pause};")
                })
                .collect();
            files.push((format!("V{n}/up.{dialect}.sql"), body.join("\n")));
        };
        up("mysql", "DO SLEEP(0.15)");
        up("postgres", "SELECT pg_sleep(0.15)");
        up(
            "sqlite",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT COUNT(*) FROM c",
        );
        let drops: Vec<String> = (1..=CREATES_PER_VERSION)
            .map(|i| format!("DROP TABLE crash_{n}_{i};"))
            .collect();
        files.push((format!("V{n}/down.sql"), drops.join("\n")));
    }
    child::write_tree(&files)
}

async fn crash_tables(d: &mut AnyDriver) -> usize {
    let sql = match d.dialect() {
        Dialect::MySql => "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'crash%'",
        Dialect::Postgres => "SELECT COUNT(*)::text FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'crash%'",
        Dialect::Sqlite => "SELECT CAST(COUNT(*) AS TEXT) FROM sqlite_master WHERE type = 'table' AND name LIKE 'crash%'",
    };
    let rows = d.query(sql).await.expect("count tables");
    rows[0][0]
        .as_deref()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

async fn sigkill_at_every_point(backend: Backend) {
    let tree = crash_tree();
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let total = 2 * CREATES_PER_VERSION;
    // Kills that left work unfinished: a failed row on MariaDB, a missing version elsewhere.
    let mut interrupted = 0;
    // Kill after the k-th CREATE has completed, for every k, and once before anything ran.
    for k in 0..total {
        let Some(db) = database(backend).await else {
            return;
        };
        kill_after_creates(db.url(), tree.path(), k);

        let m = Migrator::new(&set);
        let mut d = AnyDriver::connect(db.url()).await.expect("connect");
        interrupted += usize::from(history_tells_the_truth(&m, &mut d, k).await);
        m.up(&mut d, Target::Latest)
            .await
            .expect("a re-run finishes");
        assert_eq!(crash_tables(&mut d).await, total, "k={k}");
        let history = m.history(&mut d).await.expect("history");
        assert!(
            history.len() == 2 && history.iter().all(|r| r.state == State::Applied),
            "k={k}"
        );
        drop(d);
        db.drop_database().await;
    }
    // Each kill after k > 0 CREATEs landed in the pause after one, before the migration ended
    // (the k = 0 kill may land before the child even connects).
    assert!(
        interrupted >= total - 1,
        "only {interrupted} of {total} kills interrupted the run"
    );
}

/// Runs a child migrating `url` with `tree`, and SIGKILLs it once its `k`-th CREATE has
/// completed (at once for `k` = 0).
fn kill_after_creates(url: &str, tree: &std::path::Path, k: usize) {
    let mut child = spawn(url, tree);
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = 0;
    if k > 0 {
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("child output");
            if line.starts_with("executed CREATE TABLE IF NOT EXISTS crash_") {
                seen += 1;
                if seen == k {
                    break;
                }
            }
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(seen, k, "the child stopped early");
}

/// After a kill that followed `k` CREATEs, the history tells the truth about the tables. On
/// MariaDB a failed row is refused by `up`, then resumed with the operator's choice. Whether
/// the kill left work unfinished.
async fn history_tells_the_truth(m: &Migrator<'_>, d: &mut AnyDriver, k: usize) -> bool {
    let history = m.history(d).await.expect("history");
    let tables = crash_tables(d).await;
    if d.dialect() != Dialect::MySql {
        // Atomic: a version is applied with all its tables, or absent with none.
        let applied = history.len();
        assert!(history.iter().all(|r| r.state == State::Applied));
        assert_eq!(tables, applied * CREATES_PER_VERSION, "k={k}: {history:?}");
        return applied < 2;
    }
    // Every completed statement is either journaled or the one in flight.
    let done: usize = history
        .iter()
        .map(|r| match r.state {
            State::Applied => CREATES_PER_VERSION,
            State::Failed => (r.statements_done as usize).div_ceil(2),
        })
        .sum();
    assert!(tables >= k && tables <= k + 1, "k={k}: {tables} tables");
    assert!(
        done <= tables && tables <= done + 1,
        "k={k}: journal says {done}, {tables} tables exist: {history:?}"
    );
    let Some(failed) = history.iter().find(|r| r.state == State::Failed) else {
        return false;
    };
    assert_eq!(failed.error, None, "a crash records no error");
    let err = m
        .up(d, Target::Latest)
        .await
        .expect_err("refused after a crash");
    let message = err.to_string();
    assert!(
        matches!(err, Error::FailedMigration { error: None, .. })
            && message.contains("in flight")
            && message.contains("unknown"),
        "k={k}: {message}"
    );
    // The operator's check: the statement in flight took effect when there is one table more
    // than the journal says.
    let choice = match tables > done {
        true => Resume::Skip,
        false => Resume::Rerun,
    };
    m.resume(d, choice).await.expect("resume after the crash");
    true
}

#[tokio::test]
async fn sigkill_at_every_point_on_mariadb() {
    sigkill_at_every_point(Backend::MySql).await;
}

#[tokio::test]
async fn sigkill_at_every_point_on_postgres() {
    sigkill_at_every_point(Backend::Postgres).await;
}

#[tokio::test]
async fn sigkill_at_every_point_on_sqlite() {
    sigkill_at_every_point(Backend::Sqlite).await;
}
