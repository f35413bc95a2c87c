//! Test databases at version N: what a test pays for a database ready at N, per backend —
//! `TestDatabase::at` the first time (the template is built), then a claim of a copy made
//! ahead by the pool, and a copy made on the spot (the pool off) — against an empty database
//! and against the `#[sqlx::test]` way (a fresh database, then sqlx's migrator runs the N
//! migrations); and what the pool's background refill spends per copy. Its own section of
//! `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p migrate-bench -- testdb [--reps 5] [--versions 2,200]
//! ```
//!
//! Every timing ends with the database ready: a new connection to it has answered `SELECT 1`.
//! Dropping the database is not timed, nor is waiting for the pool's refill, which happens
//! between the timed steps so that it never runs during one. Before each first use every template on the server is
//! dropped (`drop_all_templates`), so run it on a server no test suite is using.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};
use migrate_core::testing::{
    drop_all_templates, pool_refills, pools_settled, Origin, TestDatabase,
};
use migrate_core::{Dialect, Target};

use crate::runners::Workload;
use crate::scenarios::backend;
use crate::sqlx_conn::SqlxConn;
use crate::stats::{self, Ratio, Summary};
use crate::tree::{self, backend_name, TreeDirs};

/// A copy at the largest N: at most this many times an empty database.
pub(crate) const TARGET: f64 = 1.5;

/// Where the section starts and ends in `BENCHMARKS.md`, so that it can be replaced alone.
const START: &str = "<!-- testdb:start -->";
/// See [`START`].
const END: &str = "<!-- testdb:end -->";

/// The timings at one N.
#[derive(Debug, Default)]
pub(crate) struct AtVersion {
    /// N.
    n: u32,
    /// `TestDatabase::at` with no template yet: build, then copy.
    first: Vec<Duration>,
    /// `TestDatabase::at` with the template built and its pool full: a claim.
    claimed: Vec<Duration>,
    /// Of those, how many came from the pool (the others were copied on the spot).
    pooled: usize,
    /// `TestDatabase::at` with the pool off: a copy made for the test.
    copied: Vec<Duration>,
    /// Each copy the background refill made after a claim.
    refill: Vec<Duration>,
    /// A fresh database and sqlx's migrator over the N migrations.
    sqlx: Vec<Duration>,
    /// How the copies were made (a replay where the backend cannot copy the set).
    origin: Option<Origin>,
}

/// One backend's results.
#[derive(Debug)]
pub(crate) struct BackendTestDb {
    dialect: Dialect,
    /// `TestDatabase::create`: an empty database.
    empty: Vec<Duration>,
    at: Vec<AtVersion>,
}

/// Measures `dialect` at each of `versions`, `reps` times, the variants interleaved.
pub(crate) async fn measure(
    dialect: Dialect,
    versions: &[u32],
    reps: usize,
    seed: u64,
    trees: &Path,
) -> anyhow::Result<BackendTestDb> {
    let mut workloads = Vec::new();
    for &n in versions {
        let dirs = TreeDirs::under(&trees.join(format!("testdb_{n}")), dialect);
        dirs.write(&tree::generate(n, dialect, seed))?;
        workloads.push(Workload::load(&dirs, dialect).await?);
    }
    let mut result = BackendTestDb {
        dialect,
        empty: Vec::new(),
        at: versions
            .iter()
            .map(|&n| AtVersion {
                n,
                ..AtVersion::default()
            })
            .collect(),
    };
    // One untimed round: connections, server caches, the executable's pages.
    for rep in 0..=reps {
        let timed = rep > 0;
        let started = Instant::now();
        let db = TestDatabase::create(backend(dialect))
            .await?
            .context("server not reachable")?;
        ready(dialect, db.url()).await?;
        push(timed, &mut result.empty, started.elapsed());
        db.drop_database().await;
        for (w, at) in workloads.iter().zip(&mut result.at) {
            measure_at(dialect, w, at, rep > 0).await?;
        }
        eprintln!("{} testdb round {rep}/{reps} done", backend_name(dialect));
    }
    drop_all_templates(backend(dialect)).await?;
    Ok(result)
}

/// Measures every backend of `dialects` and returns the section for `BENCHMARKS.md`.
pub(crate) async fn section(
    dialects: &[Dialect],
    versions: &[u32],
    reps: usize,
    seed: u64,
    command: &str,
) -> anyhow::Result<String> {
    let trees = tempfile::tempdir().context("creating a folder for the generated trees")?;
    let mut results = Vec::new();
    for &dialect in dialects {
        eprintln!("== {}: test databases at version N", backend_name(dialect));
        let result = measure(dialect, versions, reps, seed, trees.path()).await;
        results.push(result.map_err(|e| {
            eprintln!("{}: not measured: {e:#}", backend_name(dialect));
            (dialect, format!("{e:#}"))
        }));
    }
    Ok(markdown(&results, reps, command))
}

/// One round at one N: first use, claim (then the refill it causes), copy on the spot, sqlx.
async fn measure_at(
    dialect: Dialect,
    w: &Workload,
    at: &mut AtVersion,
    timed: bool,
) -> anyhow::Result<()> {
    drop_all_templates(backend(dialect)).await?;
    let (db, took) = at_version(dialect, w).await?;
    push(timed, &mut at.first, took);
    at.origin = Some(db.origin());
    db.drop_database().await;
    // The pool fills in the background; a test arriving later claims a copy.
    pools_settled().await;
    let before = pool_refills().len();
    let (db, took) = at_version(dialect, w).await?;
    push(timed, &mut at.claimed, took);
    if timed && db.from_pool() {
        at.pooled += 1;
    }
    db.drop_database().await;
    pools_settled().await;
    if timed {
        at.refill.extend(pool_refills().into_iter().skip(before));
    }
    // The same without a pool: the copy is made for the test. Set and removed while
    // the refill thread is idle (settled above), the only other reader.
    std::env::set_var("MIGRATE_TEST_POOL", "0");
    let copied = at_version(dialect, w).await;
    std::env::remove_var("MIGRATE_TEST_POOL");
    let (db, took) = copied?;
    push(timed, &mut at.copied, took);
    db.drop_database().await;
    let started = Instant::now();
    let db = TestDatabase::create(backend(dialect))
        .await?
        .context("server not reachable")?;
    sqlx_replay(dialect, db.url(), w).await?;
    push(timed, &mut at.sqlx, started.elapsed());
    db.drop_database().await;
    Ok(())
}

fn push(timed: bool, into: &mut Vec<Duration>, took: Duration) {
    if timed {
        into.push(took);
    }
}

/// `TestDatabase::at` of `w`'s latest version, and how long until the database was ready.
async fn at_version(dialect: Dialect, w: &Workload) -> anyhow::Result<(TestDatabase, Duration)> {
    let started = Instant::now();
    let db = TestDatabase::at_with(backend(dialect), &w.set, Target::Latest, &w.config)
        .await?
        .context("server not reachable")?;
    ready(dialect, db.url()).await?;
    Ok((db, started.elapsed()))
}

/// A new connection to `url` answers `SELECT 1`.
async fn ready(dialect: Dialect, url: &str) -> anyhow::Result<()> {
    let mut conn = SqlxConn::connect(dialect, url).await?;
    ensure!(conn.text("SELECT 'ready'").await? == "ready", "SELECT");
    conn.close().await;
    Ok(())
}

/// What `#[sqlx::test(migrations = …)]` does after creating the database.
async fn sqlx_replay(dialect: Dialect, url: &str, w: &Workload) -> anyhow::Result<()> {
    let mut conn = SqlxConn::connect(dialect, url).await?;
    match &mut conn {
        SqlxConn::MySql(c) => w.sqlx.run(c).await?,
        SqlxConn::Postgres(c) => w.sqlx.run(c).await?,
        SqlxConn::Sqlite(c) => w.sqlx.run(c).await?,
    }
    ensure!(conn.text("SELECT 'ready'").await? == "ready", "SELECT");
    conn.close().await;
    Ok(())
}

fn median(samples: &[Duration]) -> String {
    Summary::of(samples).map_or("—".to_owned(), |s| {
        format!("{}", crate::stats::Human(s.median))
    })
}

/// The section for `BENCHMARKS.md`.
pub(crate) fn markdown(
    results: &[Result<BackendTestDb, (Dialect, String)>],
    reps: usize,
    command: &str,
) -> String {
    let size = std::env::var("MIGRATE_TEST_POOL").map_or_else(
        |_| "2, the default".to_owned(),
        |n| format!("{n}, from `MIGRATE_TEST_POOL`"),
    );
    let mut md = format!(
        "{START}\n## Test databases at version N (`TestDatabase::at`)\n\n\
         What a test pays for its own database at version N, median of {reps} per cell, each \
         timed until a new connection to the database answered `SELECT 1` (dropping it is not \
         timed): an empty database (`TestDatabase::create`); `TestDatabase::at` the first time \
         in a run (the template at N is built, then copied, while the pool starts filling in \
         the background); a **claim**, `TestDatabase::at` once the template's pool of copies \
         made ahead is full — what every later test pays; a **copy on the spot**, \
         `TestDatabase::at` with the pool off (`MIGRATE_TEST_POOL=0`), what a test pays when \
         the pool is empty; and the `#[sqlx::test]` way, a fresh database on which sqlx's \
         migrator runs the N migrations. The variants are interleaved within each repetition, \
         after one untimed round; before each first use every template and pooled copy on the \
         server is dropped. Target: a claim at the largest N costs at most {TARGET}× an empty \
         database.\n\n\
         The pool does not make copies cheaper, it makes them earlier: a thread of the test \
         process keeps a few copies per template ready (here {size}) and makes a new \
         one after each claim. **Refill per copy** is that background work, timed by the \
         refill thread (the copy alone, without its connection); here it never overlaps a \
         timed step (the benchmark waits for the pool between steps), but in a test run it \
         competes with the tests for the machine and the server, and a test that finds the \
         pool empty pays for a copy on the spot. How a copy is made: PostgreSQL `CREATE \
         DATABASE … TEMPLATE` (the claim: `ALTER DATABASE … RENAME`); SQLite a copy of the \
         template file (the claim: a `rename(2)`); MariaDB, which has no template databases, \
         recreates each table from `SHOW CREATE TABLE` and copies its rows, the tables shared \
         among up to four sessions (the claim: deleting the copy's row from a `MEMORY` table). \
         The generated history (seed as in the main run) has about half as many tables as \
         versions.\n\nCommand: `{command}`\n\n\
         | backend | N | empty | first use (build + copy) | claim | claims from the pool | copy on the spot | refill per copy (background) | sqlx-style replay | claim / empty | target |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    );
    for result in results {
        match result {
            Ok(b) => md.push_str(&rows(b)),
            Err((dialect, e)) => md.push_str(&format!(
                "| {} | — | not measured: {e} |||||||||\n",
                backend_name(*dialect)
            )),
        }
    }
    md.push('\n');
    md.push_str(END);
    md.push('\n');
    md
}

/// The table's rows of one backend.
fn rows(b: &BackendTestDb) -> String {
    let largest = b.at.iter().map(|a| a.n).max();
    let mut md = String::new();
    for at in &b.at {
        // Per round: the claim over the empty database made in the same round.
        let per_round: Vec<f64> = at
            .claimed
            .iter()
            .zip(&b.empty)
            .map(|(c, e)| stats::ratio(*c, *e))
            .collect();
        let ratio = Ratio::of(&per_round);
        let verdict = match ratio {
            Some(r) if Some(at.n) == largest && r.median <= TARGET => "met",
            Some(_) if Some(at.n) == largest => "**missed**",
            _ => "",
        };
        let made_by = at
            .origin
            .map_or("—".to_owned(), |o| format!("{o:?}").to_lowercase());
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {}/{} | {} ({made_by}) | {} | {} | {} | {verdict} |\n",
            backend_name(b.dialect),
            at.n,
            median(&b.empty),
            median(&at.first),
            median(&at.claimed),
            at.pooled,
            at.claimed.len(),
            median(&at.copied),
            median(&at.refill),
            median(&at.sqlx),
            ratio.map_or("—".to_owned(), |r| r.to_string()),
        ));
    }
    md
}

/// `text` with its test-database section replaced by `section`, or `section` appended.
pub(crate) fn splice(text: &str, section: &str) -> String {
    crate::section::splice(text, (START, END), section)
}

/// The section already in `text`, if any (kept when the main benchmark rewrites the file).
pub(crate) fn existing(text: &str) -> Option<String> {
    crate::section::existing(text, (START, END))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_its_own_section() {
        let old = format!("# B\n\n{START}\nold\n{END}\n\ntail\n");
        let new = format!("{START}\nnew\n{END}\n");
        let spliced = splice(&old, &new);
        assert_eq!(spliced, format!("# B\n\n{START}\nnew\n{END}\n\ntail\n"));
        assert_eq!(existing(&spliced).as_deref(), Some(new.as_str()));
        assert_eq!(splice("# B\n", &new), format!("# B\n\n{new}"));
    }
}
