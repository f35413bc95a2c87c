//! Keeping the recorded schema true while commands run: drift found before an `up`, after a
//! revert and after a `repair`, reported in the command's [`Report`](super::Report).
//! (`accept-schema`, which records the live schema as the last applied version's, is one of
//! the history-only commands of `admin.rs`.)
//!
//! A difference found before an `up` is not adopted: the versions applied record the schema
//! without it ([`ExpectedSchema::keep_out`]), so `status` and `validate` go on reporting it
//! until it is undone by hand or [`Migrator::accept_schema`] records it.

use super::fingerprint::{self, Recorder};
use super::{Fingerprints, Migrator};
use crate::driver::Driver;
use crate::history::{AppliedMigration, State};
use crate::history_sql::HistorySql;
use crate::plan::Plan;
use crate::schema::{self, drift, Drift};
use crate::{Error, Version};

impl Migrator<'_> {
    /// Before applying, with fingerprints on: describes the live schema and compares it with
    /// the one recorded for the last applied version. A difference is warned of, returned, and kept out of what the
    /// versions about to be applied record. A `resume` (a `failed` row in `applied`) is not
    /// compared: its version stopped part-way, so the live schema is between two versions,
    /// and what was fixed by hand to let it go on becomes part of it.
    pub(super) async fn drift_before_up<D: Driver>(
        &self,
        driver: &mut D,
        recorder: &mut Recorder<'_>,
        applied: &[AppliedMigration],
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
            None => drift::find(applied, expected.description(), &live),
        };
        if let Some(found) = &found {
            match &found.diff {
                Some(diff) => {
                    tracing::warn!(
                        "before applying: {found}the versions applied now record the schema \
                         without this difference, so it stays reported until it is undone or \
                         `accept-schema` records it"
                    );
                    expected.keep_out(diff.clone());
                }
                None => tracing::warn!(
                    "before applying: {found}the history cannot tell the difference apart, so \
                     the versions applied now record the live schema"
                ),
            }
        }
        expected.observed(live);
        Ok(found)
    }

    /// After reverting the versions of `plan`, with fingerprints on: compares the live schema with the one
    /// recorded for the last version still applied; a difference (a down script that did not
    /// restore it, or a change made by hand before) is warned of and returned.
    pub(super) async fn drift_after_revert<D: Driver>(
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
        let found = drift::find(kept, expected.description(), &live);
        if let Some(found) = &found {
            tracing::warn!("after reverting: {found}");
        }
        expected.observed(live);
        Ok(found)
    }

    /// After `repair` removed the failed row of `failed`: compares the live schema with the
    /// one recorded for the last version still applied, so that what the failed version left
    /// behind (not undone by hand) is reported. Nothing is compared with fingerprints off.
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
        let expected = self.recorded_schema(driver, sql, None).await?;
        let live = self.describe(driver).await?;
        let found = drift::find(kept, &expected, &live);
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
