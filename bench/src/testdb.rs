//! Test databases at version N: what a test pays for a database ready at N, per backend —
//! `TestDatabase::at` the first time (the template is built) and after (a copy of it), against
//! an empty database and against the `#[sqlx::test]` way (a fresh database, then sqlx's
//! migrator runs the N migrations). Its own section of `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p migrate-bench -- testdb [--reps 5] [--versions 2,200]
//! ```
//!
//! Every timing ends with the database ready: a new connection to it has answered `SELECT 1`.
//! Dropping the database is not timed. Before each first use every template on the server is
//! dropped (`drop_all_templates`), so run it on a server no test suite is using.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};
use migrate_core::testing::{drop_all_templates, Origin, TestDatabase};
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
    /// `TestDatabase::at` with the template built: a copy.
    cloned: Vec<Duration>,
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
        push(timed, &mut result.empty, started);
        db.drop_database().await;
        for (w, at) in workloads.iter().zip(&mut result.at) {
            drop_all_templates(backend(dialect)).await?;
            for first in [true, false] {
                let started = Instant::now();
                let db = TestDatabase::at_with(backend(dialect), &w.set, Target::Latest, &w.config)
                    .await?
                    .context("server not reachable")?;
                ready(dialect, db.url()).await?;
                push(
                    timed,
                    if first { &mut at.first } else { &mut at.cloned },
                    started,
                );
                at.origin = Some(db.origin());
                db.drop_database().await;
            }
            let started = Instant::now();
            let db = TestDatabase::create(backend(dialect))
                .await?
                .context("server not reachable")?;
            sqlx_replay(dialect, db.url(), w).await?;
            push(timed, &mut at.sqlx, started);
            db.drop_database().await;
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

fn push(timed: bool, into: &mut Vec<Duration>, started: Instant) {
    if timed {
        into.push(started.elapsed());
    }
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
    let mut md = format!(
        "{START}\n## Test databases at version N (`TestDatabase::at`)\n\n\
         What a test pays for its own database at version N, median of {reps} per cell, each \
         timed until a new connection to the database answered `SELECT 1` (dropping it is not \
         timed): an empty database (`TestDatabase::create`); `TestDatabase::at` the first time \
         in a run (the template at N is built, then copied) and after (a copy of the \
         template); and the `#[sqlx::test]` way, a fresh database on which sqlx's migrator runs \
         the N migrations. The variants are interleaved within each repetition, after one \
         untimed round. Before each first use every template on the server is dropped. \
         Target: a copy at the largest N costs at most {TARGET}× an empty database.\n\n\
         How a copy is made: PostgreSQL `CREATE DATABASE … TEMPLATE` (the server copies \
         files, as it does for an empty database from `template1`); SQLite a copy of the \
         template file; MariaDB, which has no template databases, recreates each table from \
         `SHOW CREATE TABLE` and copies its rows (`INSERT … SELECT`), the tables shared among \
         up to four sessions — so there a copy costs about one table creation per table, \
         while an empty database is one directory. The generated history (seed as in the \
         main run) has about half as many tables as versions.\n\nCommand: `{command}`\n\n\
         | backend | N | empty | first use (build + copy) | copy | copy made by | sqlx-style replay | copy / empty | target |\n\
         |---|---:|---:|---:|---:|---|---:|---:|---|\n"
    );
    for result in results {
        let b = match result {
            Ok(b) => b,
            Err((dialect, e)) => {
                md.push_str(&format!(
                    "| {} | — | not measured: {e} |||||||\n",
                    backend_name(*dialect)
                ));
                continue;
            }
        };
        let largest = b.at.iter().map(|a| a.n).max();
        for at in &b.at {
            // Per round: the copy over the empty database made in the same round.
            let per_round: Vec<f64> = at
                .cloned
                .iter()
                .zip(&b.empty)
                .map(|(c, e)| stats::ratio(*c, *e))
                .collect();
            let ratio = Ratio::of(&per_round);
            let verdict = match ratio {
                Some(r) if Some(at.n) == largest => {
                    if r.median <= TARGET {
                        "met"
                    } else {
                        "**missed**"
                    }
                }
                _ => "",
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {verdict} |\n",
                backend_name(b.dialect),
                at.n,
                median(&b.empty),
                median(&at.first),
                median(&at.cloned),
                at.origin
                    .map_or("—".to_owned(), |o| format!("{o:?}").to_lowercase()),
                median(&at.sqlx),
                ratio.map_or("—".to_owned(), |r| r.to_string()),
            ));
        }
    }
    md.push('\n');
    md.push_str(END);
    md.push('\n');
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
