//! What a fleet does on one database: connect, then `up` or `status` through the
//! [`Migrator`], with the versions before and after. The connection is closed when the task
//! ends, so a fleet never holds more connections than its parallelism.

use std::time::Instant;

use super::report::{Standing, StatusOutcome, TenantStatus, TenantUp, UpOutcome};
use crate::database_url::DatabaseUrl;
use crate::driver::{AnyDriver, ConnectOptions, Driver};
use crate::history::{AppliedMigration, State};
use crate::status::{ChecksumState, VersionState};
use crate::{Error, Migrator, Target, Version};

/// Connects to `url`; the error never contains its password.
async fn connect(url: &DatabaseUrl, options: &ConnectOptions) -> Result<AnyDriver, Error> {
    AnyDriver::connect_with(url.connection_string(), options)
        .await
        .map_err(|source| Error::Driver {
            doing: "connecting",
            source,
        })
}

/// `up` to `target` on one database.
pub(super) async fn up(
    migrator: &Migrator<'_>,
    url: &DatabaseUrl,
    options: &ConnectOptions,
    target: Target,
) -> TenantUp {
    let started = Instant::now();
    let (outcome, before, after) = match connect(url, options).await {
        Ok(mut driver) => up_on(migrator, &mut driver, target).await,
        Err(e) => (UpOutcome::Failed(Box::new(e)), None, None),
    };
    tracing::debug!(database = %url, ?outcome, "fleet: up finished");
    TenantUp {
        database: url.clone(),
        outcome,
        before,
        after,
        duration: started.elapsed(),
    }
}

/// The outcome of `up` and the newest applied version before and after it.
async fn up_on(
    migrator: &Migrator<'_>,
    driver: &mut AnyDriver,
    target: Target,
) -> (UpOutcome, Option<Version>, Option<Version>) {
    let rows = match migrator.history(driver).await {
        Ok(rows) => rows,
        Err(e) => return (UpOutcome::Failed(Box::new(e)), None, None),
    };
    let before = newest_applied(&rows);
    match migrator.up(driver, target).await {
        Ok(report) if report.steps.is_empty() => {
            if !behind(migrator, &rows, target) {
                return (UpOutcome::Current, before, before);
            }
            // Another runner applied what was pending while this one waited for the lock.
            match migrator.history(driver).await {
                Ok(now) => (UpOutcome::Current, before, newest_applied(&now)),
                Err(e) => (UpOutcome::Failed(Box::new(e)), before, None),
            }
        }
        Ok(report) => {
            let after = report.steps.iter().map(|s| s.version).max().max(before);
            (UpOutcome::Applied(report), before, after)
        }
        Err(e) => {
            // Where the failure left the database; unknown if the connection is gone.
            let after = match migrator.history(driver).await {
                Ok(now) => newest_applied(&now),
                Err(_) => None,
            };
            (UpOutcome::Failed(Box::new(e)), before, after)
        }
    }
}

/// The newest version the history records as applied.
fn newest_applied(rows: &[AppliedMigration]) -> Option<Version> {
    rows.iter()
        .filter(|r| r.state == State::Applied)
        .map(|r| r.version)
        .max()
}

/// Whether an embedded version up to `target` had no applied row.
fn behind(migrator: &Migrator<'_>, rows: &[AppliedMigration], target: Target) -> bool {
    let limit = match target {
        Target::Latest => None,
        Target::Version(v) => Some(v),
        Target::Empty => return false,
    };
    migrator
        .migrations()
        .migrations()
        .iter()
        .map(|m| m.version())
        .filter(|v| limit.is_none_or(|limit| *v <= limit))
        .any(|v| {
            !rows
                .iter()
                .any(|r| r.version == v && r.state == State::Applied)
        })
}

/// Where one database stands.
pub(super) async fn status(
    migrator: &Migrator<'_>,
    url: &DatabaseUrl,
    options: &ConnectOptions,
) -> TenantStatus {
    let started = Instant::now();
    let outcome = match standing(migrator, url, options).await {
        Ok(standing) => StatusOutcome::Read(Box::new(standing)),
        Err(e) => StatusOutcome::Failed(Box::new(e)),
    };
    TenantStatus {
        database: url.clone(),
        outcome,
        duration: started.elapsed(),
    }
}

async fn standing(
    migrator: &Migrator<'_>,
    url: &DatabaseUrl,
    options: &ConnectOptions,
) -> Result<Standing, Error> {
    let mut driver = connect(url, options).await?;
    let rows = migrator.history(&mut driver).await?;
    let lines = crate::status::status(migrator.migrations(), &rows, driver.dialect());
    let versions = |keep: &dyn Fn(&crate::status::VersionStatus) -> bool| -> Vec<Version> {
        lines
            .iter()
            .filter(|l| keep(l))
            .map(|l| l.version)
            .collect()
    };
    let schema = migrator.check_schema_against(&mut driver, &rows).await?;
    let lock = migrator.lock_holder(&mut driver).await?;
    Ok(Standing {
        dialect: driver.dialect(),
        current: newest_applied(&rows),
        latest: migrator.migrations().latest(),
        pending: versions(&|l| l.state == VersionState::Pending),
        failed: versions(&|l| l.state == VersionState::Failed),
        checksum_changed: versions(&|l| {
            matches!(
                l.checksum,
                ChecksumState::Changed | ChecksumState::DownChanged
            )
        }),
        not_embedded: versions(&|l| l.checksum == ChecksumState::NotEmbedded),
        schema,
        lock,
    })
}
