//! Round-trip verification of down scripts, on scratch databases that exist only for it.
//!
//! For every version in order, [`Verifier::run`] applies it, describes the schema, reverts it,
//! checks that the schema is exactly the one before the up script ran, applies it again and
//! checks that the schema is exactly the one the first up produced. It reports every version
//! whose down script does not restore the schema, whose up script is not repeatable after its
//! down, or whose scripts fail, each with a readable [`SchemaDiff`] or the error, and carries on
//! with the next version (on a new scratch database brought to the same version, when a
//! failure left the old one in an unknown state).
//!
//! It never touches an application's database: it runs only on databases that a
//! [`ScratchDatabases`] creates and disposes of, and refuses one that is not empty.
//! `ScratchServer` (with any driver feature) creates them on the server of a database URL
//! (`CREATE DATABASE migrate_verify_…`), or as temporary files for SQLite.
//!
//! ```no_run
//! # async fn example(set: &migrate_core::MigrationSet) -> Result<(), migrate_core::Error> {
//! use migrate_core::verify::{ScratchServer, Verifier};
//! let mut scratch = ScratchServer::new("postgres://postgres@127.0.0.1/app");
//! let report = Verifier::new(set).run(&mut scratch).await?;
//! print!("{report}");
//! assert!(report.is_ok(), "some down script does not restore its schema");
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use crate::driver::Driver;
use crate::migration::Reversibility;
use crate::schema::{describe, SchemaDescription, SchemaDiff};
use crate::{
    Config, Dialect, Direction, Error, Fingerprints, MigrationSet, Migrator, Target, Version,
};

#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
mod scratch;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub use self::scratch::{ScratchServer, SCRATCH_PREFIX};

mod databases;
pub use self::databases::ScratchDatabases;

/// Verifies that each version's down script restores the schema its up script changed.
#[derive(Debug, Clone)]
pub struct Verifier<'s> {
    set: &'s MigrationSet,
    config: Config,
}

/// Which step of a version's round trip failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundTripStep {
    /// The first up.
    Up,
    /// The down.
    Down,
    /// The up after the down.
    UpAgain,
}

impl fmt::Display for RoundTripStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoundTripStep::Up => "up",
            RoundTripStep::Down => "down",
            RoundTripStep::UpAgain => "up after down",
        })
    }
}

/// Something wrong with one version's round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoundTripProblem {
    /// After the down, the schema is not the one before the up: `diff` goes from the schema
    /// before the up to the one after the down.
    DownDoesNotRestore {
        /// What differs.
        diff: SchemaDiff,
    },
    /// The up after the down left a different schema than the first up: `diff` goes from the
    /// first to the second.
    UpNotRepeatable {
        /// What differs.
        diff: SchemaDiff,
    },
    /// A script failed.
    Failed {
        /// Which step.
        step: RoundTripStep,
        /// The error, with its causes.
        error: String,
    },
}

impl fmt::Display for RoundTripProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoundTripProblem::DownDoesNotRestore { diff } => write!(
                f,
                "the down script does not restore the schema before the up script (before -> after down):\n{diff}"
            ),
            RoundTripProblem::UpNotRepeatable { diff } => write!(
                f,
                "the up script is not repeatable after the down script (first up -> second up):\n{diff}"
            ),
            RoundTripProblem::Failed { step, error } => writeln!(f, "{step} failed: {error}"),
        }
    }
}

/// How far a version's round trip went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundTrip {
    /// Up, down and up again ran (the problems, if any, say what was wrong).
    Checked,
    /// The down script is marked `-- migrate:irreversible`: only the up ran.
    Irreversible,
}

/// The verification of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCheck {
    /// The version.
    pub version: Version,
    /// Its description.
    pub description: String,
    /// How far the round trip went.
    pub round_trip: RoundTrip,
    /// What was wrong; empty when the round trip restored the schema exactly.
    pub problems: Vec<RoundTripProblem>,
    /// How long the round trip took, describing included.
    pub duration: Duration,
}

impl VersionCheck {
    /// Whether nothing was wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for VersionCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = format!("version {} ({})", self.version, self.description);
        match (self.is_ok(), self.round_trip) {
            (true, RoundTrip::Checked) => writeln!(
                f,
                "ok    {name}: down restores the schema, up is repeatable"
            ),
            (true, RoundTrip::Irreversible) => writeln!(
                f,
                "skip  {name}: irreversible, only its up script was checked"
            ),
            (false, _) => {
                writeln!(f, "FAIL  {name}:")?;
                for problem in &self.problems {
                    for line in problem.to_string().lines() {
                        writeln!(f, "      {line}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// What [`Verifier::run`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The dialect of the scratch databases.
    pub dialect: Dialect,
    /// Each version checked, in order.
    pub versions: Vec<VersionCheck>,
    /// Versions that could not be checked, because an earlier version's up script failed on a
    /// fresh database.
    pub not_checked: Vec<Version>,
    /// How long the whole run took.
    pub duration: Duration,
}

impl VerifyReport {
    /// Whether every version was checked and restored its schema exactly.
    pub fn is_ok(&self) -> bool {
        self.not_checked.is_empty() && self.versions.iter().all(VersionCheck::is_ok)
    }

    /// The versions with problems.
    pub fn failures(&self) -> impl Iterator<Item = &VersionCheck> {
        self.versions.iter().filter(|v| !v.is_ok())
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for version in &self.versions {
            write!(f, "{version}")?;
        }
        if !self.not_checked.is_empty() {
            let list: Vec<String> = self.not_checked.iter().map(|v| v.to_string()).collect();
            writeln!(
                f,
                "not checked (an earlier up script failed): {}",
                list.join(", ")
            )?;
        }
        let failed = self.failures().count();
        writeln!(
            f,
            "{} of {} versions verified on {} in {:.1?}: {}",
            self.versions.len() - failed,
            self.versions.len() + self.not_checked.len(),
            self.dialect,
            self.duration,
            if self.is_ok() {
                "every down script restores its schema".to_owned()
            } else {
                format!("{failed} with problems")
            }
        )
    }
}

impl<'s> Verifier<'s> {
    /// A verifier of `set` with the default runner configuration.
    pub fn new(set: &'s MigrationSet) -> Verifier<'s> {
        Verifier {
            set,
            config: Config::default(),
        }
    }

    /// Runs the scripts with `config` (its history table, lock timeout, actor).
    pub fn config(mut self, config: Config) -> Verifier<'s> {
        self.config = config;
        self
    }

    /// Verifies every version on databases from `scratch`. Errors are reserved for what stops
    /// verification as such (a scratch database that cannot be created, or is not empty); a
    /// script that fails is reported in the [`VerifyReport`].
    pub async fn run<S: ScratchDatabases>(&self, scratch: &mut S) -> Result<VerifyReport, Error> {
        self.run_observed(scratch, |_| {}).await
    }

    /// [`Verifier::run`], calling `observer` as each version's check completes (for progress
    /// on long histories).
    pub async fn run_observed<S: ScratchDatabases>(
        &self,
        scratch: &mut S,
        mut observer: impl FnMut(&VersionCheck) + Send,
    ) -> Result<VerifyReport, Error> {
        let started = Instant::now();
        // The verifier compares descriptions itself; fingerprints in the scratch history would
        // only double the describing.
        let migrator = Migrator::with_config(
            self.set,
            self.config.clone().fingerprints(Fingerprints::Off),
        );
        let mut db = self.fresh(scratch).await?;
        let dialect = db.dialect();
        let mut report = VerifyReport {
            dialect,
            versions: Vec::new(),
            not_checked: Vec::new(),
            duration: Duration::ZERO,
        };
        let mut before = self.describe(&mut db).await?;
        let migrations = self.set.migrations();
        for (index, migration) in migrations.iter().enumerate() {
            let version = migration.version();
            let check_started = Instant::now();
            let mut check = VersionCheck {
                version,
                description: migration.description().to_owned(),
                round_trip: RoundTrip::Checked,
                problems: Vec::new(),
                duration: Duration::ZERO,
            };
            tracing::info!(version = version.get(), "verifying");
            if let Err(e) = migrator.up(&mut db, Target::Version(version)).await {
                check.problems.push(failed(RoundTripStep::Up, &e));
                check.duration = check_started.elapsed();
                observer(&check);
                report.versions.push(check);
                report.not_checked = migrations[index + 1..]
                    .iter()
                    .map(|m| m.version())
                    .collect();
                break;
            }
            let after_up = self.describe(&mut db).await?;
            let irreversible = migration
                .script(Direction::Down, dialect)
                .is_some_and(|s| s.directives().reversibility == Reversibility::Irreversible);
            if irreversible {
                check.round_trip = RoundTrip::Irreversible;
                before = after_up;
            } else {
                let outcome = self
                    .round_trip(&migrator, &mut db, version, &before, &after_up)
                    .await?;
                check.problems = outcome.problems;
                match outcome.state {
                    Some(state) => before = state,
                    // The database is in an unknown state: carry on from a fresh one at the
                    // same version.
                    None => (db, before) = self.recover(&migrator, scratch, db, &mut check).await?,
                }
            }
            check.duration = check_started.elapsed();
            observer(&check);
            report.versions.push(check);
        }
        scratch.dispose(db).await?;
        report.duration = started.elapsed();
        Ok(report)
    }

    /// After a round trip that left `db` in an unknown state: a fresh database brought to the
    /// checked version, to carry on from, and its schema. A failure to get there is one more
    /// problem of `check`.
    async fn recover<S: ScratchDatabases>(
        &self,
        migrator: &Migrator<'_>,
        scratch: &mut S,
        db: S::Driver,
        check: &mut VersionCheck,
    ) -> Result<(S::Driver, SchemaDescription), Error> {
        scratch.dispose(db).await?;
        let mut db = self.fresh(scratch).await?;
        if let Err(e) = migrator.up(&mut db, Target::Version(check.version)).await {
            check.problems.push(failed(RoundTripStep::Up, &e));
        }
        let state = self.describe(&mut db).await?;
        Ok((db, state))
    }

    /// Down to the version before `version`, compare with `before`; up to `version` again,
    /// compare with `after_up`. The state is `None` when a script failed and the database
    /// cannot be trusted.
    async fn round_trip<D: Driver>(
        &self,
        migrator: &Migrator<'_>,
        db: &mut D,
        version: Version,
        before: &SchemaDescription,
        after_up: &SchemaDescription,
    ) -> Result<RoundTripOutcome, Error> {
        let previous = Version::new(version.get() - 1).map_or(Target::Empty, Target::Version);
        let mut problems = Vec::new();
        if let Err(e) = migrator.down(db, previous).await {
            problems.push(failed(RoundTripStep::Down, &e));
            return Ok(RoundTripOutcome {
                problems,
                state: None,
            });
        }
        let after_down = self.describe(db).await?;
        let diff = before.diff(&after_down);
        if !diff.is_empty() {
            problems.push(RoundTripProblem::DownDoesNotRestore { diff });
        }
        if let Err(e) = migrator.up(db, Target::Version(version)).await {
            problems.push(failed(RoundTripStep::UpAgain, &e));
            return Ok(RoundTripOutcome {
                problems,
                state: None,
            });
        }
        let again = self.describe(db).await?;
        let diff = after_up.diff(&again);
        if !diff.is_empty() {
            problems.push(RoundTripProblem::UpNotRepeatable { diff });
        }
        Ok(RoundTripOutcome {
            problems,
            state: Some(again),
        })
    }

    /// A new scratch database, refused unless it is empty.
    async fn fresh<S: ScratchDatabases>(&self, scratch: &mut S) -> Result<S::Driver, Error> {
        let mut db = scratch.create().await?;
        let objects = self.describe(&mut db).await?.len();
        let history = Migrator::with_config(self.set, self.config.clone())
            .history(&mut db)
            .await?
            .len();
        if objects > 0 || history > 0 {
            // Not disposed of here: a `ScratchServer` drops the database it created when it is
            // dropped, and another source's database may not be ours to drop.
            return Err(Error::ScratchNotEmpty { objects, history });
        }
        Ok(db)
    }

    async fn describe<D: Driver>(&self, db: &mut D) -> Result<SchemaDescription, Error> {
        describe(db, self.config.history_table()).await
    }
}

struct RoundTripOutcome {
    problems: Vec<RoundTripProblem>,
    state: Option<SchemaDescription>,
}

fn failed(step: RoundTripStep, error: &Error) -> RoundTripProblem {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    RoundTripProblem::Failed { step, error: text }
}
