//! What the runner writes about a step besides its statements, on both paths: the history row
//! of an applied version, the log rows of success and failure, and the error that names the
//! statement that failed.

use std::time::Instant;

use super::execute::StepRun;
use super::{driver_error, millis, Migrator};
use crate::driver::{Driver, DriverError};
use crate::history::{Action, AppliedMigration, Outcome, State};
use crate::history_sql::{HistorySql, LogEntry};
use crate::plan::Step;
use crate::{Dialect, Direction, Error, Version};

impl Migrator<'_> {
    /// The history row of `step` applied, with `done` statements done, timed from `started`.
    pub(super) fn applied_row(
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

    /// The log row of a step that succeeded.
    pub(super) fn log_entry<'a>(&'a self, run: &StepRun<'a>) -> LogEntry<'a> {
        let (version, path) = (run.step.migration.version(), run.step.script.path());
        self.entry(
            Some(version),
            run.action,
            Outcome::Ok,
            Some(path),
            run.started,
        )
    }

    /// A log row by this runner's actor, timed from `started`.
    pub(super) fn entry<'a>(
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

    /// Appends `entry` to the log, by itself.
    pub(super) async fn write_log<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        entry: &LogEntry<'_>,
    ) -> Result<(), Error> {
        driver
            .execute(&sql.log(entry))
            .await
            .map_err(driver_error("writing the log table"))
    }

    /// The log row of a step that failed with `failure`. Best effort: a failure is already
    /// being reported, so an error writing its log row is only traced.
    pub(super) async fn log_failure<D: Driver>(
        &self,
        driver: &mut D,
        run: &StepRun<'_>,
        failure: &Error,
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
        let version = Some(run.step.migration.version());
        let entry = self.entry(
            version,
            run.action,
            Outcome::Failed,
            Some(&detail),
            run.started,
        );
        if let Err(e) = self.write_log(driver, run.sql, &entry).await {
            tracing::warn!(error = %e, "could not write the log row of a failed migration");
        }
    }

    /// The error of the step's statement at `index` (0-based, into the whole script); `atomic`
    /// when the step was rolled back as a whole.
    pub(super) fn statement_failed(
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
}
