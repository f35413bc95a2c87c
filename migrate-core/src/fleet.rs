//! Fleets: one database per tenant, migrated together.
//!
//! An application that gives each tenant its own database migrates them all with one
//! [`MigrationSet`]. A [`Fleet`] is that list of databases — given as URLs
//! ([`Fleet::from_urls`]), a file of URLs ([`Fleet::from_file`]) or the rows of a query on a
//! catalog database ([`Fleet::from_catalog`]) — and [`Fleet::up`] runs [`Migrator::up`] on
//! each, several at a time, and reports every database's outcome:
//!
//! ```no_run
//! # async fn example(set: &migrate_core::MigrationSet) -> Result<(), migrate_core::fleet::FleetError> {
//! use migrate_core::fleet::{Fleet, OnFailure};
//! use migrate_core::Target;
//!
//! let fleet = Fleet::from_file("tenants.txt")?
//!     .parallelism(4)
//!     .canaries(1)
//!     .on_failure(OnFailure::Stop);
//! let report = fleet.up(set, Target::Latest).await;
//! println!("{report}"); // a table, one line per database, and a summary
//! assert!(report.is_success());
//! # Ok(()) }
//! ```
//!
//! - **Bounded parallelism.** At most [`Fleet::parallelism`] databases migrate at once, each on
//!   its own connection and in a Tokio task of its own, so that on a multi-thread runtime their
//!   work spreads over the worker threads (the set is copied once per run for them to share).
//! - **Canaries.** The first [`Fleet::canaries`] databases migrate one at a time before any
//!   other starts; a canary that fails stops the whole run, whatever [`OnFailure`] says.
//! - **On failure.** [`OnFailure::Stop`] starts no new database after a failure (those running
//!   finish); [`OnFailure::Continue`] migrates every database regardless. Databases never
//!   started are reported as [`UpOutcome::Skipped`].
//! - **Concurrent runs.** Each database has its own migration lock, so two fleet runs over the
//!   same databases serialise database by database: exactly one applies each version, the
//!   other waits and then finds nothing to do ([`UpOutcome::Current`]).
//! - **A failed tenant stands alone.** Its failure is in its own history (a `failed` row on
//!   MySQL/MariaDB, nothing on the transactional backends); after fixing the cause,
//!   [`Migrator::resume`] on that one database, or a fleet of that one URL, finishes it.
//!
//! [`Fleet::status`] reads every database the same way (current version, pending versions,
//! failed rows, checksum mismatches, schema drift, the migration lock's holder). Reports print as tables ([`std::fmt::Display`])
//! and, with the `cli` feature, as JSON (`FleetReport::to_json`); URLs are always shown with
//! their passwords hidden ([`DatabaseUrl`](crate::database_url::DatabaseUrl)).
//!
//! # Layout
//!
//! - `options.rs`: the [`Fleet`] type and the options of a run ([`OnFailure`], parallelism,
//!   canaries).
//! - `source.rs`: the lists of databases (URLs, file, catalog) and their errors.
//! - `schedule.rs`: canaries, bounded parallelism and stopping, for any per-database task.
//! - `task.rs`: what happens on one database (`up`, `status`).
//! - `report.rs`: what a run reports, and its tables.
//! - `json.rs` (feature `cli`): the JSON documents.
//! - `cli.rs` (feature `cli`): the `fleet up` and `fleet status` operator commands.
//!
//! This file runs a fleet ([`Fleet::up`], [`Fleet::status`]); the types the other files share
//! live in them, so that none of them names this one.

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod json;
mod options;
mod report;
mod schedule;
mod source;
mod task;

use std::sync::Arc;
use std::time::Instant;

use crate::driver::ConnectOptions;
use crate::{Config, MigrationSet, Migrator, Target};

pub use self::options::{default_parallelism, Fleet, OnFailure};
pub use self::report::{
    FleetReport, FleetStatus, Standing, StatusOutcome, StatusSummary, StopCause, TenantStatus,
    TenantUp, UpOutcome, UpSummary,
};
pub use self::source::{FleetError, Origin};

impl Fleet {
    /// Applies `set` up to `target` on every database; see the [module docs](self) for the
    /// order, the canaries and what a failure does. Never fails as a whole: each database's
    /// outcome, error included, is in the report.
    pub async fn up(&self, set: &MigrationSet, target: Target) -> FleetReport {
        let started = Instant::now();
        let shared = self.shared(set);
        let plan = schedule::Schedule {
            parallelism: self.parallelism,
            canaries: self.canaries.min(self.databases.len()),
            on_failure: self.on_failure,
        };
        let (outcomes, stopped) = plan
            .run(
                &self.databases,
                |url| {
                    let (shared, url) = (Arc::clone(&shared), url.clone());
                    schedule::on_worker(async move {
                        let migrator = shared.migrator();
                        task::up(&migrator, &url, &shared.connect, target).await
                    })
                },
                TenantUp::is_failure,
            )
            .await;
        let tenants = outcomes
            .into_iter()
            .zip(&self.databases)
            .map(|(ran, url)| ran.unwrap_or_else(|| TenantUp::skipped(url.clone())))
            .collect();
        FleetReport {
            tenants,
            stopped: stopped.map(|(cause, i)| cause.at(self.databases[i].clone())),
            parallelism: self.parallelism.get(),
            canaries: plan.canaries,
            on_failure: self.on_failure,
            duration: started.elapsed(),
        }
    }

    /// Reads where every database stands, [`Fleet::parallelism`] at a time, changing nothing
    /// (no canaries, no stopping: one unreachable database does not hide the others).
    pub async fn status(&self, set: &MigrationSet) -> FleetStatus {
        let started = Instant::now();
        let shared = self.shared(set);
        let plan = schedule::Schedule {
            parallelism: self.parallelism,
            canaries: 0,
            on_failure: OnFailure::Continue,
        };
        let (outcomes, _) = plan
            .run(
                &self.databases,
                |url| {
                    let (shared, url) = (Arc::clone(&shared), url.clone());
                    schedule::on_worker(async move {
                        task::status(&shared.migrator(), &url, &shared.connect).await
                    })
                },
                |_| false,
            )
            .await;
        FleetStatus {
            tenants: outcomes.into_iter().flatten().collect(),
            duration: started.elapsed(),
        }
    }
}

/// What every database's task of one run shares: tasks run on any worker thread, so they own
/// it together rather than borrow the caller's.
struct Shared {
    set: MigrationSet,
    config: Config,
    connect: ConnectOptions,
}

impl Shared {
    /// A runner for one database.
    fn migrator(&self) -> Migrator<'_> {
        Migrator::with_config(&self.set, self.config.clone())
    }
}

impl Fleet {
    /// The run's [`Shared`], with a copy of `set`.
    fn shared(&self, set: &MigrationSet) -> Arc<Shared> {
        Arc::new(Shared {
            set: set.clone(),
            config: self.config.clone(),
            connect: self.connect,
        })
    }
}
