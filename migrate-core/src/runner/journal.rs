//! The journaled path (MySQL/MariaDB, and PostgreSQL scripts marked
//! `-- migrate:no-transaction`): renders each part of the pure plan of
//! [`crate::journal`] to text, sends its batches in order and, when one stops, brings the
//! history row to say where the step stopped.

use tracing::Instrument;

use super::execute::StepRun;
use super::fingerprint::Recorder;
use super::{millis, Migrator};
use crate::driver::{Batch, BatchError, BatchPart, Driver, DriverError};
use crate::history::{AppliedMigration, State};
use crate::history_sql::Millis;
use crate::journal::{Input, JournalPlan, Kind, Outcome as JournalOutcome, Part, Stopped};
use crate::plan::Step;
use crate::schema::{Fingerprint, SchemaChange};
use crate::{Dialect, Direction, Error, JournalStop};

impl Migrator<'_> {
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
    pub(super) async fn run_journaled<D: Driver>(
        &self,
        driver: &mut D,
        run: &StepRun<'_>,
        row: Option<&AppliedMigration>,
        recorder: &mut Recorder<'_>,
    ) -> Result<(), Error> {
        let (step, dialect) = (run.step, driver.dialect());
        // The schema after a step that cannot change it is known before it runs (and a revert
        // records none), so that the closing write can still go with the last statement.
        let close_with_last = !recorder.describes_after();
        let schema = match close_with_last {
            true => recorder.record(driver, step).await?,
            false => None,
        };
        let closing = close_with_last.then(|| self.closing(run, dialect, schema.as_ref()));
        let writes = Writes::new(self, run, row, dialect, closing);
        let kinds: Vec<Kind> = step.statements[step.start..]
            .iter()
            .map(|s| Kind::of(s.sql, dialect))
            .collect();
        let input = Input {
            kinds: &kinds,
            start: step.start,
            mark: writes.mark.is_some(),
            batched: dialect.batches(),
            close_with_last,
        };
        let plan = JournalPlan::new(input, |p| writes.text(p, step).len());
        let journal = JournalRun {
            run,
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
                    .journal_stopped(driver, &journal, stopped, failed.error)
                    .await);
            }
        }
        self.close_journaled(driver, &journal, &plan, recorder, schema)
            .await
    }

    /// After every batch, unless the closing writes went with the last statement: sends the
    /// writes owed when they go first, describes the schema when it was not known before, and
    /// sends the closing writes in a transaction of their own.
    async fn close_journaled<D: Driver>(
        &self,
        driver: &mut D,
        journal: &JournalRun<'_>,
        plan: &JournalPlan,
        recorder: &mut Recorder<'_>,
        schema: Option<(Fingerprint, SchemaChange)>,
    ) -> Result<(), Error> {
        let (run, dialect) = (journal.run, driver.dialect());
        if plan.closed() {
            return Ok(());
        }
        if plan.sends_owed_first() {
            let owed = journal.writes.texts(plan.owed_after(), run.step);
            if let Err(failed) = send(driver, plan.batched(), &owed).await {
                let stopped = plan.owed_failed();
                return Err(self
                    .journal_stopped(driver, journal, stopped, failed.error)
                    .await);
            }
        }
        let schema = match recorder.describes_after() {
            // If the process stops here, the row stays `failed` with every statement done;
            // `resume` runs none and records the schema.
            true => recorder.record(driver, run.step).await?,
            false => schema,
        };
        let [record, log] = self.closing(run, dialect, schema.as_ref());
        let parts = ["BEGIN", record.as_str(), log.as_str(), "COMMIT"];
        if let Err(failed) = send(driver, plan.batched(), &parts).await {
            let stopped = plan.closing_failed();
            return Err(self
                .journal_stopped(driver, journal, stopped, failed.error)
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
        let (sql, step) = (f.run.sql, f.run.step);
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
                let fail = sql.fail(version, index as u32, &source.to_string());
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
                        let fail = sql.fail(version, settle.done, &note);
                        let mut record = f.writes.texts(&settle.replay, step);
                        record.push(&fail);
                        self.settle(driver, f.batched, &record).await
                    }
                    None => true,
                };
                self.journal_failed(step, stop, doing, recorded, error)
            }
        };
        self.log_failure(driver, f.run, &failure).await;
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
        run: &StepRun<'_>,
        dialect: Dialect,
        schema: Option<&(Fingerprint, SchemaChange)>,
    ) -> [String; 2] {
        let (sql, step) = (run.sql, run.step);
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
                    Millis::SinceMark(millis(run.started)),
                    schema.map(|(fingerprint, change)| (*fingerprint, change)),
                )
            }
            Direction::Down => sql.delete(version),
        };
        let log = self.log_entry(run);
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
        run: &StepRun<'_>,
        row: Option<&AppliedMigration>,
        dialect: Dialect,
        closing: Option<[String; 2]>,
    ) -> Writes {
        let (sql, step) = (run.sql, run.step);
        let version = step.migration.version();
        let total = step.statements.len() as u32;
        let start = match row {
            None => {
                let mut fresh = m.applied_row(step, dialect, 0, run.started);
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
    /// The step.
    run: &'a StepRun<'a>,
    /// The text of its journal parts.
    writes: &'a Writes,
    /// Whether a batch is one round trip.
    batched: bool,
}
