//! Finding and recording the schema each step leaves: the [`Recorder`] a run keeps, and the
//! comparison of the live schema with the recorded one ([`Migrator::check_schema`]).
//!
//! A run that applies or reverts keeps one [`Recorder`]. It reads the schema the history
//! expects once, judges before each step how the schema after it will be found (known before
//! it runs, scoped to the tables its statements name, or whole: see [`crate::schema`]), finds
//! it once the statements ran and turns it into the fingerprint and change the step's row
//! records. Which steps record a fingerprint is decided in one place, [`Recorder::records`]:
//! every applied version with [`Fingerprints::EveryVersion`], the run's last with
//! [`Fingerprints::PerRun`]. A row a run leaves without one, where the schema has to be known
//! after all (the version a revert ends at, the last a stopped run applied), is described whole
//! and recorded by [`Recorder::found`].

use super::{driver_error, Fingerprints, Migrator};
use crate::driver::Driver;
use crate::history::{AppliedMigration, HistoryTable};
use crate::history_sql::{self, HistorySql};
use crate::plan::{Plan, Step};
use crate::schema::reach::{self, Reach};
use crate::schema::{
    self, Describe, ExpectedSchema, Fingerprint, Found, SchemaChange, SchemaCheck,
    SchemaDescription,
};
use crate::{Direction, Error, Version};

/// The fingerprint state of one run: the schema the history expects, kept up to date as
/// steps run, and how the schema after the current step will be found.
#[derive(Debug)]
pub(super) struct Recorder<'r> {
    /// This runner's history table, left out of every description.
    table: &'r HistoryTable,
    /// `None` with fingerprints off: nothing is described or recorded.
    expected: Option<ExpectedSchema>,
    /// How the schema after the current step will be found ([`Recorder::prepare`]); `None`
    /// when the step records no fingerprint.
    how: Option<Describe>,
    /// Which steps record a fingerprint.
    policy: Fingerprints,
    /// The version the run applies last, when its last step applies: with
    /// [`Fingerprints::PerRun`] the only one that records.
    last: Option<Version>,
}

impl<'r> Recorder<'r> {
    /// The recorder of a run of `plan`: reads the schema the history expects (one query),
    /// unless fingerprints are off.
    pub(super) async fn start<D: Driver>(
        m: &'r Migrator<'_>,
        driver: &mut D,
        sql: &HistorySql,
        plan: &Plan<'_>,
    ) -> Result<Recorder<'r>, Error> {
        let policy = m.config.fingerprints;
        let mut expected = match policy {
            Fingerprints::PerRun | Fingerprints::EveryVersion => {
                Some(ExpectedSchema::new(changes(driver, sql).await?))
            }
            Fingerprints::Off => None,
        };
        if let Some(expected) = expected.as_mut() {
            let last_up = plan
                .steps
                .iter()
                .rev()
                .find(|s| s.direction == Direction::Up);
            expected.last_up(last_up.map(|s| s.migration.version()));
        }
        let last = plan
            .steps
            .last()
            .filter(|s| s.direction == Direction::Up)
            .map(|s| s.migration.version());
        Ok(Recorder {
            table: &m.config.table,
            expected,
            how: None,
            policy,
            last,
        })
    }

    /// The schema the history expects; `None` with fingerprints off.
    pub(super) fn expected_mut(&mut self) -> Option<&mut ExpectedSchema> {
        self.expected.as_mut()
    }

    /// Whether `step` records the schema it leaves in its row: the policy, decided here only.
    /// Every applied version does with [`Fingerprints::EveryVersion`], the run's last applied
    /// one with [`Fingerprints::PerRun`]; a revert removes its row, so it records nothing.
    fn records(&self, step: &Step<'_>) -> bool {
        let applies = self.expected.is_some() && step.direction == Direction::Up;
        match self.policy {
            Fingerprints::EveryVersion => applies,
            Fingerprints::PerRun => applies && self.last == Some(step.migration.version()),
            Fingerprints::Off => false,
        }
    }

    /// Before `step` runs: judges from its statements ([`schema::reach`]) how the schema after
    /// it will be found ([`ExpectedSchema::how`]). On PostgreSQL this may ask the server
    /// whether it has functions that statements could run (once, until a version is described
    /// whole).
    pub(super) async fn prepare<D: Driver>(
        &mut self,
        driver: &mut D,
        step: &Step<'_>,
    ) -> Result<(), Error> {
        let records = self.records(step);
        self.how = match (records, self.expected.as_mut()) {
            (true, Some(expected)) => Some(how(driver, expected, step).await?),
            (false, Some(expected)) if step.direction == Direction::Up => {
                // Its statements may change the schema, and nothing describes it after them.
                expected.unrecorded(step.migration.version());
                None
            }
            _ => None,
        };
        Ok(())
    }

    /// Whether the schema after the current step must be described once its statements ran:
    /// then its record cannot travel with them.
    pub(super) fn describes_after(&self) -> bool {
        self.how.as_ref().is_some_and(|how| how != &Describe::Known)
    }

    /// The schema `step` leaves, as its row records it: its fingerprint and its change from the
    /// expected schema; `None` when the step records none. Applying, this is called when the
    /// schema can be found: before the statements when it is known, else after them (inside
    /// the transaction where there is one). Reverting, the expected schema becomes the one
    /// before the version.
    pub(super) async fn record<D: Driver>(
        &mut self,
        driver: &mut D,
        step: &Step<'_>,
    ) -> Result<Option<(Fingerprint, SchemaChange)>, Error> {
        let Some(expected) = self.expected.as_mut() else {
            return Ok(None);
        };
        let version = step.migration.version();
        if step.direction == Direction::Down {
            expected.reverted(version);
            return Ok(None);
        }
        let Some(how) = &self.how else {
            return Ok(None);
        };
        let (after, found) = match how {
            Describe::Check(predicted) => {
                let live = schema::describe(driver, self.table).await?;
                let (predicted, _) = predict(driver, self.table, expected, predicted).await?;
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
            how => predict(driver, self.table, expected, how).await?,
        };
        expected.found(&found);
        Ok(Some(expected.applied(version, after)))
    }

    /// The schema found now, described whole, as `version`'s row records it: its fingerprint
    /// and its change from the expected schema; `None` with fingerprints off. For a row a run
    /// leaves without one where the schema must be known after all: the version a revert ends
    /// at, or the last one a run applied before a version that failed and left nothing.
    pub(super) async fn found<D: Driver>(
        &mut self,
        driver: &mut D,
        version: Version,
    ) -> Result<Option<(Fingerprint, SchemaChange)>, Error> {
        let Some(expected) = self.expected.as_mut() else {
            return Ok(None);
        };
        let live = schema::describe(driver, self.table).await?;
        expected.found(&Describe::Full);
        Ok(Some(expected.applied(version, Found::Whole(live))))
    }
}

/// How the schema after `step` will be found, judged from its statements before they run.
async fn how<D: Driver>(
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

/// The schema after a step, found as `how` says, and how it was in the end found (a scoped
/// description may have to be whole after all).
async fn predict<D: Driver>(
    driver: &mut D,
    table: &HistoryTable,
    expected: &ExpectedSchema,
    how: &Describe,
) -> Result<(Found, Describe), Error> {
    let live = expected.live().is_some();
    Ok(match (how, live) {
        (Describe::Known, true) => (Found::Known, Describe::Known),
        (Describe::Scoped(scope), true) => {
            match schema::describe_scoped(driver, table, scope).await? {
                Some(scoped) => (Found::Scoped(scope.clone(), scoped), how.clone()),
                None => (
                    Found::Whole(schema::describe(driver, table).await?),
                    Describe::Full,
                ),
            }
        }
        _ => (
            Found::Whole(schema::describe(driver, table).await?),
            Describe::Full,
        ),
    })
}

/// The schema changes the history records, per version: one query.
pub(super) async fn changes<D: Driver>(
    driver: &mut D,
    sql: &HistorySql,
) -> Result<Vec<(Version, Option<SchemaChange>)>, Error> {
    let rows = driver
        .query(&sql.select_changes())
        .await
        .map_err(driver_error("reading the recorded schema changes"))?;
    history_sql::parse_changes(rows)
}

impl Migrator<'_> {
    /// The live schema without this runner's history tables.
    pub(super) async fn describe<D: Driver>(
        &self,
        driver: &mut D,
    ) -> Result<SchemaDescription, Error> {
        schema::describe(driver, &self.config.table).await
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
        let changes = changes(driver, &sql).await?;
        let live = self.describe(driver).await?;
        Ok(SchemaCheck::compare(applied, &changes, &live))
    }
}
