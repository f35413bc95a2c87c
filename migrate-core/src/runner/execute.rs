//! Running a plan under the lock: the step loop (progress, the schema compared before an `up`
//! and after a revert), and each step sent down the atomic or the journaled path.

use std::time::Instant;

use tracing::Instrument;

use super::drift::{RevertRun, Stopped};
use super::fingerprint::Recorder;
use super::{events, lost, Migrator, Progress, Report, StepReport};
use crate::driver::Driver;
use crate::history::{Action, AppliedMigration, State};
use crate::history_sql::HistorySql;
use crate::plan::{self, Plan, Step};
use crate::{Direction, Error};

/// One step being run: what both paths, and the rows and errors they write, need.
#[derive(Debug, Clone, Copy)]
pub(super) struct StepRun<'a> {
    /// The history and log statements.
    pub(super) sql: &'a HistorySql,
    /// The step.
    pub(super) step: &'a Step<'a>,
    /// What the log records it as.
    pub(super) action: Action,
    /// When it started, for the durations recorded.
    pub(super) started: Instant,
}

impl Migrator<'_> {
    /// Runs the steps of `plan` in order, given the history rows `applied` read before it.
    pub(super) async fn execute<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        plan: &Plan<'_>,
        applied: &[AppliedMigration],
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        let mut recorder = Recorder::start(self, driver, sql, plan).await?;
        let reverting = plan.steps.iter().all(|s| s.direction == Direction::Down);
        let after_revert = reverting.then(|| self.after_revert(applied, plan));
        report.drift = self
            .drift_before_run(driver, &mut recorder, applied, after_revert)
            .await?;
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
            let ran = self
                .run_step(driver, sql, step, row, &mut recorder)
                .instrument(span)
                .await
                .map_err(|e| lost::connection_lost(e, step, driver.dialect()));
            let done = match ran {
                Ok(done) => done,
                Err(failure) => {
                    let stopped = Stopped {
                        step,
                        failure: &failure,
                        done: &report.steps,
                        applied,
                        after_revert,
                    };
                    self.record_stopped(driver, sql, &mut recorder, stopped)
                        .await;
                    return Err(failure);
                }
            };
            self.report(Progress::Finished(&done));
            report.steps.push(done);
        }
        if let Some(after_revert) = after_revert {
            let run = RevertRun {
                sql,
                applied,
                plan,
                after: after_revert,
            };
            self.after_reverting(driver, &mut recorder, run, &mut report)
                .await?;
        }
        Ok(report)
    }

    /// Runs one step, atomically where the dialect and script allow, else journaled; `row` is
    /// the step's history row when it has one (a `failed` row being resumed).
    async fn run_step<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        step: &Step<'_>,
        row: Option<&AppliedMigration>,
        recorder: &mut Recorder<'_>,
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
        recorder.prepare(driver, step).await?;
        let run = StepRun {
            sql,
            step,
            action,
            started,
        };
        if atomic {
            self.run_atomic(driver, &run, recorder).await?;
        } else {
            self.run_journaled(driver, &run, row, recorder).await?;
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
}
