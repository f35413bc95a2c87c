//! The funnel every command that changes the database goes through: take the migration lock
//! (for `up`, waiting in slices and looking between them whether another runner applied
//! everything), read the history and plan, run the command, and release the lock whatever its
//! outcome.

use std::time::{Duration, Instant};

use super::{driver_error, events, Command, Migrator, Report};
use crate::driver::{Driver, LockOutcome};
use crate::history_sql::HistorySql;
use crate::plan::{self, Target};
use crate::{Dialect, Error, Version};

/// How long `up` waits for the lock at a time before it looks again whether another runner
/// has applied everything meanwhile (see `Migrator::wait_for_lock`).
///
/// Short on SQLite, whose busy handler sleeps up to 100 ms between attempts at the lock.
/// MySQL/MariaDB (`GET_LOCK`) and PostgreSQL (`pg_advisory_lock`) grant a waiting session the
/// lock the moment it is released, so there the slice only spaces the looks: each is a history
/// read, and K replicas looking every few milliseconds load the server the holder is migrating.
fn up_lock_slice(dialect: Dialect) -> Duration {
    match dialect {
        Dialect::Sqlite => Duration::from_millis(25),
        Dialect::MySql | Dialect::Postgres => Duration::from_secs(1),
    }
}

/// What waiting for the lock came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wait {
    /// This runner holds the lock.
    Acquired,
    /// `up` only: another runner applied everything while this one waited; the unknown
    /// versions ignored beside it.
    NothingToApply(Vec<Version>),
}

impl Migrator<'_> {
    /// The funnel: lock, run, unlock on every path; a failure is logged as an `error` event.
    pub(super) async fn locked<D: Driver>(
        &self,
        driver: &mut D,
        command: Command,
    ) -> Result<Report, Error> {
        let result = self.lock_and_run(driver, command).await;
        result.inspect_err(|e| events::failed(&command, e))
    }

    /// Recovers, waits for the lock, runs `command` and releases the lock; a failed release
    /// is reported only when the command succeeded.
    async fn lock_and_run<D: Driver>(
        &self,
        driver: &mut D,
        command: Command,
    ) -> Result<Report, Error> {
        self.recover(driver).await?;
        let lock = self.lock_name();
        let started = Instant::now();
        if let Wait::NothingToApply(unknown_versions) =
            self.wait_for_lock(driver, &lock, command).await?
        {
            tracing::debug!(
                waited_ms = started.elapsed().as_millis() as u64,
                "another runner applied everything while this one waited for the lock"
            );
            return Ok(Report {
                unknown_versions,
                ..Report::default()
            });
        }
        tracing::debug!(lock = %lock, waited_ms = started.elapsed().as_millis() as u64, "migration lock taken");
        let result = self.run_locked(driver, command).await;
        let released = driver.unlock(&lock).await;
        match (result, released) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(driver_error("releasing the migration lock")(e)),
            (Ok(report), Ok(())) => Ok(report),
        }
    }

    /// Takes the lock, waiting up to the configured timeout.
    ///
    /// `up` waits in slices (see [`up_lock_slice`]) and, between them, repeats its unlocked
    /// read: once the runner holding the lock has applied everything, this one returns
    /// [`Wait::NothingToApply`] without taking the lock. (SQLite's lock wait is its busy
    /// handler, which sleeps up to 100 ms between retries: K replicas would otherwise take the
    /// lock one after the other, late, each to find nothing to do.) A failed read while waiting
    /// is not an error — SQLite may refuse readers while the holder commits — so the wait
    /// simply goes on.
    async fn wait_for_lock<D: Driver>(
        &self,
        driver: &mut D,
        lock: &str,
        command: Command,
    ) -> Result<Wait, Error> {
        let started = Instant::now();
        let total = self.config.lock_timeout;
        loop {
            let slice = match command {
                Command::Up(_) => total
                    .saturating_sub(started.elapsed())
                    .min(up_lock_slice(driver.dialect())),
                _ => total,
            };
            let outcome = driver
                .lock(lock, slice)
                .await
                .map_err(driver_error("taking the migration lock"))?;
            let LockOutcome::TimedOut { holder } = outcome else {
                return Ok(Wait::Acquired);
            };
            let Command::Up(target) = command else {
                return Err(self.lock_timeout(lock, started, holder));
            };
            if let Ok(Some(unknown)) = self.nothing_to_apply(driver, target).await {
                return Ok(Wait::NothingToApply(unknown));
            }
            if started.elapsed() >= total {
                return Err(self.lock_timeout(lock, started, holder));
            }
        }
    }

    /// The error of a wait for `lock` that timed out.
    fn lock_timeout(&self, lock: &str, started: Instant, holder: Option<String>) -> Error {
        Error::LockTimeout {
            lock: lock.to_owned(),
            waited: started.elapsed(),
            holder,
        }
    }

    /// Under the lock: reads the history, plans `command` and runs it.
    async fn run_locked<D: Driver>(
        &self,
        driver: &mut D,
        command: Command,
    ) -> Result<Report, Error> {
        let dialect = driver.dialect();
        let sql = self.sql(dialect);
        // Read and plan first: a command refused by the planner leaves the database untouched,
        // not even with empty history tables.
        let applied = self.read_history(driver).await?;
        let set = self.set;
        let (out_of_order, unknown) = (self.config.out_of_order, self.config.unknown_versions);
        let plan = match command {
            Command::Up(target) => {
                plan::plan_up_with(set, &applied, dialect, target, out_of_order, unknown)?
            }
            Command::Down(target) => plan::plan_down_with(set, &applied, dialect, target, unknown)?,
            Command::Redo => {
                let Some(newest) = applied.last().map(|r| r.version) else {
                    return Ok(Report::default());
                };
                let before = Version::new(newest.get() - 1).map_or(Target::Empty, Target::Version);
                plan::plan_down_with(set, &applied, dialect, before, unknown)?
            }
            Command::Resume(resume) => plan::plan_resume(set, &applied, dialect, resume)?,
            Command::Repair => return self.repair_locked(driver, &sql, &applied).await,
            Command::Baseline(version) => {
                self.ensure_tables(driver, &sql).await?;
                return self.baseline_locked(driver, &sql, &applied, version).await;
            }
            Command::AcceptChecksum(version) => {
                return self
                    .accept_checksum_locked(driver, &sql, &applied, version)
                    .await;
            }
            Command::AcceptSchema => {
                return self.accept_schema_locked(driver, &sql, &applied).await;
            }
        };
        if plan.is_empty() {
            return Ok(Report {
                unknown_versions: plan.unknown_versions,
                ..Report::default()
            });
        }
        self.ensure_tables(driver, &sql).await?;
        let mut report = self.execute(driver, &sql, &plan, &applied).await?;
        report.unknown_versions.clone_from(&plan.unknown_versions);
        if let Command::Redo = command {
            let newest = plan.steps[0].migration.version();
            let applied = self.read_history(driver).await?;
            let again = Target::Version(newest);
            let up = plan::plan_up_with(set, &applied, dialect, again, out_of_order, unknown)?;
            let again = self.execute(driver, &sql, &up, &applied).await?;
            report.steps.extend(again.steps);
            report.drift = again.drift.or(report.drift);
            report.schema_recorded = report.schema_recorded.or(again.schema_recorded);
        }
        Ok(report)
    }

    /// Creates the history and log tables when they do not exist yet.
    async fn ensure_tables<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
    ) -> Result<(), Error> {
        for create in sql.create_tables() {
            driver
                .execute(&create)
                .await
                .map_err(driver_error("creating the history tables"))?;
        }
        Ok(())
    }
}
