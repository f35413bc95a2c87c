//! The commands that change only the history, never the schema: `repair` (a failed row marked
//! not applied), `baseline` (an existing database adopted), `accept-checksum` (an edited
//! script's checksums recorded) and `accept-schema` (the live schema recorded).

use std::time::Instant;

use super::{driver_error, Fingerprints, Migrator, Report};
use crate::driver::Driver;
use crate::history::{Action, AppliedMigration, Outcome, State};
use crate::history_sql::HistorySql;
use crate::plan::{self, OutOfOrder, Target};
use crate::schema::{recorded, ExpectedSchema, Found};
use crate::{Direction, Error, Version};

impl Migrator<'_> {
    /// `repair`: removes the `failed` row, after a manual clean-up, and reports what the
    /// failed version left behind as drift.
    pub(super) async fn repair_locked<D: Driver>(
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
        self.log_done(
            driver,
            sql,
            (Some(row.version), Action::Repair),
            &detail,
            started,
        )
        .await?;
        tracing::info!(version = row.version.get(), "repaired: marked not applied");
        let drift = self
            .drift_after_repair(driver, sql, applied, row.version)
            .await?;
        Ok(Report {
            drift,
            ..Report::default()
        })
    }

    /// `baseline`: records versions 1 to `version` as applied without running them, the
    /// schema found recorded as the top version's.
    pub(super) async fn baseline_locked<D: Driver>(
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
            Fingerprints::PerRun | Fingerprints::EveryVersion => Some(self.describe(driver).await?),
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
        self.log_done(
            driver,
            sql,
            (Some(version), Action::Baseline),
            &detail,
            started,
        )
        .await?;
        Ok(Report::default())
    }

    /// `accept-checksum`: records the embedded checksums of `version`'s scripts.
    pub(super) async fn accept_checksum_locked<D: Driver>(
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
        self.log_done(
            driver,
            sql,
            (Some(version), Action::AcceptChecksum),
            &detail,
            started,
        )
        .await?;
        Ok(Report::default())
    }

    /// `accept-schema`: records the live schema as the one after the last applied version
    /// (its fingerprint, and its change from the schema the versions before it record), after
    /// a change made outside the migrations was judged right.
    pub(super) async fn accept_schema_locked<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        applied: &[AppliedMigration],
    ) -> Result<Report, Error> {
        let started = Instant::now();
        plan::reject_failed(self.set, applied, driver.dialect())?;
        let Some(last) = recorded::last_applied(applied) else {
            return Err(Error::NothingApplied);
        };
        let before = self
            .recorded_schema(driver, sql, Some(last.version))
            .await?;
        let live = self.describe(driver).await?;
        let change = before.diff(&live).to_change();
        let fingerprint = live.fingerprint();
        driver
            .execute(&sql.set_schema(last.version, fingerprint, &change))
            .await
            .map_err(driver_error("recording the accepted schema"))?;
        let old = last
            .fingerprint
            .map_or_else(|| "none".to_owned(), |f| f.to_string());
        let detail = format!(
            "schema after version {}: {old} -> {fingerprint}",
            last.version
        );
        self.log_done(
            driver,
            sql,
            (Some(last.version), Action::AcceptSchema),
            &detail,
            started,
        )
        .await?;
        tracing::info!(version = last.version.get(), %fingerprint, "accepted the live schema");
        Ok(Report::default())
    }

    /// Writes the log row of an administrative command that did its work.
    async fn log_done<D: Driver>(
        &self,
        driver: &mut D,
        sql: &HistorySql,
        (version, action): (Option<Version>, Action),
        detail: &str,
        started: Instant,
    ) -> Result<(), Error> {
        let entry = self.entry(version, action, Outcome::Ok, Some(detail), started);
        self.write_log(driver, sql, &entry).await
    }
}
