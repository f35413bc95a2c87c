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
//! failed rows, checksum mismatches, schema drift). Reports print as tables ([`std::fmt::Display`])
//! and, with the `cli` feature, as JSON (`FleetReport::to_json`); URLs are always shown with
//! their passwords hidden ([`DatabaseUrl`]).
//!
//! # Layout
//!
//! - `source.rs`: the lists of databases (URLs, file, catalog) and their errors.
//! - `schedule.rs`: canaries, bounded parallelism and stopping, for any per-database task.
//! - `task.rs`: what happens on one database (`up`, `status`).
//! - `report.rs`: what a run reports, and its tables.
//! - `json.rs` (feature `cli`): the JSON documents.
//! - `cli.rs` (feature `cli`): the `fleet up` and `fleet status` operator commands.

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod json;
mod report;
mod schedule;
mod source;
mod task;

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Instant;

use crate::database_url::DatabaseUrl;
use crate::driver::ConnectOptions;
use crate::{Config, MigrationSet, Migrator, Target};

pub use self::report::{
    FleetReport, FleetStatus, Standing, StatusOutcome, StatusSummary, StopCause, TenantStatus,
    TenantUp, UpOutcome, UpSummary,
};
pub use self::source::{FleetError, Origin};

/// What a fleet run does after a database fails (canaries aside: a canary's failure always
/// stops the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnFailure {
    /// Start no new database; those already running finish (the default).
    #[default]
    Stop,
    /// Keep migrating every other database.
    Continue,
}

/// The databases of a fleet and how to migrate them; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Fleet {
    databases: Vec<DatabaseUrl>,
    parallelism: NonZeroUsize,
    canaries: usize,
    on_failure: OnFailure,
    connect: ConnectOptions,
    config: Config,
}

impl Fleet {
    /// A fleet of already parsed URLs, in the order given.
    pub fn new(databases: Vec<DatabaseUrl>) -> Fleet {
        Fleet {
            databases,
            parallelism: NonZeroUsize::new(default_parallelism()).unwrap_or(NonZeroUsize::MIN),
            canaries: 1,
            on_failure: OnFailure::Stop,
            connect: ConnectOptions::default(),
            config: Config::default(),
        }
    }

    /// The databases, in order.
    pub fn databases(&self) -> &[DatabaseUrl] {
        &self.databases
    }

    /// How many databases migrate at once (default: twice the available cores, at least 4);
    /// 0 is taken as 1.
    pub fn parallelism(mut self, parallelism: usize) -> Fleet {
        self.parallelism = NonZeroUsize::new(parallelism).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// How many databases, first in the list, migrate one at a time before the rest
    /// (default 1; 0 for none). A canary's failure stops the run.
    pub fn canaries(mut self, canaries: usize) -> Fleet {
        self.canaries = canaries;
        self
    }

    /// What to do after a database fails (default [`OnFailure::Stop`]).
    pub fn on_failure(mut self, on_failure: OnFailure) -> Fleet {
        self.on_failure = on_failure;
        self
    }

    /// How each connection is opened (the connect timeout).
    pub fn connect_options(mut self, options: ConnectOptions) -> Fleet {
        self.connect = options;
        self
    }

    /// The runner configuration used on every database (history table, lock timeout, …).
    pub fn config(mut self, config: Config) -> Fleet {
        self.config = config;
        self
    }

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

/// The parallelism of a new [`Fleet`]: twice the available cores, at least 4. A migration
/// mostly waits on its server, so a few more connections than cores keep the cores busy.
pub fn default_parallelism() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    (cores * 2).max(4)
}
