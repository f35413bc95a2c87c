//! Keeping the recorded schema true while commands run: drift found before an `up`, after a
//! revert and after a `repair`, reported in the command's [`Report`](super::Report).
//! (`accept-schema`, which records the live schema as the last applied version's, is one of
//! the history-only commands of `admin.rs`.)
//!
//! A difference found before an `up` is not adopted: the versions applied record the schema
//! without it ([`ExpectedSchema::keep_out`]), so `status` and `validate` go on reporting it
//! until it is undone by hand or [`Migrator::accept_schema`] records it.
//!
//! [`ExpectedSchema::keep_out`]: crate::schema::ExpectedSchema::keep_out
//!
//! With [`Fingerprints::PerRun`] a revert may end at a version whose row has no fingerprint
//! (one applied in the middle of a run): it then compares before reverting, with the newest
//! row's, and records the schema it finds afterwards as that version's, the difference found
//! before kept out of it as before an `up` ([`AfterRevert`]). A run that stops at a failed
//! version records the schema after the last version it applied, when the failure left
//! nothing of its own (`Migrator::record_stopped`).

use super::fingerprint::{self, Recorder};
use super::{driver_error, Fingerprints, Migrator, StepReport};
use crate::driver::Driver;
use crate::history::{AppliedMigration, State};
use crate::history_sql::HistorySql;
use crate::plan::{Plan, Step};
use crate::schema::{self, recorded, Drift};
use crate::{Direction, Error, Version};

/// What a revert does about the schema it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterRevert {
    /// Compares it with the fingerprint of the version it ends at.
    Compare,
    /// Compares before reverting, with the newest row's fingerprint, and records the schema
    /// found afterwards as that of this version, whose row has none
    /// ([`Fingerprints::PerRun`]).
    Record(Version),
    /// Nothing: no version is left applied ([`Fingerprints::PerRun`]; with
    /// [`Fingerprints::EveryVersion`] the schema is still described, as it always was).
    Nothing,
}

/// A revert that ran every step: what [`Migrator::after_reverting`] needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct RevertRun<'a> {
    /// The history and log statements.
    pub(super) sql: &'a HistorySql,
    /// The rows read before the run.
    pub(super) applied: &'a [AppliedMigration],
    /// The steps it ran.
    pub(super) plan: &'a Plan<'a>,
    /// What it does about the schema it leaves.
    pub(super) after: AfterRevert,
}

impl Migrator<'_> {
    /// Before the steps of a run (`after_revert` is `Some` when it reverts): the comparison
    /// before an `up`, and before a revert that will record the schema it leaves.
    pub(super) async fn drift_before_run<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        applied: &[AppliedMigration],
        after_revert: Option<AfterRevert>,
    ) -> Result<Option<Drift>, Error> {
        match after_revert {
            None => self.drift_before_up(driver, recorder, applied).await,
            Some(AfterRevert::Record(_)) => {
                self.drift_before_revert(driver, recorder, applied).await
            }
            Some(AfterRevert::Compare | AfterRevert::Nothing) => Ok(None),
        }
    }

    /// After the steps of a revert: compares the schema it left, or records it, in `report`.
    pub(super) async fn after_reverting<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        run: RevertRun<'_>,
        report: &mut super::Report,
    ) -> Result<(), Error> {
        match run.after {
            AfterRevert::Compare => {
                report.drift = self
                    .drift_after_revert(driver, recorder, run.applied, run.plan)
                    .await?;
            }
            AfterRevert::Record(version) => {
                report.schema_recorded = self
                    .record_after_revert(driver, run.sql, recorder, version)
                    .await?;
            }
            AfterRevert::Nothing => {}
        }
        Ok(())
    }

    /// Before applying, with fingerprints on: describes the live schema and compares it with
    /// the one recorded for the last applied version. A difference is warned of, returned, and
    /// kept out of what the versions about to be applied record. A `resume` (a `failed` row in `applied`) is not
    /// compared: its version stopped part-way, so the live schema is between two versions,
    /// and what was fixed by hand to let it go on becomes part of it.
    async fn drift_before_up<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        applied: &[AppliedMigration],
    ) -> Result<Option<Drift>, Error> {
        self.drift_before(driver, recorder, applied, "applying")
            .await
    }

    /// Before a run that applies, or that reverts to a version it will record
    /// ([`AfterRevert::Record`]): describes the live schema and compares it with the
    /// fingerprint of the newest applied row; `doing` names the run in the warning.
    async fn drift_before<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        applied: &[AppliedMigration],
        doing: &str,
    ) -> Result<Option<Drift>, Error> {
        let Some(expected) = recorder.expected_mut() else {
            return Ok(None);
        };
        let live = self.describe(driver).await?;
        let found = match applied.iter().find(|r| r.state == State::Failed) {
            Some(failed) => {
                tracing::debug!(
                    version = failed.version.get(),
                    "resuming: the schema is between two versions, so it is not compared"
                );
                None
            }
            None => recorded::find(applied, expected.description(), &live),
        };
        if let Some(found) = &found {
            match &found.diff {
                Some(diff) => {
                    tracing::warn!(
                        "before {doing}: {found}the schema recorded now is without this \
                         difference, so it stays reported until it is undone or \
                         `accept-schema` records it"
                    );
                    expected.keep_out(diff.clone());
                }
                None => tracing::warn!(
                    "before {doing}: {found}the history cannot tell the difference apart, so \
                     the schema recorded now is the live one"
                ),
            }
        }
        expected.observed(live);
        Ok(found)
    }

    /// After reverting the versions of `plan`, with fingerprints on ([`AfterRevert::Compare`]):
    /// compares the live schema with the one recorded for the last version still applied; a
    /// difference (a down script that did not restore it, or a change made by hand before) is
    /// warned of and returned.
    async fn drift_after_revert<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        applied: &[AppliedMigration],
        plan: &Plan<'_>,
    ) -> Result<Option<Drift>, Error> {
        let Some(expected) = recorder.expected_mut() else {
            return Ok(None);
        };
        let reverted: Vec<Version> = plan.steps.iter().map(|s| s.migration.version()).collect();
        let kept = applied.iter().filter(|r| !reverted.contains(&r.version));
        let live = self.describe(driver).await?;
        let found = recorded::find(kept, expected.description(), &live);
        if let Some(found) = &found {
            tracing::warn!("after reverting: {found}");
        }
        expected.observed(live);
        Ok(found)
    }

    /// What the revert of `plan`, from the rows `applied`, does about the schema it leaves.
    pub(super) fn after_revert(
        &self,
        applied: &[AppliedMigration],
        plan: &Plan<'_>,
    ) -> AfterRevert {
        let reverted: Vec<Version> = plan.steps.iter().map(|s| s.migration.version()).collect();
        let kept =
            recorded::last_applied(applied.iter().filter(|r| !reverted.contains(&r.version)));
        match (self.config.fingerprints, kept) {
            (Fingerprints::PerRun, None) => AfterRevert::Nothing,
            (Fingerprints::PerRun, Some(row)) if row.fingerprint.is_none() => {
                AfterRevert::Record(row.version)
            }
            _ => AfterRevert::Compare,
        }
    }

    /// Before a revert to a version without a fingerprint ([`AfterRevert::Record`]): compares
    /// the live schema with the newest row's fingerprint, when it has one, so that a difference
    /// made by hand is reported and kept out of what the revert records.
    async fn drift_before_revert<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        applied: &[AppliedMigration],
    ) -> Result<Option<Drift>, Error> {
        match recorded::last_applied(applied) {
            Some(newest) if newest.fingerprint.is_some() => {
                self.drift_before(driver, recorder, applied, "reverting")
                    .await
            }
            _ => Ok(None),
        }
    }

    /// After a revert to `version`, whose row has no fingerprint ([`AfterRevert::Record`]):
    /// records the schema found as its fingerprint, and says so.
    async fn record_after_revert<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        recorder: &mut Recorder<'_>,
        version: Version,
    ) -> Result<Option<Version>, Error> {
        let Some((fingerprint, change)) = recorder.found(driver, version).await? else {
            return Ok(None);
        };
        driver
            .execute(&sql.set_schema(version, fingerprint, &change))
            .await
            .map_err(driver_error("recording the schema found after the revert"))?;
        tracing::info!(
            version = version.get(),
            %fingerprint,
            "after reverting: version {version} had no recorded schema fingerprint (it was \
             applied in the middle of a run); recorded the schema found"
        );
        Ok(Some(version))
    }

    /// After `step` stopped a run with `failure`, with [`Fingerprints::PerRun`]: when the
    /// failure left nothing of the step's own (rolled back, or stopped at its first
    /// statement), the schema is the one after the last version the run applied (`done`), or,
    /// reverting (after a comparison before), the one of the step's own version: that version's
    /// row gets the fingerprint it would otherwise lack. Best effort, on a path that already
    /// fails: an error is only traced.
    pub(super) async fn record_stopped<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        recorder: &mut Recorder<'_>,
        stopped: Stopped<'_>,
    ) {
        let Some(version) = stopped.unrecorded(self.config.fingerprints) else {
            return;
        };
        let recorded = match recorder.found(driver, version).await {
            Ok(Some((fingerprint, change))) => driver
                .execute(&sql.set_schema(version, fingerprint, &change))
                .await
                .map_err(driver_error(
                    "recording the schema after the last version applied",
                )),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        match recorded {
            Ok(()) => tracing::info!(
                version = version.get(),
                "the run stopped; recorded the schema after version {version}, the last it left \
                 applied"
            ),
            Err(e) => tracing::warn!(
                version = version.get(),
                error = %e,
                "the run stopped; could not record the schema after version {version}, so \
                 `status` does not compare it until the next run records one"
            ),
        }
    }

    /// After `repair` removed the failed row of `failed`: compares the live schema with the
    /// one recorded for the last version still applied, so that what the failed version left
    /// behind (not undone by hand) is reported. Nothing is compared with fingerprints off, or
    /// when that version has no fingerprint (with fingerprints per run, one applied before
    /// the failed version in its run, when the failure left statements done: their changes
    /// could not be told apart).
    pub(super) async fn drift_after_repair<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        applied: &[AppliedMigration],
        failed: Version,
    ) -> Result<Option<Drift>, Error> {
        if self.config.fingerprints == Fingerprints::Off {
            return Ok(None);
        }
        let kept = applied.iter().filter(|r| r.version != failed);
        match recorded::last_applied(kept.clone()) {
            Some(newest) if newest.fingerprint.is_none() => {
                // With fingerprints per run: applied in the failed version's run, before it.
                tracing::info!(
                    version = newest.version.get(),
                    "repair: version {} has no recorded schema fingerprint, so what version \
                     {failed} left is not compared; check it by hand, then `accept-schema` \
                     records the schema",
                    newest.version
                );
                return Ok(None);
            }
            None => return Ok(None),
            Some(_) => {}
        }
        let expected = self.recorded_schema(driver, sql, None).await?;
        let live = self.describe(driver).await?;
        let found = recorded::find(kept, &expected, &live);
        if let Some(found) = &found {
            tracing::warn!(
                version = failed.get(),
                "repair: version {failed}'s changes were not all undone; {found}undo what is \
                 left by hand, or record it with `accept-schema`"
            );
        }
        Ok(found)
    }

    /// The schema the stored changes rebuild, leaving out those of `without`.
    pub(super) async fn recorded_schema<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        without: Option<Version>,
    ) -> Result<schema::SchemaDescription, Error> {
        let changes = fingerprint::changes(driver, sql).await?;
        Ok(schema::rebuild(
            changes
                .iter()
                .filter(|(v, _)| Some(*v) != without)
                .filter_map(|(_, c)| c.as_ref()),
        ))
    }
}

/// A run stopped by a failed step: what [`Migrator::record_stopped`] needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stopped<'a> {
    /// The step that failed.
    pub(super) step: &'a Step<'a>,
    /// Its error.
    pub(super) failure: &'a Error,
    /// The steps the run finished before it.
    pub(super) done: &'a [StepReport],
    /// The rows read before the run.
    pub(super) applied: &'a [AppliedMigration],
    /// What the revert does about the schema it leaves, when the run reverts.
    pub(super) after_revert: Option<AfterRevert>,
}

impl Stopped<'_> {
    /// The version whose row should record the schema now: the newest applied once the failed
    /// step left nothing, when its row has no fingerprint. Applying, the last version the run
    /// applied (none before it records one); reverting, the failed step's own version, only
    /// after the run compared before it ([`AfterRevert::Record`]), so that what is recorded
    /// keeps a difference made by hand out.
    fn unrecorded(&self, policy: Fingerprints) -> Option<Version> {
        if policy != Fingerprints::PerRun || !self.left_nothing() {
            return None;
        }
        match self.step.direction {
            Direction::Up => self
                .done
                .last()
                .filter(|d| d.direction == Direction::Up)
                .map(|d| d.version),
            Direction::Down => {
                let version = self.step.migration.version();
                let row = self.applied.iter().find(|r| r.version == version)?;
                let compared = matches!(self.after_revert, Some(AfterRevert::Record(_)));
                (compared && row.fingerprint.is_none()).then_some(version)
            }
        }
    }

    /// Whether the failure left the schema as it was before the step: its transaction rolled
    /// back, or, journaled, its first statement failed.
    fn left_nothing(&self) -> bool {
        match self.failure {
            Error::StatementFailed { atomic: true, .. } => true,
            Error::StatementFailed { statement, .. } => *statement as usize == self.step.start + 1,
            _ => false,
        }
    }
}
