//! The runner: lock, read the history, plan, execute, record — written once for every driver.
//!
//! Every command that changes the database goes through one funnel, `Migrator::locked`,
//! which takes the migration lock, runs the command and releases the lock whatever the
//! command's outcome. A panic or a dropped future cannot skip the release either: drivers close
//! a connection that is dropped while it holds the lock, and every command starts by undoing
//! what an abandoned one left on a driver its caller kept ([`Driver::recover`]).
//!
//! `up` first reads the history without the lock: when the database already matches the
//! binary, that one query is the whole start-up. While another runner holds the lock, `up`
//! waits for it in short slices and repeats that read between them, so that replicas starting
//! together return as soon as the one holding the lock has applied everything, instead of
//! taking the lock in turn only to find nothing to do.
//!
//! How a migration runs depends on what the database can roll back:
//!
//! - **PostgreSQL and SQLite** (transactional DDL): the statements, the history row and the log
//!   row commit together or not at all. A failure leaves no trace but a `failed` log row.
//! - **MySQL/MariaDB** (DDL commits implicitly), and PostgreSQL scripts marked
//!   `-- migrate:no-transaction`: the runner *journals*. It writes a `failed` row with no error
//!   before the first statement, records each statement's completion, and marks the row
//!   `applied` at the end. A failure records the server's error in the row; a crash leaves the
//!   row saying how many statements completed, so at most the statement in flight is unknown.
//!   On MySQL/MariaDB a DML statement commits together with the record of its completion, and
//!   the other journal writes travel with the statements (see `Migrator::run_journaled`).
//!
//! After each applied version the runner describes the schema ([`crate::schema::describe`]; only
//! the tables its statements name, or nothing, where that is all they can change: see
//! [`crate::schema`]) and records its fingerprint, and the change from the schema the history
//! expected before it, in the version's row (inside the transaction where there is one). A run
//! that applies versions first compares the live schema with the expected one, and a run that
//! reverts compares afterwards; a difference is logged as a warning (changes made by hand are
//! then folded into the next version's recorded change). The no-op start-up does none of this:
//! it stays one query.

mod schema_records;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

mod events;
#[cfg(feature = "cli")]
pub(crate) use events::FAILURE_TARGET;

use crate::driver::{
    Batch, BatchError, BatchPart, Driver, DriverError, DriverErrorKind, LockOutcome,
};
use crate::history::{Action, AppliedMigration, HistoryTable, LogRow, Outcome, State};
use crate::history_sql::{self, HistorySql, LogEntry, Millis};
use crate::journal::{Input, JournalPlan, Kind, Outcome as JournalOutcome, Part, Stopped};
use crate::plan::{self, OutOfOrder, Plan, Resume, Step, Target};
use crate::schema::reach::{self, Reach};
use crate::schema::{
    self, Describe, ExpectedSchema, Fingerprint, Found, SchemaChange, SchemaCheck,
    SchemaDescription,
};
use crate::{Dialect, Direction, Error, JournalStop, MigrationSet, Version};

mod lost;
mod recover;

/// How the runner behaves; [`Config::default`] suits most applications.
#[derive(Debug, Clone)]
pub struct Config {
    table: HistoryTable,
    lock_timeout: Duration,
    out_of_order: OutOfOrder,
    actor: String,
    fingerprints: Fingerprints,
}

/// Whether the runner describes the schema after each applied version and records its
/// fingerprint (see [`crate::schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Fingerprints {
    /// After every applied version (the default): `status` and `validate` can report drift,
    /// and runs that apply or revert, and `repair`, compare the live schema with the one
    /// recorded for the last applied version ([`Report::drift`]). Costs one
    /// describe query per run, and per applied version usually one more: scoped to the tables
    /// its statements name where that is all they can change ([`crate::schema`] lists the
    /// forms; on PostgreSQL a scoped description also sets the names in a round trip of its
    /// own, and the runner asks once whether user functions exist), none where they cannot
    /// change the schema (data statements on MySQL/MariaDB and SQLite, and on PostgreSQL when
    /// no user function exists), else the whole schema. The last version of a run, when known
    /// or scoped after scoped descriptions, is also described whole and compared.
    #[default]
    EveryVersion,
    /// Never: no describe query runs, rows record no fingerprint, and drift cannot be
    /// reported (`status` says `not_recorded`). For databases where describing the schema is
    /// too slow and drift is watched by other means.
    Off,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            table: HistoryTable::default(),
            lock_timeout: Duration::from_secs(60),
            out_of_order: OutOfOrder::Reject,
            actor: default_actor(),
            fingerprints: Fingerprints::EveryVersion,
        }
    }
}

impl Config {
    /// The history table (default `schema_history`; the log is `<table>_log`).
    pub fn table(mut self, table: HistoryTable) -> Config {
        self.table = table;
        self
    }

    /// How long to wait for another runner's lock (default 60 s).
    pub fn lock_timeout(mut self, timeout: Duration) -> Config {
        self.lock_timeout = timeout;
        self
    }

    /// Whether unapplied versions older than the newest applied one may run (default: no).
    pub fn out_of_order(mut self, out_of_order: OutOfOrder) -> Config {
        self.out_of_order = out_of_order;
        self
    }

    /// Who is recorded as applying migrations (default `user@host` of this process).
    pub fn actor(mut self, actor: impl Into<String>) -> Config {
        self.actor = actor.into();
        self
    }

    /// Whether to record schema fingerprints (default: after every applied version).
    pub fn fingerprints(mut self, fingerprints: Fingerprints) -> Config {
        self.fingerprints = fingerprints;
        self
    }

    /// The history table.
    pub fn history_table(&self) -> &HistoryTable {
        &self.table
    }
}

/// `user@host` of this process.
fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{user}@{host}")
}

/// What a command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The migrations applied or reverted, in order.
    pub steps: Vec<StepReport>,
    /// Schema drift the command found: the live schema differed from the one recorded for the
    /// last applied version before an `up`, after a revert or after a `repair` (what the
    /// failed version left). It stays reported by `status` and `validate` until
    /// [`Migrator::accept_schema`].
    pub drift: Option<crate::schema::Drift>,
}

/// One migration applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The version.
    pub version: Version,
    /// Its description.
    pub description: String,
    /// Applied or reverted.
    pub direction: Direction,
    /// The script that ran.
    pub script: String,
    /// How many statements ran in this command.
    pub statements: usize,
    /// How long it took.
    pub duration: Duration,
}

/// What a running command is doing, reported to the observer given to
/// [`Migrator::with_progress`] (a progress bar, a log line per migration, …).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A run of `steps` migrations is about to start. `redo` reports two runs (the revert,
    /// then the re-apply).
    Planned {
        /// How many migrations this run applies or reverts.
        steps: usize,
    },
    /// A migration is about to run.
    Started {
        /// Its version.
        version: Version,
        /// Its description.
        description: &'a str,
        /// Applying or reverting.
        direction: Direction,
        /// How many statements will run.
        statements: usize,
    },
    /// A migration finished successfully.
    Finished(&'a StepReport),
}

/// The observer of [`Migrator::with_progress`].
#[derive(Clone)]
struct ProgressHook(Arc<dyn Fn(Progress<'_>) + Send + Sync>);

impl fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressHook(..)")
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// This runner holds the lock.
    Acquired,
    /// `up` only: another runner applied everything while this one waited.
    NothingToApply,
}

/// A command that runs under the lock.
#[derive(Debug, Clone, Copy)]
enum Command {
    Up(Target),
    Down(Target),
    Redo,
    Resume(Resume),
    Repair,
    Baseline(Version),
    AcceptChecksum(Version),
    AcceptSchema,
}

/// Applies and reverts one [`MigrationSet`] on databases reached through a [`Driver`].
#[derive(Debug, Clone)]
pub struct Migrator<'s> {
    set: &'s MigrationSet,
    config: Config,
    progress: Option<ProgressHook>,
}

impl<'s> Migrator<'s> {
    /// A runner for `set` with the default configuration.
    pub fn new(set: &'s MigrationSet) -> Migrator<'s> {
        Migrator::with_config(set, Config::default())
    }

    /// A runner for `set` configured by `config`.
    pub fn with_config(set: &'s MigrationSet, config: Config) -> Migrator<'s> {
        Migrator {
            set,
            config,
            progress: None,
        }
    }

    /// Calls `observer` as migrations start and finish, for a progress display. It runs on the
    /// migrating task, so it should return quickly.
    pub fn with_progress(
        mut self,
        observer: impl Fn(Progress<'_>) + Send + Sync + 'static,
    ) -> Migrator<'s> {
        self.progress = Some(ProgressHook(Arc::new(observer)));
        self
    }

    fn report(&self, event: Progress<'_>) {
        if let Some(ProgressHook(observer)) = &self.progress {
            observer(event);
        }
    }

    /// The set this runner applies.
    pub fn migrations(&self) -> &'s MigrationSet {
        self.set
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies every unapplied version up to `target`.
    ///
    /// When the history already matches the binary this is one query and nothing else.
    pub async fn up<D: Driver>(&self, driver: &mut D, target: Target) -> Result<Report, Error> {
        let command = Command::Up(target);
        self.set
            .check_source_dir()
            .inspect_err(|e| events::failed(&command, e))?;
        self.recover(driver)
            .await
            .inspect_err(|e| events::failed(&command, e))?;
        if self
            .nothing_to_apply(driver, target)
            .await
            .inspect_err(|e| events::failed(&command, e))?
        {
            tracing::debug!("history matches the binary; nothing to apply");
            return Ok(Report::default());
        }
        self.locked(driver, command).await
    }

    /// The unlocked read behind `up`'s shortcut: whether the history already holds everything
    /// up to `target`. Only a shortcut: anything but "nothing to do" is decided under the lock.
    async fn nothing_to_apply<D: Driver>(
        &self,
        driver: &mut D,
        target: Target,
    ) -> Result<bool, Error> {
        let dialect = driver.dialect();
        let sql = self.sql(dialect).select_shortcut();
        let mut shortcut = Shortcut::new(self.set, dialect, target);
        match driver.query_each(&sql, |row| shortcut.row(row)).await {
            Ok(()) => Ok(shortcut.nothing_to_apply()),
            Err(e) if e.kind() == DriverErrorKind::UndefinedTable => {
                Ok(self.set.migrations().is_empty())
            }
            Err(e) => Err(driver_error("reading the history table")(e)),
        }
    }

    /// Reverts every applied version after `target`, newest first.
    pub async fn down<D: Driver>(&self, driver: &mut D, target: Target) -> Result<Report, Error> {
        self.locked(driver, Command::Down(target)).await
    }

    /// Reverts the newest applied version and applies it again.
    pub async fn redo<D: Driver>(&self, driver: &mut D) -> Result<Report, Error> {
        self.locked(driver, Command::Redo).await
    }

    /// Finishes the operation a `failed` row records, from its failed statement on; with
    /// [`Resume::Skip`], from the statement after it (for a statement that took effect). A row
    /// whose statement in flight has an unknown outcome needs [`Resume::Skip`] or
    /// [`Resume::Rerun`]: [`Resume::AfterFix`] is refused with [`Error::ResumeOutcomeUnknown`].
    pub async fn resume<D: Driver>(&self, driver: &mut D, resume: Resume) -> Result<Report, Error> {
        self.locked(driver, Command::Resume(resume)).await
    }

    /// Marks the version of a `failed` row as not applied, after a manual clean-up.
    pub async fn repair<D: Driver>(&self, driver: &mut D) -> Result<Report, Error> {
        self.locked(driver, Command::Repair).await
    }

    /// Records versions 1 to `version` as applied without running them, on a database that
    /// already has that schema and no history.
    pub async fn baseline<D: Driver>(
        &self,
        driver: &mut D,
        version: Version,
    ) -> Result<Report, Error> {
        self.locked(driver, Command::Baseline(version)).await
    }

    /// Records the embedded checksums of `version`'s up and down scripts as the applied ones,
    /// after a deliberate edit.
    pub async fn accept_checksum<D: Driver>(
        &self,
        driver: &mut D,
        version: Version,
    ) -> Result<Report, Error> {
        self.locked(driver, Command::AcceptChecksum(version)).await
    }

    /// Records the live schema as the one after the last applied version, after a change
    /// made outside the migrations (reported as drift) was judged right.
    pub async fn accept_schema<D: Driver>(&self, driver: &mut D) -> Result<Report, Error> {
        self.locked(driver, Command::AcceptSchema).await
    }

    /// Checks the history against the binary and the live schema against the history, without
    /// changing anything: unknown versions, changed checksums, failed rows and schema drift
    /// (see [`Migrator::check_schema`]) are errors.
    pub async fn validate<D: Driver>(&self, driver: &mut D) -> Result<(), Error> {
        let applied = self.history(driver).await?;
        plan::check_history(self.set, &applied, driver.dialect())?;
        plan::check_down_checksums(self.set, &applied, driver.dialect())?;
        plan::reject_failed(self.set, &applied, driver.dialect())?;
        match self.check_schema_against(driver, &applied).await? {
            SchemaCheck::Drifted(drift) => Err(Error::SchemaDrift {
                drift: Box::new(drift),
            }),
            _ => Ok(()),
        }
    }

    /// What `up` to `target` would run, read without the lock and changing nothing.
    pub async fn plan_up<D: Driver>(
        &self,
        driver: &mut D,
        target: Target,
    ) -> Result<Plan<'s>, Error> {
        let applied = self.history(driver).await?;
        plan::plan_up(
            self.set,
            &applied,
            driver.dialect(),
            target,
            self.config.out_of_order,
        )
    }

    /// What `down` to `target` would run, read without the lock and changing nothing.
    pub async fn plan_down<D: Driver>(
        &self,
        driver: &mut D,
        target: Target,
    ) -> Result<Plan<'s>, Error> {
        let applied = self.history(driver).await?;
        plan::plan_down(self.set, &applied, driver.dialect(), target)
    }

    /// Every version, embedded or recorded, with its state: one query, no lock.
    pub async fn status<D: Driver>(
        &self,
        driver: &mut D,
    ) -> Result<Vec<crate::status::VersionStatus>, Error> {
        let applied = self.history(driver).await?;
        Ok(crate::status::status(self.set, &applied, driver.dialect()))
    }

    /// The history rows, in version order (empty when the table does not exist yet).
    pub async fn history<D: Driver>(&self, driver: &mut D) -> Result<Vec<AppliedMigration>, Error> {
        self.recover(driver).await?;
        self.read_history(driver).await
    }

    /// [`Migrator::history`] inside a command, which must not recover (it holds the lock).
    async fn read_history<D: Driver>(
        &self,
        driver: &mut D,
    ) -> Result<Vec<AppliedMigration>, Error> {
        Ok(self
            .read_history_if_exists(driver)
            .await?
            .unwrap_or_default())
    }

    /// The log rows, oldest first (empty when the table does not exist yet).
    pub async fn log<D: Driver>(&self, driver: &mut D) -> Result<Vec<LogRow>, Error> {
        self.recover(driver).await?;
        let sql = self.sql(driver.dialect());
        match driver.query(&sql.select_log()).await {
            Ok(rows) => history_sql::parse_log(rows),
            Err(e) if e.kind() == DriverErrorKind::UndefinedTable => Ok(Vec::new()),
            Err(e) => Err(driver_error("reading the log table")(e)),
        }
    }

    /// One query; `None` when the history table does not exist.
    async fn read_history_if_exists<D: Driver>(
        &self,
        driver: &mut D,
    ) -> Result<Option<Vec<AppliedMigration>>, Error> {
        let sql = self.sql(driver.dialect());
        match driver.query(&sql.select()).await {
            Ok(rows) => history_sql::parse_rows(rows).map(Some),
            Err(e) if e.kind() == DriverErrorKind::UndefinedTable => Ok(None),
            Err(e) => Err(driver_error("reading the history table")(e)),
        }
    }

    fn sql(&self, dialect: Dialect) -> HistorySql {
        HistorySql::new(dialect, &self.config.table)
    }

    /// The name of the migration lock for this history table.
    pub fn lock_name(&self) -> String {
        format!("migrate:{}", self.config.table)
    }

    /// The funnel: lock, run, unlock on every path; a failure is logged as an `error` event.
    async fn locked<D: Driver>(&self, driver: &mut D, command: Command) -> Result<Report, Error> {
        let result = self.lock_and_run(driver, command).await;
        result.inspect_err(|e| events::failed(&command, e))
    }

    async fn lock_and_run<D: Driver>(
        &self,
        driver: &mut D,
        command: Command,
    ) -> Result<Report, Error> {
        self.recover(driver).await?;
        let lock = self.lock_name();
        let started = Instant::now();
        if let Wait::NothingToApply = self.wait_for_lock(driver, &lock, command).await? {
            tracing::debug!(
                waited_ms = started.elapsed().as_millis() as u64,
                "another runner applied everything while this one waited for the lock"
            );
            return Ok(Report::default());
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
            if self.nothing_to_apply(driver, target).await.unwrap_or(false) {
                return Ok(Wait::NothingToApply);
            }
            if started.elapsed() >= total {
                return Err(self.lock_timeout(lock, started, holder));
            }
        }
    }

    fn lock_timeout(&self, lock: &str, started: Instant, holder: Option<String>) -> Error {
        Error::LockTimeout {
            lock: lock.to_owned(),
            waited: started.elapsed(),
            holder,
        }
    }

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
        let plan = match command {
            Command::Up(target) => {
                plan::plan_up(set, &applied, dialect, target, self.config.out_of_order)?
            }
            Command::Down(target) => plan::plan_down(set, &applied, dialect, target)?,
            Command::Redo => {
                let Some(newest) = applied.last().map(|r| r.version) else {
                    return Ok(Report::default());
                };
                let before = Version::new(newest.get() - 1).map_or(Target::Empty, Target::Version);
                plan::plan_down(set, &applied, dialect, before)?
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
            return Ok(Report::default());
        }
        self.ensure_tables(driver, &sql).await?;
        let mut report = self.execute(driver, &sql, &plan, &applied).await?;
        if let Command::Redo = command {
            let newest = plan.steps[0].migration.version();
            let applied = self.read_history(driver).await?;
            let up = plan::plan_up(
                set,
                &applied,
                dialect,
                Target::Version(newest),
                self.config.out_of_order,
            )?;
            let again = self.execute(driver, &sql, &up, &applied).await?;
            report.steps.extend(again.steps);
            report.drift = again.drift.or(report.drift);
        }
        Ok(report)
    }

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

    async fn execute<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        plan: &Plan<'_>,
        applied: &[AppliedMigration],
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        let mut expected = match self.config.fingerprints {
            Fingerprints::EveryVersion => Some(self.expected_schema(driver, sql).await?),
            Fingerprints::Off => None,
        };
        let reverting = plan.steps.iter().all(|s| s.direction == Direction::Down);
        if let Some(expected) = expected.as_mut() {
            let last_up = plan
                .steps
                .iter()
                .rev()
                .find(|s| s.direction == Direction::Up);
            expected.last_up(last_up.map(|s| s.migration.version()));
        }
        if let (false, Some(expected)) = (reverting, expected.as_mut()) {
            report.drift = self.drift_before_up(driver, expected, applied).await?;
        }
        self.report(Progress::Planned {
            steps: plan.steps.len(),
        });
        for step in &plan.steps {
            let span = tracing::info_span!(
                "migration",
                version = step.migration.version().get(),
                direction = %step.direction,
                script = step.script.path(),
            );
            let row = applied
                .iter()
                .find(|r| r.version == step.migration.version());
            self.report(Progress::Started {
                version: step.migration.version(),
                description: step.migration.description(),
                direction: step.direction,
                statements: step.statements.len().saturating_sub(step.start),
            });
            let done = self
                .run_step(driver, sql, step, row, expected.as_mut())
                .instrument(span)
                .await
                .map_err(|e| lost::connection_lost(e, step, driver.dialect()))?;
            self.report(Progress::Finished(&done));
            report.steps.push(done);
        }
        if let (true, Some(expected)) = (reverting, expected.as_mut()) {
            report.drift = self
                .drift_after_revert(driver, expected, applied, plan)
                .await?;
        }
        Ok(report)
    }

    /// The schema the history says the database has: one query.
    async fn expected_schema<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
    ) -> Result<ExpectedSchema, Error> {
        let rows = driver
            .query(&sql.select_changes())
            .await
            .map_err(driver_error("reading the recorded schema changes"))?;
        Ok(ExpectedSchema::new(history_sql::parse_changes(rows)?))
    }

    /// How the schema after `step` will be found ([`ExpectedSchema::how`]), judged from its
    /// statements ([`schema::reach`]) before they run; on PostgreSQL this may ask the server
    /// whether it has functions that statements could run (once, until a version is
    /// described whole).
    async fn how<D: Driver>(
        &self,
        driver: &mut D,
        expected: &mut ExpectedSchema,
        step: &Step<'_>,
    ) -> Result<Describe, Error> {
        let dialect = driver.dialect();
        let reaches: Vec<Reach> = step
            .statements
            .iter()
            .map(|s| reach::reach(s.sql, dialect))
            .collect();
        if expected.needs_functions(&reaches, dialect) {
            let functions = schema::functions(driver).await?;
            expected.set_functions(functions);
        }
        Ok(expected.how(step.migration.version(), &reaches, dialect))
    }

    /// The schema after `step` was applied, found as `how` says: its fingerprint and the
    /// change from the expected schema; `None` when fingerprints are off.
    async fn record_schema<D: Driver>(
        &self,
        driver: &mut D,
        expected: Option<&mut ExpectedSchema>,
        step: &Step<'_>,
        how: Option<&Describe>,
    ) -> Result<Option<(Fingerprint, SchemaChange)>, Error> {
        let (Some(expected), Some(how)) = (expected, how) else {
            return Ok(None);
        };
        let version = step.migration.version();
        let (after, found) = match how {
            Describe::Check(predicted) => {
                let live = self.describe(driver).await?;
                let (predicted, _) = self.predict(driver, expected, predicted).await?;
                let diff = expected.whole(predicted).diff(&live);
                if !diff.is_empty() {
                    tracing::warn!(
                        version = version.get(),
                        "the schema predicted from the statements of this run differs from the \
                         live one, so fingerprints recorded earlier in this run may not be the \
                         live schema's; recorded the live one:\n{diff}"
                    );
                }
                (Found::Whole(live), Describe::Full)
            }
            how => self.predict(driver, expected, how).await?,
        };
        expected.found(&found);
        Ok(Some(expected.applied(version, after)))
    }

    /// The schema after a step, found as `how` says, and how it was in the end found (a
    /// scoped description may have to be whole after all).
    async fn predict<D: Driver>(
        &self,
        driver: &mut D,
        expected: &ExpectedSchema,
        how: &Describe,
    ) -> Result<(Found, Describe), Error> {
        let live = expected.live().is_some();
        Ok(match (how, live) {
            (Describe::Known, true) => (Found::Known, Describe::Known),
            (Describe::Scoped(scope), true) => {
                match schema::describe_scoped(driver, &self.config.table, scope).await? {
                    Some(scoped) => (Found::Scoped(scope.clone(), scoped), how.clone()),
                    None => (Found::Whole(self.describe(driver).await?), Describe::Full),
                }
            }
            _ => (Found::Whole(self.describe(driver).await?), Describe::Full),
        })
    }

    /// The live schema without this runner's history tables.
    async fn describe<D: Driver>(&self, driver: &mut D) -> Result<SchemaDescription, Error> {
        schema::describe(driver, &self.config.table).await
    }

    /// Compares the live schema with the fingerprint recorded for the last applied version,
    /// with a readable diff when they differ: three queries, no lock.
    pub async fn check_schema<D: Driver>(&self, driver: &mut D) -> Result<SchemaCheck, Error> {
        let applied = self.history(driver).await?;
        self.check_schema_against(driver, &applied).await
    }

    /// [`Migrator::check_schema`] with the history rows already read.
    pub(crate) async fn check_schema_against<D: Driver>(
        &self,
        driver: &mut D,
        applied: &[AppliedMigration],
    ) -> Result<SchemaCheck, Error> {
        if applied.is_empty() {
            return Ok(SchemaCheck::NothingApplied);
        }
        let sql = self.sql(driver.dialect());
        let rows = driver
            .query(&sql.select_changes())
            .await
            .map_err(driver_error("reading the recorded schema changes"))?;
        let changes = history_sql::parse_changes(rows)?;
        let live = self.describe(driver).await?;
        Ok(SchemaCheck::compare(applied, &changes, &live))
    }

    async fn run_step<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        step: &Step<'_>,
        row: Option<&AppliedMigration>,
        expected: Option<&mut ExpectedSchema>,
    ) -> Result<StepReport, Error> {
        let started = Instant::now();
        let dialect = driver.dialect();
        let atomic = plan::execution(dialect, step.script) == plan::Execution::Atomic;
        let action = match (row.map(|r| r.state), step.direction) {
            (Some(State::Failed), _) => Action::Resume,
            (_, Direction::Up) => Action::Up,
            (_, Direction::Down) => Action::Down,
        };
        tracing::info!(
            atomic,
            statements = step.statements.len() - step.start.min(step.statements.len()),
            "running"
        );
        events::statements(step);
        let mut expected = expected;
        let how = match (step.direction, expected.as_deref_mut()) {
            (Direction::Up, Some(expected)) => Some(self.how(driver, expected, step).await?),
            _ => None,
        };
        if atomic {
            self.run_atomic(driver, sql, step, action, started, expected, how.as_ref())
                .await?;
        } else {
            self.run_journaled(
                driver,
                sql,
                step,
                action,
                row,
                started,
                expected,
                how.as_ref(),
            )
            .await?;
        }
        let duration = started.elapsed();
        tracing::info!(duration_ms = duration.as_millis() as u64, "done");
        Ok(StepReport {
            version: step.migration.version(),
            description: step.migration.description().to_owned(),
            direction: step.direction,
            script: step.script.path().to_owned(),
            statements: step.statements.len().saturating_sub(step.start),
            duration,
        })
    }

    /// Statements, history row and log row in one transaction.
    ///
    /// Sent as few round trips as the driver allows ([`Driver::execute_batch`]): where the
    /// server can time the unit itself (PostgreSQL) and nothing has to be read between the
    /// statements and the history row (a revert, an apply with fingerprints off, or an apply
    /// whose statements cannot change the schema, whose description is then known before it
    /// runs), the whole unit — `BEGIN`, statements, history row, log row, `COMMIT` — is one
    /// batch. Otherwise `BEGIN` and the statements are one batch and, after describing the
    /// schema, the history row, the log row and `COMMIT` another.
    #[allow(clippy::too_many_arguments)]
    async fn run_atomic<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        step: &Step<'_>,
        action: Action,
        started: Instant,
        expected: Option<&mut ExpectedSchema>,
        how: Option<&Describe>,
    ) -> Result<(), Error> {
        let version = step.migration.version();
        let total = step.statements.len() as u32;
        let statements: Vec<&str> = step.statements[step.start..]
            .iter()
            .map(|s| s.sql)
            .collect();
        // The schema after a version that cannot change it is known before it runs.
        let known = how == Some(&Describe::Known);
        let describe_between = step.direction == Direction::Up && expected.is_some() && !known;
        let mut expected = expected;
        if sql.times_units() && !describe_between {
            let record = match step.direction {
                Direction::Up => {
                    let schema = self
                        .record_schema(driver, expected.as_deref_mut(), step, how)
                        .await?;
                    let mut row = self.applied_row(step, driver.dialect(), total, started);
                    row.fingerprint = schema.as_ref().map(|(fingerprint, _)| *fingerprint);
                    sql.insert_timed(
                        &row,
                        schema.as_ref().map(|(_, change)| change),
                        Millis::SinceBegin,
                    )
                }
                Direction::Down => sql.delete(version),
            };
            let log = sql.log_timed(&self.log_entry(step, action, started), Millis::SinceBegin);
            let mut unit = statements;
            unit.extend([record.as_str(), log.as_str()]);
            let batch = Batch {
                begin: true,
                statements: &unit,
                commit: true,
            };
            if let Err(failed) = driver.execute_batch(batch).await {
                return Err(self
                    .unit_failed(driver, sql, step, action, started, failed)
                    .await);
            }
            if let (Direction::Down, Some(expected)) = (step.direction, expected) {
                expected.reverted(version);
            }
            return Ok(());
        }
        let batch = Batch {
            begin: true,
            statements: &statements,
            commit: false,
        };
        if let Err(failed) = driver.execute_batch(batch).await {
            return Err(self
                .unit_failed(driver, sql, step, action, started, failed)
                .await);
        }
        let record = match step.direction {
            Direction::Up => {
                // Described inside the transaction: the fingerprint is of exactly what commits.
                let schema = match self.record_schema(driver, expected, step, how).await {
                    Ok(schema) => schema,
                    Err(e) => {
                        let _ = driver.rollback().await;
                        return Err(e);
                    }
                };
                let mut row = self.applied_row(step, driver.dialect(), total, started);
                row.fingerprint = schema.as_ref().map(|(fingerprint, _)| *fingerprint);
                sql.insert(&row, schema.as_ref().map(|(_, change)| change))
            }
            Direction::Down => {
                if let Some(expected) = expected {
                    expected.reverted(version);
                }
                sql.delete(version)
            }
        };
        let log = sql.log(&self.log_entry(step, action, started));
        let batch = Batch {
            begin: false,
            statements: &[record.as_str(), log.as_str()],
            commit: true,
        };
        if let Err(failed) = driver.execute_batch(batch).await {
            let _ = driver.rollback().await;
            return Err(match failed.part {
                BatchPart::Commit => driver_error("committing a migration")(failed.error),
                _ => driver_error("recording the migration in the history")(failed.error),
            });
        }
        Ok(())
    }

    /// The log row of a step that succeeded.
    fn log_entry<'a>(
        &'a self,
        step: &'a Step<'_>,
        action: Action,
        started: Instant,
    ) -> LogEntry<'a> {
        let (version, path) = (step.migration.version(), step.script.path());
        self.entry(Some(version), action, Outcome::Ok, Some(path), started)
    }

    /// A log row by this runner's actor, timed from `started`.
    fn entry<'a>(
        &'a self,
        version: Option<Version>,
        action: Action,
        outcome: Outcome,
        detail: Option<&'a str>,
        started: Instant,
    ) -> LogEntry<'a> {
        LogEntry {
            version,
            action,
            outcome,
            detail,
            actor: &self.config.actor,
            duration_ms: millis(started),
        }
    }

    /// A failed batch of an atomic step: rolls back, logs the failure and says which part
    /// failed — a statement of the script (with its number and line), or the runner's own
    /// begin, history write or commit.
    async fn unit_failed<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        step: &Step<'_>,
        action: Action,
        started: Instant,
        failed: BatchError,
    ) -> Error {
        let scripted = step.statements.len() - step.start;
        let failure = match failed.part {
            BatchPart::Statement(i) if i < scripted => {
                self.statement_failed(step, step.start + i, failed.error, true)
            }
            BatchPart::Statement(_) => {
                driver_error("recording the migration in the history")(failed.error)
            }
            BatchPart::Begin => driver_error("starting a transaction")(failed.error),
            BatchPart::Commit => driver_error("committing a migration")(failed.error),
        };
        let rolled_back = driver.rollback().await;
        if let Error::StatementFailed { .. } = failure {
            self.log_failure(
                driver,
                sql,
                step.migration.version(),
                action,
                &failure,
                started,
            )
            .await;
        }
        if let Err(e) = rolled_back {
            tracing::warn!(error = %e, "could not roll back a failed migration");
        }
        failure
    }

    /// The error of the step's statement at `index` (0-based, into the whole script).
    fn statement_failed(
        &self,
        step: &Step<'_>,
        index: usize,
        source: DriverError,
        atomic: bool,
    ) -> Error {
        Error::StatementFailed {
            version: step.migration.version(),
            direction: step.direction,
            script: step.script.path().to_owned(),
            statement: index as u32 + 1,
            line: step.statements[index].line,
            atomic,
            source,
        }
    }

    /// Statement by statement, journaling progress in the history row.
    ///
    /// The row is written before the first statement (`failed`, no error, nothing done), each
    /// statement's completion is recorded, and at the end the row is finished (or, reverting,
    /// removed) together with the log row in one transaction. On MySQL/MariaDB every journal
    /// write is a durable commit, so they are made as few as the contract allows (at most the
    /// statement in flight unknown after a crash):
    ///
    /// - a statement that keeps a transaction open (DML, `DO`, `SELECT`, …; see
    ///   [`crate::implicit_commit`]) runs in a transaction with the write that records its
    ///   completion, and with the journal writes still owed (the row's start, the record of a
    ///   DDL statement before it): they commit together or not at all;
    /// - a statement that commits implicitly (DDL) runs by itself, after the journal writes
    ///   still owed, each committed by itself in the same round trip; the write that records
    ///   its own completion is owed to the next statement;
    /// - the last statement's completion is recorded by the closing write: in its transaction
    ///   when it is DML and nothing has to be described in between; after a last DDL statement
    ///   in the same round trip, in a transaction of its own (the batch stops at a failed
    ///   statement, so it is made only after the statement completed); and with a schema to
    ///   describe, by its own record before the describe query.
    ///
    /// These parts, in this order, travel in one batch for the whole script (one round trip),
    /// cut before and after any statement not known to send back exactly one result
    /// ([`crate::implicit_commit::returns_one_result`]: a `CALL`, an `EXECUTE`, a compound
    /// block, …), whose results would hide which part failed; such a statement also runs
    /// outside a transaction, like DDL (its record goes with the next statement), and, when
    /// last, gets the closing write in a round trip of its own. Batches are also cut at
    /// [`BATCH_BYTES`](crate::journal::BATCH_BYTES). The server runs a batch in order and stops at the first error, and each
    /// statement's record follows it in the batch, so the history row goes through the same
    /// states as if every statement were sent by itself, and wherever the batch stops, the row
    /// tells the truth. A client that dies in the middle of a batch does not stop it at once:
    /// the server goes on until it notices (MariaDB 10.11 ran the rest of the batch in 55 of 55
    /// kills of a client; after a dropped connection, the statement after the one in flight
    /// ran and the closing write did not), while the session keeps the lock, so the next runner
    /// waits for it and a lock timeout names it with its statement (`killed_batch.rs`). The
    /// error reported for a lost connection ([`Error::ConnectionLost`]) may name a statement
    /// earlier than the one in flight, since the results of those in between never arrived;
    /// the row, written by the server, does not.
    ///
    /// The writes that share a DML statement's transaction are exact for transactional tables
    /// (InnoDB): a kill or crash before its `COMMIT` undoes the statement with them. A DML
    /// statement on a non-transactional table (MyISAM, Aria) stays done; were the batch cut off
    /// between it and the `COMMIT`, the row would leave both it and a DDL statement just
    /// before it unknown.
    ///
    /// Elsewhere (PostgreSQL scripts marked `-- migrate:no-transaction`) every part is its own
    /// round trip: a multi-statement query would run as one implicit transaction, which is what
    /// such scripts avoid.
    #[allow(clippy::too_many_arguments)]
    async fn run_journaled<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        step: &Step<'_>,
        action: Action,
        row: Option<&AppliedMigration>,
        started: Instant,
        mut expected: Option<&mut ExpectedSchema>,
        how: Option<&Describe>,
    ) -> Result<(), Error> {
        let dialect = driver.dialect();
        // Whether the closing write needs the schema described first.
        let describe_first = how.is_some_and(|how| how != &Describe::Known);
        // The schema after a step that cannot change it is known before it runs, so that the
        // closing write can still go with the last statement.
        let mut schema = None;
        if step.direction == Direction::Up && !describe_first {
            schema = self
                .record_schema(driver, expected.as_deref_mut(), step, how)
                .await?;
        }
        let closing = (!describe_first)
            .then(|| self.closing(sql, step, dialect, action, started, schema.as_ref()));
        let writes = Writes::new(self, sql, step, row, dialect, started, closing);
        let kinds: Vec<Kind> = step.statements[step.start..]
            .iter()
            .map(|s| Kind::of(s.sql, dialect))
            .collect();
        let input = Input {
            kinds: &kinds,
            start: step.start,
            mark: writes.mark.is_some(),
            batched: dialect.batches(),
            close_with_last: !describe_first,
        };
        let plan = JournalPlan::new(input, |p| writes.text(p, step).len());
        let run = JournalRun {
            sql,
            step,
            action,
            started,
            writes: &writes,
            batched: plan.batched(),
        };
        for (b, batch) in plan.batches().iter().enumerate() {
            let (first, last) = plan.statements_of(batch);
            let span = tracing::debug_span!("statements", first = first + 1, last = last + 1);
            let texts = writes.texts(&batch.parts, step);
            if let Err(failed) = send(driver, plan.batched(), &texts).instrument(span).await {
                let BatchPart::Statement(at) = failed.part else {
                    unreachable!("journal batches neither begin nor commit a unit")
                };
                let stopped = plan.stopped(b, at);
                return Err(self
                    .journal_stopped(driver, &run, stopped, failed.error)
                    .await);
            }
        }
        self.close_journaled(driver, &run, &plan, expected, how, schema)
            .await
    }

    /// After every batch, unless the closing writes went with the last statement: sends the
    /// writes owed when they go first, describes the schema when it was not known before, and
    /// sends the closing writes in a transaction of their own.
    async fn close_journaled<D: Driver>(
        &self,
        driver: &mut D,
        run: &JournalRun<'_>,
        plan: &JournalPlan,
        expected: Option<&mut ExpectedSchema>,
        how: Option<&Describe>,
        schema: Option<(Fingerprint, SchemaChange)>,
    ) -> Result<(), Error> {
        let (sql, step, dialect) = (run.sql, run.step, driver.dialect());
        let describe_first = how.is_some_and(|how| how != &Describe::Known);
        if plan.closed() {
            if let (Direction::Down, Some(expected)) = (step.direction, expected) {
                expected.reverted(step.migration.version());
            }
            return Ok(());
        }
        if plan.sends_owed_first() {
            let owed = run.writes.texts(plan.owed_after(), step);
            if let Err(failed) = send(driver, plan.batched(), &owed).await {
                let stopped = plan.owed_failed();
                return Err(self
                    .journal_stopped(driver, run, stopped, failed.error)
                    .await);
            }
        }
        let schema = match step.direction {
            Direction::Up if !describe_first => schema,
            // If the process stops here, the row stays `failed` with every statement done;
            // `resume` runs none and records the schema.
            Direction::Up => self.record_schema(driver, expected, step, how).await?,
            Direction::Down => {
                if let Some(expected) = expected {
                    expected.reverted(step.migration.version());
                }
                None
            }
        };
        let closing = self.closing(sql, step, dialect, run.action, run.started, schema.as_ref());
        let [record, log] = closing;
        let parts = ["BEGIN", record.as_str(), log.as_str(), "COMMIT"];
        if let Err(failed) = send(driver, plan.batched(), &parts).await {
            let stopped = plan.closing_failed();
            return Err(self
                .journal_stopped(driver, run, stopped, failed.error)
                .await);
        }
        Ok(())
    }

    /// A journaled step stopped: rolls back when a transaction is open, brings the history row
    /// to say where the step stopped (best effort), logs the failure and returns its error.
    async fn journal_stopped<D: Driver>(
        &self,
        driver: &mut D,
        f: &JournalRun<'_>,
        stopped: Stopped,
        error: DriverError,
    ) -> Error {
        let step = f.step;
        let version = step.migration.version();
        if stopped.rollback {
            let _ = driver.rollback().await;
        }
        let failure = match stopped.outcome {
            JournalOutcome::Statement { index, replay } => {
                let failure = self.statement_failed(step, index, error, false);
                let Error::StatementFailed { source, .. } = &failure else {
                    unreachable!("statement_failed makes a StatementFailed")
                };
                // The owed writes rolled back with the statement's transaction are made again.
                let fail = f.sql.fail(version, index as u32, &source.to_string());
                let mut record = f.writes.texts(&replay, step);
                record.push(&fail);
                if let Err(failed) = send(driver, f.batched, &record).await {
                    // The statement's own error is what the operator needs; without its record
                    // the row shows the statement as in flight, which the next run reports.
                    tracing::warn!(error = %failed.error, "could not record the failed statement");
                }
                failure
            }
            JournalOutcome::Journal {
                stop,
                doing,
                settle,
            } => {
                let recorded = match settle {
                    // The writes sent before the failure are made again (rolled back with a
                    // transaction, or each committed by itself, and past the journal's start
                    // each can be repeated), then the cause, so that the row says how far the
                    // step got.
                    Some(settle) => {
                        let note = settle.note.text(doing, &error);
                        let fail = f.sql.fail(version, settle.done, &note);
                        let mut record = f.writes.texts(&settle.replay, step);
                        record.push(&fail);
                        self.settle(driver, f.batched, &record).await
                    }
                    None => true,
                };
                self.journal_failed(step, stop, doing, recorded, error)
            }
        };
        self.log_failure(driver, f.sql, version, f.action, &failure, f.started)
            .await;
        failure
    }

    /// A failed journal write of `step`, stopped at `stop`.
    fn journal_failed(
        &self,
        step: &Step<'_>,
        stop: JournalStop,
        doing: &'static str,
        recorded: bool,
        source: DriverError,
    ) -> Error {
        let line = match stop {
            JournalStop::Before(n) | JournalStop::RolledBack(n) | JournalStop::Unknown(n) => {
                step.statements.get(n as usize - 1).map(|s| s.line)
            }
            JournalStop::NotStarted | JournalStop::AllDone => None,
        };
        Error::JournalFailed {
            version: step.migration.version(),
            direction: step.direction,
            script: step.script.path().to_owned(),
            statements_total: step.statements.len() as u32,
            line,
            stop,
            doing,
            recorded,
            source,
        }
    }

    /// The writes that close a journaled step: its history row finished (`applied`, every
    /// statement done) or, reverting, removed; and its log row.
    fn closing(
        &self,
        sql: &HistorySql,
        step: &Step<'_>,
        dialect: Dialect,
        action: Action,
        started: Instant,
        schema: Option<&(Fingerprint, SchemaChange)>,
    ) -> [String; 2] {
        let version = step.migration.version();
        let record = match step.direction {
            Direction::Up => {
                let down = step
                    .migration
                    .script(Direction::Down, dialect)
                    .map(|s| s.checksum());
                sql.finish(
                    version,
                    step.script.checksum(),
                    down,
                    &self.config.actor,
                    Millis::SinceMark(millis(started)),
                    schema.map(|(fingerprint, change)| (*fingerprint, change)),
                )
            }
            Direction::Down => sql.delete(version),
        };
        let log = self.log_entry(step, action, started);
        [
            record,
            sql.log_timed(&log, Millis::SinceMark(log.duration_ms)),
        ]
    }

    /// Best effort, on a path that already fails: sends the journal writes still owed, so that
    /// the row says how far the step got.
    async fn settle<D: Driver>(&self, driver: &mut D, batched: bool, owed: &[&str]) -> bool {
        match send(driver, batched, owed).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not journal a completed statement");
                false
            }
        }
    }

    fn applied_row(
        &self,
        step: &Step<'_>,
        dialect: Dialect,
        done: u32,
        started: Instant,
    ) -> AppliedMigration {
        let migration = step.migration;
        AppliedMigration {
            version: migration.version(),
            description: migration.description().to_owned(),
            script: step.script.path().to_owned(),
            checksum: step.script.checksum(),
            down_checksum: migration
                .script(Direction::Down, dialect)
                .map(|s| s.checksum()),
            state: State::Applied,
            direction: Direction::Up,
            statements_done: done,
            statements_total: step.statements.len() as u32,
            error: None,
            applied_by: self.config.actor.clone(),
            applied_at: String::new(),
            execution_ms: millis(started),
            fingerprint: None,
        }
    }

    /// Best effort: a failure is already being reported, so an error writing its log row is
    /// only traced.
    async fn log_failure<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        version: Version,
        action: Action,
        failure: &Error,
        started: Instant,
    ) {
        let detail = match failure {
            Error::StatementFailed {
                source,
                statement,
                script,
                ..
            } => {
                format!("{script} statement {statement}: {source}")
            }
            other => other.to_string(),
        };
        if let Err(e) = self
            .write_log(
                driver,
                sql,
                Some(version),
                action,
                Outcome::Failed,
                Some(&detail),
                started,
            )
            .await
        {
            tracing::warn!(error = %e, "could not write the log row of a failed migration");
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_log<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        version: Option<Version>,
        action: Action,
        outcome: Outcome,
        detail: Option<&str>,
        started: Instant,
    ) -> Result<(), Error> {
        let entry = self.entry(version, action, outcome, detail, started);
        driver
            .execute(&sql.log(&entry))
            .await
            .map_err(driver_error("writing the log table"))
    }

    async fn repair_locked<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        applied: &[AppliedMigration],
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let Some(row) = applied.iter().find(|r| r.state == State::Failed) else {
            return Err(Error::NothingToRepair);
        };
        driver
            .execute(&sql.delete(row.version))
            .await
            .map_err(driver_error("removing the failed row"))?;
        let detail = format!(
            "{} {} stopped at statement {} of {}; marked not applied",
            row.direction,
            row.script,
            row.statements_done + 1,
            row.statements_total
        );
        self.write_log(
            driver,
            sql,
            Some(row.version),
            Action::Repair,
            Outcome::Ok,
            Some(&detail),
            started,
        )
        .await?;
        tracing::info!(version = row.version.get(), "repaired: marked not applied");
        let drift = self
            .drift_after_repair(driver, sql, applied, row.version)
            .await?;
        Ok(Report {
            steps: Vec::new(),
            drift,
        })
    }

    async fn baseline_locked<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        applied: &[AppliedMigration],
        version: Version,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        if let Some(newest) = applied.last() {
            return Err(Error::BaselineNotEmpty {
                applied: newest.version,
            });
        }
        let dialect = driver.dialect();
        let plan = plan::plan_up(
            self.set,
            &[],
            dialect,
            Target::Version(version),
            OutOfOrder::Reject,
        )?;
        // The schema found is recorded as the top version's: what the next `status` compares.
        let mut found = match self.config.fingerprints {
            Fingerprints::EveryVersion => Some(self.describe(driver).await?),
            Fingerprints::Off => None,
        };
        let top = plan.steps.len().saturating_sub(1);
        for (index, step) in plan.steps.iter().enumerate() {
            let mut row = self.applied_row(step, dialect, 0, started);
            row.statements_total = 0;
            row.execution_ms = 0;
            let change = match found.take_if(|_| index == top) {
                Some(found) => {
                    let (fingerprint, change) =
                        ExpectedSchema::default().applied(row.version, Found::Whole(found));
                    row.fingerprint = Some(fingerprint);
                    Some(change)
                }
                None => None,
            };
            driver
                .execute(&sql.insert(&row, change.as_ref()))
                .await
                .map_err(driver_error("recording the baseline"))?;
        }
        let detail = format!("adopted at version {version} without running scripts");
        self.write_log(
            driver,
            sql,
            Some(version),
            Action::Baseline,
            Outcome::Ok,
            Some(&detail),
            started,
        )
        .await?;
        Ok(Report::default())
    }

    async fn accept_checksum_locked<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        applied: &[AppliedMigration],
        version: Version,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let Some(row) = applied
            .iter()
            .find(|r| r.version == version && r.state == State::Applied)
        else {
            return Err(Error::NotApplied { version });
        };
        let migration = self.set.get(version).ok_or(Error::UnknownVersion {
            version,
            latest_known: self.set.latest(),
        })?;
        let script = plan::script_for(migration, Direction::Up, driver.dialect())?;
        let down = migration.script(Direction::Down, driver.dialect());
        let down_checksum = down.map(|s| s.checksum());
        driver
            .execute(&sql.set_checksum(version, script.checksum(), down_checksum))
            .await
            .map_err(driver_error("recording the accepted checksum"))?;
        let mut detail = format!(
            "{}: {} -> {}",
            script.path(),
            row.checksum,
            script.checksum()
        );
        if let Some(down) = down.filter(|s| row.down_checksum != Some(s.checksum())) {
            let old = row
                .down_checksum
                .map_or("none".to_owned(), |c| c.to_string());
            detail.push_str(&format!("; {}: {old} -> {}", down.path(), down.checksum()));
        }
        self.write_log(
            driver,
            sql,
            Some(version),
            Action::AcceptChecksum,
            Outcome::Ok,
            Some(&detail),
            started,
        )
        .await?;
        Ok(Report::default())
    }
}

/// `up`'s unlocked shortcut, fed the history rows (`<version> <state> <checksum>`) in version
/// order: "nothing to apply" only when every row is an applied version the binary has, with
/// the embedded checksum, and every version up to the target has a row. Anything else — a
/// failed row, a changed script, an unknown version, a gap — is left to the locked path, which
/// reads the whole history and plans (and reports errors) properly.
struct Shortcut<'s> {
    set: &'s MigrationSet,
    dialect: Dialect,
    /// Versions up to here must be applied.
    last: Option<Version>,
    /// Rows at or below `last`.
    covered: usize,
    regular: bool,
}

impl<'s> Shortcut<'s> {
    fn new(set: &'s MigrationSet, dialect: Dialect, target: Target) -> Shortcut<'s> {
        let (last, regular) = match target {
            Target::Latest => (set.latest(), true),
            // An unknown target is an error the locked path reports.
            Target::Version(v) => (Some(v), set.get(v).is_some()),
            Target::Empty => (None, true),
        };
        Shortcut {
            set,
            dialect,
            last,
            covered: 0,
            regular,
        }
    }

    fn row(&mut self, row: &[Option<&str>]) {
        if !self.regular {
            return;
        }
        let mut fields = match row {
            [Some(cell)] => cell.split(' '),
            _ => {
                self.regular = false;
                return;
            }
        };
        let (Some(version), Some(state), Some(checksum), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            self.regular = false;
            return;
        };
        let known = version
            .parse::<u32>()
            .ok()
            .and_then(Version::new)
            .and_then(|v| self.set.get(v))
            .and_then(|m| m.script(Direction::Up, self.dialect).map(|s| (m, s)));
        let Some((migration, script)) = known else {
            self.regular = false;
            return;
        };
        if state != State::Applied.as_str() || !script.checksum().is_written_as(checksum) {
            self.regular = false;
            return;
        }
        if self.last.is_some_and(|last| migration.version() <= last) {
            self.covered += 1;
        }
    }

    fn nothing_to_apply(&self) -> bool {
        // Versions are the table's primary key and every row is a known version, so the count
        // says whether each version up to the target has its row.
        let wanted = self.last.map_or(0, |last| last.get() as usize);
        self.regular && self.covered == wanted
    }
}

/// Sends journal parts in order, each committing by itself unless the parts begin a
/// transaction: as one batch when `batched` (MySQL/MariaDB), one part per round trip elsewhere
/// (see [`Migrator::run_journaled`]).
async fn send<D: Driver>(driver: &mut D, batched: bool, parts: &[&str]) -> Result<(), BatchError> {
    if parts.is_empty() {
        return Ok(());
    }
    if batched {
        return driver
            .execute_batch(Batch {
                begin: false,
                statements: parts,
                commit: false,
            })
            .await;
    }
    for (index, part) in parts.iter().enumerate() {
        driver.execute(part).await.map_err(|error| BatchError {
            part: BatchPart::Statement(index),
            error,
        })?;
    }
    Ok(())
}

/// The text of each journal [`Part`] of one step.
struct Writes {
    /// Starts the server's clock, where it has one.
    mark: Option<String>,
    /// Writes the row that starts the journal: a new row, or the resumed one.
    start: String,
    /// The first statement run; `done[i]` records statement `first + i`.
    first: usize,
    done: Vec<String>,
    /// The closing writes, when they may go with the last statement.
    closing: Option<[String; 2]>,
}

impl Writes {
    fn new(
        m: &Migrator<'_>,
        sql: &HistorySql,
        step: &Step<'_>,
        row: Option<&AppliedMigration>,
        dialect: Dialect,
        started: Instant,
        closing: Option<[String; 2]>,
    ) -> Writes {
        let version = step.migration.version();
        let total = step.statements.len() as u32;
        let start = match row {
            None => {
                let mut fresh = m.applied_row(step, dialect, 0, started);
                fresh.state = State::Failed;
                fresh.statements_total = total;
                sql.insert(&fresh, None)
            }
            Some(_) => sql.start_journal(
                version,
                step.direction,
                step.script.path(),
                step.start as u32,
                total,
            ),
        };
        let done = (step.start..step.statements.len())
            .map(|i| sql.progress(version, i as u32 + 1))
            .collect();
        Writes {
            mark: sql.mark(),
            start,
            first: step.start,
            done,
            closing,
        }
    }

    fn text<'a>(&'a self, part: Part, step: &'a Step<'_>) -> &'a str {
        let closing = |i: usize| {
            let closing = self.closing.as_ref();
            &closing.expect("the plan closes with a statement only when closing is known")[i]
        };
        match part {
            Part::Mark => self.mark.as_deref().unwrap_or_default(),
            Part::Start => &self.start,
            Part::Statement(i) => step.statements[i].sql,
            Part::Done(i) => &self.done[i - self.first],
            Part::Begin => "BEGIN",
            Part::Finish => closing(0),
            Part::Log => closing(1),
            Part::Commit => "COMMIT",
        }
    }

    fn texts<'a>(&'a self, parts: &[Part], step: &'a Step<'_>) -> Vec<&'a str> {
        parts.iter().map(|&p| self.text(p, step)).collect()
    }
}

/// One journaled step being run: what the phases after the batches and a failure need.
struct JournalRun<'a> {
    sql: &'a HistorySql,
    step: &'a Step<'a>,
    action: Action,
    started: Instant,
    writes: &'a Writes,
    batched: bool,
}

fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn driver_error(doing: &'static str) -> impl Fn(DriverError) -> Error {
    move |source| Error::Driver { doing, source }
}
