//! The atomic path (PostgreSQL and SQLite, whose DDL is transactional): a step's statements,
//! its history row and its log row commit together or not at all. Whichever the direction and
//! however the unit is sent, the rows come from one function, `Migrator::unit_record`, and a
//! failure anywhere in the unit is reported by one, `Migrator::unit_failed`.

use super::execute::StepRun;
use super::fingerprint::Recorder;
use super::{driver_error, Migrator};
use crate::driver::{Batch, BatchError, BatchPart, Driver};
use crate::history_sql::Millis;
use crate::{Direction, Error};

/// Who measures the durations the rows of an atomic step record.
#[derive(Debug, Clone, Copy)]
enum Clock {
    /// The server, from the unit's `BEGIN` ([`Millis::SinceBegin`]): the whole unit is one
    /// round trip, so the runner learns its duration only after the rows were written.
    Server,
    /// The runner, when it writes the rows after the statements ran.
    Runner,
}

impl Migrator<'_> {
    /// Statements, history row and log row in one transaction.
    ///
    /// Sent as few round trips as the driver allows ([`Driver::execute_batch`]): where the
    /// server can time the unit itself (PostgreSQL) and nothing has to be read between the
    /// statements and the history row (a revert, an apply with fingerprints off, or an apply
    /// whose statements cannot change the schema, whose description is then known before it
    /// runs), the whole unit — `BEGIN`, statements, history row, log row, `COMMIT` — is one
    /// batch. Otherwise `BEGIN` and the statements are one batch and, after describing the
    /// schema, the history row, the log row and `COMMIT` another.
    pub(super) async fn run_atomic<D: Driver>(
        &self,
        driver: &mut D,
        run: &StepRun<'_>,
        recorder: &mut Recorder<'_>,
    ) -> Result<(), Error> {
        let step = run.step;
        let mut unit: Vec<&str> = step.statements[step.start..]
            .iter()
            .map(|s| s.sql)
            .collect();
        let scripted = unit.len();
        if run.sql.times_units() && !recorder.describes_after() {
            let record = self
                .unit_record(driver, run, recorder, Clock::Server)
                .await?;
            unit.extend(record.iter().map(String::as_str));
            let batch = Batch {
                begin: true,
                statements: &unit,
                commit: true,
            };
            return match driver.execute_batch(batch).await {
                Ok(()) => Ok(()),
                Err(failed) => Err(self.unit_failed(driver, run, failed).await),
            };
        }
        let batch = Batch {
            begin: true,
            statements: &unit,
            commit: false,
        };
        if let Err(failed) = driver.execute_batch(batch).await {
            return Err(self.unit_failed(driver, run, failed).await);
        }
        // Described inside the transaction: the fingerprint is of exactly what commits.
        let record = match self.unit_record(driver, run, recorder, Clock::Runner).await {
            Ok(record) => record,
            Err(e) => {
                let _ = driver.rollback().await;
                return Err(e);
            }
        };
        let batch = Batch {
            begin: false,
            statements: &[record[0].as_str(), record[1].as_str()],
            commit: true,
        };
        if let Err(mut failed) = driver.execute_batch(batch).await {
            // Counted as parts of the whole unit, after its statements.
            if let BatchPart::Statement(i) = failed.part {
                failed.part = BatchPart::Statement(scripted + i);
            }
            return Err(self.unit_failed(driver, run, failed).await);
        }
        Ok(())
    }

    /// The rows that record an atomic step in its transaction, whichever its direction: the
    /// history row inserted (applying, with the schema the step left as the recorder finds it)
    /// or removed (reverting), and the log row.
    async fn unit_record<D: Driver>(
        &self,
        driver: &mut D,
        run: &StepRun<'_>,
        recorder: &mut Recorder<'_>,
        clock: Clock,
    ) -> Result<[String; 2], Error> {
        let (sql, step) = (run.sql, run.step);
        let schema = recorder.record(driver, step).await?;
        let millis = |known| match clock {
            Clock::Server => Millis::SinceBegin,
            Clock::Runner => Millis::Known(known),
        };
        let record = match step.direction {
            Direction::Up => {
                let total = step.statements.len() as u32;
                let mut row = self.applied_row(step, driver.dialect(), total, run.started);
                row.fingerprint = schema.as_ref().map(|(fingerprint, _)| *fingerprint);
                let change = schema.as_ref().map(|(_, change)| change);
                sql.insert_timed(&row, change, millis(row.execution_ms))
            }
            Direction::Down => sql.delete(step.migration.version()),
        };
        let log = self.log_entry(run);
        Ok([record, sql.log_timed(&log, millis(log.duration_ms))])
    }

    /// A failed batch of an atomic step: rolls back, logs the failure and says which part of
    /// the unit failed — a statement of the script (with its number and line), or the runner's
    /// own begin, history write or commit.
    async fn unit_failed<D: Driver>(
        &self,
        driver: &mut D,
        run: &StepRun<'_>,
        failed: BatchError,
    ) -> Error {
        let step = run.step;
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
            self.log_failure(driver, run, &failure).await;
        }
        if let Err(e) = rolled_back {
            tracing::warn!(error = %e, "could not roll back a failed migration");
        }
        failure
    }
}
