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
//! At the end of a run that applies or reverts, the runner describes the schema
//! ([`crate::schema::describe`]) and records its fingerprint, and the change from the schema
//! the history expected before the run, in the row of the version the run ends at (inside the
//! transaction where there is one): the [`Fingerprints::PerRun`] default. With
//! [`Fingerprints::EveryVersion`] it does so after each applied version (only the tables its
//! statements name, or nothing, where that is all they can change: see [`crate::schema`]). A
//! run that applies versions first compares the live schema with the expected one, and a run
//! that reverts compares afterwards (or, per run, before, when the version it ends at has no
//! fingerprint, which it then records); a difference is logged as a warning and kept out of
//! what the run records, so that it stays reported. The no-op start-up does none of this: it
//! stays one query.
//!
//! # Layout
//!
//! This file is the table of contents: [`Config`], what a command reports, and the public
//! commands of [`Migrator`], which delegate to the files below, one phase each.
//!
//! - `shortcut.rs`: `up`'s unlocked read, which finds "nothing to apply" in one query.
//! - `lock.rs`: the funnel of every changing command: take the lock (`up` waits in slices),
//!   read the history and plan, run the command, release the lock on every path.
//! - `execute.rs`: runs a plan: the step loop with its progress and drift checks, and each
//!   step sent down the atomic or the journaled path.
//! - `atomic.rs`: the atomic path: statements, history row and log row in one transaction,
//!   recorded by one function whichever the direction.
//! - `journal.rs`: the journaled path: sends the batches the pure plan of `crate::journal`
//!   lays out and, when one stops, brings the history row to say where.
//! - `fingerprint.rs`: the recorder that finds the schema each step leaves and turns it into
//!   the fingerprint its row records (the one place that decides which steps record one).
//! - `drift.rs`: drift found before an `up`, after a revert and after a `repair`.
//! - `admin.rs`: the commands that change only the history: `repair`, `baseline`,
//!   `accept-checksum`, `accept-schema`.
//! - `record.rs`: the rows a step writes besides its statements (its history row, its log
//!   rows), and the error naming a failed statement.
//! - `recover.rs`: undoes what an abandoned command left on a driver before every command.
//! - `lost.rs`: the error of a step whose connection was lost.
//! - `events.rs`: the `tracing` events operators rely on (statements, failed commands).

mod admin;
mod atomic;
mod drift;
mod events;
mod execute;
mod fingerprint;
mod journal;
mod lock;
mod lost;
mod record;
mod recover;
mod shortcut;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(feature = "cli")]
pub(crate) use events::FAILURE_TARGET;

use crate::driver::{Driver, DriverError, DriverErrorKind};
use crate::history::{AppliedMigration, HistoryTable, LogRow};
use crate::history_sql::{self, HistorySql};
use crate::plan::{self, OutOfOrder, Plan, Resume, Target, UnknownVersions};
use crate::schema::SchemaCheck;
use crate::{Dialect, Direction, Error, MigrationSet, Version};

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

/// How the runner behaves; [`Config::default`] suits most applications.
#[derive(Debug, Clone)]
pub struct Config {
    table: HistoryTable,
    lock_timeout: Duration,
    out_of_order: OutOfOrder,
    pub(crate) unknown_versions: UnknownVersions,
    actor: String,
    fingerprints: Fingerprints,
}

/// When the runner describes the schema and records its fingerprint in a history row (see
/// [`crate::schema`]). Whichever is chosen, `status` and `validate` compare the live schema
/// with the fingerprint of the newest applied row, and report drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Fingerprints {
    /// Once per run (the default): a run that applies or reverts records the fingerprint of
    /// the version it ends at, and that version's row the change from the schema recorded
    /// before the run, so the versions it applies before its last record none and need none.
    /// Costs one describe query before a run that applies (the drift check) and one after it;
    /// a revert compares afterwards with the fingerprint of the version it ends at, or, when
    /// that version has none (it was applied in the middle of a run), compares before it and
    /// records the schema it finds there ([`Report::schema_recorded`]). A run that stops at a
    /// failed version records the schema after the last version it applied, when the failure
    /// left nothing of its own. The newest applied row has a fingerprint unless a run was cut
    /// off (a crash, a lost connection, a failed version that left statements done) or
    /// fingerprints were off: then `status` says
    /// `not_recorded` until the next run records one, since versions applied after an older
    /// fingerprint would show as drift.
    #[default]
    PerRun,
    /// After every applied version: each row records the schema its version left, so a revert
    /// to any version compares with what was recorded for it. Costs one describe query per
    /// run, and per applied version usually one more: scoped to the tables its statements
    /// name where that is all they can change ([`crate::schema`] lists the forms; on
    /// PostgreSQL a scoped description also sets the names in a round trip of its own, and the
    /// runner asks once whether user functions exist), none where they cannot change the
    /// schema (data statements on MySQL/MariaDB and SQLite, and on PostgreSQL when no user
    /// function exists), else the whole schema. The last version of a run, when known or
    /// scoped after scoped descriptions, is also described whole and compared.
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
            unknown_versions: UnknownVersions::Refuse,
            actor: default_actor(),
            fingerprints: Fingerprints::PerRun,
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

    /// What to do with versions in the history that this binary does not embed, when the
    /// database is newer than the binary (default: [`UnknownVersions::Refuse`], every command
    /// that checks the history fails naming the first one). [`UnknownVersions::Ignore`] lets an
    /// older release start next to them: `up` applies nothing, warns and lists them in
    /// [`Report::unknown_versions`]; `validate` passes; a revert that would have to undo them,
    /// a `failed` unknown version and a pending version below an unknown one are refused.
    pub fn unknown_versions(mut self, unknown_versions: UnknownVersions) -> Config {
        self.unknown_versions = unknown_versions;
        self
    }

    /// Who is recorded as applying migrations (default `user@host` of this process).
    pub fn actor(mut self, actor: impl Into<String>) -> Config {
        self.actor = actor.into();
        self
    }

    /// When to record schema fingerprints (default: [`Fingerprints::PerRun`]).
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

/// What a command did. Non-exhaustive: later releases add what else a run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The migrations applied or reverted, in order.
    pub steps: Vec<StepReport>,
    /// Schema drift the command found: the live schema differed from the one recorded for the
    /// last applied version before an `up`, after a revert or after a `repair` (what the
    /// failed version left). It stays reported by `status` and `validate` until
    /// [`Migrator::accept_schema`].
    pub drift: Option<crate::schema::Drift>,
    /// The version a revert ended at whose row had no fingerprint (with
    /// [`Fingerprints::PerRun`], a version applied in the middle of a run): the revert
    /// recorded the schema it found there as that version's, so it was not compared. Drift
    /// found before the revert ([`Report::drift`]) is kept out of what it recorded.
    pub schema_recorded: Option<Version>,
    /// The versions in the history that this binary does not embed, which the command left
    /// alone under [`UnknownVersions::Ignore`] (empty otherwise), for a service to surface.
    pub unknown_versions: Vec<Version>,
}

/// One migration applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
        let shortcut = self
            .nothing_to_apply(driver, target)
            .await
            .inspect_err(|e| events::failed(&command, e))?;
        let report = match shortcut {
            Some(unknown_versions) => {
                tracing::debug!("history matches the binary; nothing to apply");
                Report {
                    unknown_versions,
                    ..Report::default()
                }
            }
            None => self.locked(driver, command).await?,
        };
        events::unknown_ignored(&report.unknown_versions, self.set.latest());
        Ok(report)
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
    /// (see [`Migrator::check_schema`]) are errors. Under [`UnknownVersions::Ignore`] applied
    /// unknown versions are not (a warning names them), but a `failed` one is.
    pub async fn validate<D: Driver>(&self, driver: &mut D) -> Result<(), Error> {
        let applied = self.history(driver).await?;
        let policy = self.config.unknown_versions;
        let ignored = plan::check_history_with(self.set, &applied, driver.dialect(), policy)?;
        events::unknown_ignored(&ignored, self.set.latest());
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
        plan::plan_up_with(
            self.set,
            &applied,
            driver.dialect(),
            target,
            self.config.out_of_order,
            self.config.unknown_versions,
        )
    }

    /// What `down` to `target` would run, read without the lock and changing nothing.
    pub async fn plan_down<D: Driver>(
        &self,
        driver: &mut D,
        target: Target,
    ) -> Result<Plan<'s>, Error> {
        let applied = self.history(driver).await?;
        let policy = self.config.unknown_versions;
        plan::plan_down_with(self.set, &applied, driver.dialect(), target, policy)
    }

    /// Every version, embedded or recorded, with its state: one query, no lock.
    pub async fn status<D: Driver>(
        &self,
        driver: &mut D,
    ) -> Result<Vec<crate::status::VersionStatus>, Error> {
        let applied = self.history(driver).await?;
        Ok(crate::status::status(self.set, &applied, driver.dialect()))
    }

    /// Who holds the migration lock now, read without taking it: the runner a `status` shows
    /// as migrating, and where it runs ([`LockState`](crate::driver::LockState); what each
    /// server can tell is listed at [`LockHolder`](crate::driver::LockHolder)). One or two
    /// queries; on MySQL/MariaDB the first call on a driver also asks whether the server is a
    /// Galera node.
    pub async fn lock_holder<D: Driver>(
        &self,
        driver: &mut D,
    ) -> Result<crate::driver::LockState, Error> {
        self.recover(driver).await?;
        driver
            .lock_holder(&self.lock_name())
            .await
            .map_err(driver_error("reading who holds the migration lock"))
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

    /// Compares the live schema with the fingerprint recorded for the last applied version,
    /// with a readable diff when they differ: three queries, no lock.
    pub async fn check_schema<D: Driver>(&self, driver: &mut D) -> Result<SchemaCheck, Error> {
        let applied = self.history(driver).await?;
        self.check_schema_against(driver, &applied).await
    }
}

fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn driver_error(doing: &'static str) -> impl Fn(DriverError) -> Error {
    move |source| Error::Driver { doing, source }
}
