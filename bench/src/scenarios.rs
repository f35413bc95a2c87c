//! The sequential scenarios, measured for one runner on one fresh database per round:
//! (a) apply all N, (b) no-op start-up with N applied, (c) revert all N — with the raw
//! one-query floor measured next to migrate's no-op, on the same database, interleaved — and
//! the rounds that run every runner once each, so that runners are compared round by round.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};
use migrate_core::driver::{AnyDriver, Driver as _};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::Dialect;

use crate::checks;
use crate::results::{Round, RunnerResult, Timings};
use crate::runners::{history_query, raw_fetch_in, Client, Runner, Session, Workload};
use crate::sqlx_conn::SqlxConn;
use crate::stats::Human;
use crate::tree::backend_name;

/// How many of each no-op series are run before timing starts (connection and server caches).
pub(crate) const NOOP_WARMUP: usize = 3;

/// A fresh, empty database for one scenario.
pub(crate) struct FreshDb(TestDatabase);

impl FreshDb {
    /// Creates one; fails when the server is unreachable.
    pub(crate) async fn create(dialect: Dialect) -> anyhow::Result<FreshDb> {
        let backend = backend(dialect);
        let db = TestDatabase::create(backend)
            .await?
            .with_context(|| format!("the {backend:?} server is not reachable"))?;
        Ok(FreshDb(db))
    }

    /// Its URL.
    pub(crate) fn url(&self) -> &str {
        self.0.url()
    }

    /// Drops it.
    pub(crate) async fn drop_database(self) {
        self.0.drop_database().await;
    }
}

/// The test backend for a dialect.
pub(crate) fn backend(dialect: Dialect) -> Backend {
    match dialect {
        Dialect::MySql => Backend::MySql,
        Dialect::Postgres => Backend::Postgres,
        Dialect::Sqlite => Backend::Sqlite,
    }
}

/// Runs `rounds` rounds of the sequential scenarios: in each, every runner once, on a fresh
/// database, the order rotated by one runner per round so that none always goes first (or
/// last) and a change in the machine's load over the run touches every runner alike. Runners
/// are then compared round by round.
pub(crate) async fn rounds(
    runners: &[Runner],
    w: &Workload,
    rounds: usize,
    noop_reps: usize,
) -> Vec<RunnerResult> {
    let name = backend_name(w.dialect);
    let mut results: Vec<RunnerResult> = runners
        .iter()
        .map(|&runner| RunnerResult {
            runner,
            rounds: Vec::new(),
            errors: Vec::new(),
        })
        .collect();
    let count = results.len();
    for index in 0..rounds {
        for i in 0..count {
            let result = &mut results[(i + index) % count];
            let label = result.runner.label(w.dialect);
            let mut timings = Timings::default();
            match measure(result.runner, w, noop_reps, &mut timings).await {
                Ok(()) => {
                    let revert = match (result.runner.reverts(), timings.revert.first()) {
                        (true, Some(&r)) => format!(", revert {}", Human(r)),
                        _ => String::new(),
                    };
                    let apply = timings
                        .apply
                        .first()
                        .map_or(String::new(), |&a| format!("apply {}", Human(a)));
                    eprintln!(
                        "{name} round {}/{rounds}: {label}: {apply}{revert}",
                        index + 1
                    );
                    result.rounds.push(Round { index, timings });
                }
                Err(e) => {
                    eprintln!("{name} round {}: {label}: FAILED: {e:#}", index + 1);
                    result.errors.push(format!("{e:#}"));
                }
            }
        }
    }
    results
}

/// Runs one round of `runner`'s sequential scenarios on a fresh database and adds the
/// timings to `into`. Every result is checked against the database before it counts.
pub(crate) async fn measure(
    runner: Runner,
    w: &Workload,
    noop_reps: usize,
    into: &mut Timings,
) -> anyhow::Result<()> {
    let db = FreshDb::create(w.dialect).await?;
    let result = measure_on(runner, w, noop_reps, db.url(), into).await;
    db.drop_database().await;
    result
}

async fn measure_on(
    runner: Runner,
    w: &Workload,
    noop_reps: usize,
    url: &str,
    into: &mut Timings,
) -> anyhow::Result<()> {
    let n = w.versions();
    let mut session = Session::connect(runner, w.dialect, url).await?;
    let mut check = SqlxConn::connect(w.dialect, url).await?;

    let started = Instant::now();
    let applied = session.apply(w).await.context("applying")?;
    let apply = started.elapsed();
    ensure!(
        applied.is_none_or(|a| a == n),
        "applied {applied:?} of {n} versions"
    );
    checks::ensure_applied(&mut check, runner, n).await?;

    let mut noops = Timings::default();
    if runner.keeps_history() {
        noop_start_ups(&mut session, w, noop_reps, &mut noops).await?;
    }

    let mut revert = None;
    if runner.reverts() {
        let started = Instant::now();
        session.revert(w).await.context("reverting")?;
        revert = Some(started.elapsed());
        checks::ensure_reverted(&mut check, w.dialect, runner).await?;
    }
    session.close().await;
    check.close().await;

    into.apply.push(apply);
    into.noop.extend(noops.noop);
    into.revert.extend(revert);
    into.floor_history.extend(noops.floor_history);
    into.floor_select1.extend(noops.floor_select1);
    into.floor_decoded.extend(noops.floor_decoded);
    Ok(())
}

/// (b): `NOOP_WARMUP` untimed, then `noop_reps` timed no-op start-ups of `session` (all `w`
/// applied), each followed on migrate's own connection by one sample of the floors; adds the
/// timed ones to `into`.
async fn noop_start_ups(
    session: &mut Session,
    w: &Workload,
    noop_reps: usize,
    into: &mut Timings,
) -> anyhow::Result<()> {
    let n = w.versions();
    let history = history_query(w.dialect);
    for i in 0..NOOP_WARMUP + noop_reps {
        let started = Instant::now();
        let applied = session
            .apply(w)
            .await
            .context("starting up with nothing to do")?;
        let took = started.elapsed();
        ensure!(
            applied.is_none_or(|a| a == 0),
            "a no-op start-up applied {applied:?} versions"
        );
        // The floor goes with migrate's own connection, interleaved with its no-ops (other
        // runners are compared with it too).
        let mut floors = None;
        if let Session::Migrate(driver, _) = &mut *session {
            floors = Some(floor_sample(driver, &history, n).await?);
        }
        if i >= NOOP_WARMUP {
            into.noop.push(took);
            if let Some((history_took, select1_took, decoded_took)) = floors {
                into.floor_history.push(history_took);
                into.floor_select1.push(select1_took);
                into.floor_decoded.push(decoded_took);
            }
        }
    }
    Ok(())
}

/// One sample of each floor on migrate's connection: the no-op's history query (`n` rows)
/// sent raw through the same client, then a bare round trip, then the query through
/// migrate's driver.
async fn floor_sample(
    driver: &mut AnyDriver,
    history: &str,
    n: usize,
) -> anyhow::Result<(Duration, Duration, Duration)> {
    let started = Instant::now();
    let rows = raw_fetch_in(driver, history).await?;
    let history_took = started.elapsed();
    ensure!(rows == n, "the history query returned {rows} rows");
    let started = Instant::now();
    raw_fetch_in(driver, "SELECT 1").await?;
    let select1_took = started.elapsed();
    let started = Instant::now();
    let mut rows = 0;
    driver.query_each(history, |_| rows += 1).await?;
    let decoded_took = started.elapsed();
    ensure!(rows == n, "the history query returned {rows} rows");
    Ok((history_took, select1_took, decoded_took))
}

/// The client whose floor a runner's no-op start-up is compared with.
pub(crate) fn floor_client(runner: Runner) -> Client {
    match runner {
        Runner::Migrate(client, _) | Runner::Raw(_, client) => client,
        Runner::SqlxMigrator | Runner::Refinery | Runner::JournalFloor => Client::Sqlx,
    }
}
