//! What a fleet run reports: one entry per database, in the fleet's order, a summary, and
//! the tables people read ([`fmt::Display`]).

use std::fmt;
use std::time::Duration;

use super::options::OnFailure;
use crate::database_url::DatabaseUrl;
use crate::driver::LockState;
use crate::schema::SchemaCheck;
use crate::{Dialect, Error, Report, Version};

/// What [`super::Fleet::up`] did on every database.
#[derive(Debug)]
pub struct FleetReport {
    /// One entry per database, in the fleet's order.
    pub tenants: Vec<TenantUp>,
    /// Why the run stopped before starting every database, if it did.
    pub stopped: Option<StopCause>,
    /// How many databases migrated at once.
    pub parallelism: usize,
    /// How many databases ran first, one at a time.
    pub canaries: usize,
    /// What the run did after a failure.
    pub on_failure: OnFailure,
    /// How long the whole run took.
    pub duration: Duration,
}

/// Why a fleet run started no more databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// A canary failed: no other database was started.
    Canary {
        /// The canary that failed.
        database: DatabaseUrl,
    },
    /// A database failed under [`OnFailure::Stop`]: those running finished, no new one
    /// started.
    Failure {
        /// The first database that failed.
        database: DatabaseUrl,
    },
}

/// What `up` did on one database.
#[derive(Debug)]
pub struct TenantUp {
    /// The database (shown with its password hidden).
    pub database: DatabaseUrl,
    /// What happened.
    pub outcome: UpOutcome,
    /// The newest applied version before the run (`None`: nothing applied, or not read).
    pub before: Option<Version>,
    /// The newest applied version after the run (`None`: nothing applied, or not read).
    pub after: Option<Version>,
    /// How long this database took, connecting included.
    pub duration: Duration,
}

/// What happened on one database.
#[derive(Debug)]
pub enum UpOutcome {
    /// Versions were applied (the runner's report: steps and drift found).
    Applied(Report),
    /// Nothing to apply: the database was current, or another runner brought it there.
    Current,
    /// Connecting, reading the history or applying failed; the error names the version and
    /// statement where there is one, and what to do.
    Failed(Box<Error>),
    /// Not started: the run stopped first.
    Skipped,
}

impl UpOutcome {
    /// `applied`, `current`, `failed` or `skipped`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            UpOutcome::Applied(_) => "applied",
            UpOutcome::Current => "current",
            UpOutcome::Failed(_) => "failed",
            UpOutcome::Skipped => "skipped",
        }
    }
}

impl TenantUp {
    pub(super) fn skipped(database: DatabaseUrl) -> TenantUp {
        TenantUp {
            database,
            outcome: UpOutcome::Skipped,
            before: None,
            after: None,
            duration: Duration::ZERO,
        }
    }

    /// Whether the database failed.
    pub fn is_failure(&self) -> bool {
        matches!(self.outcome, UpOutcome::Failed(_))
    }

    /// The versions applied on it, in order.
    pub fn applied(&self) -> Vec<Version> {
        match &self.outcome {
            UpOutcome::Applied(report) => report.steps.iter().map(|s| s.version).collect(),
            _ => Vec::new(),
        }
    }

    /// The error, for a failed database.
    pub fn error(&self) -> Option<&Error> {
        match &self.outcome {
            UpOutcome::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// How many databases ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpSummary {
    /// Every database of the fleet.
    pub total: usize,
    /// Databases where versions were applied.
    pub applied: usize,
    /// Databases already current.
    pub current: usize,
    /// Databases that failed.
    pub failed: usize,
    /// Databases not started.
    pub skipped: usize,
}

impl FleetReport {
    /// The counts of each outcome.
    pub fn summary(&self) -> UpSummary {
        let mut s = UpSummary {
            total: self.tenants.len(),
            ..UpSummary::default()
        };
        for t in &self.tenants {
            match t.outcome {
                UpOutcome::Applied(_) => s.applied += 1,
                UpOutcome::Current => s.current += 1,
                UpOutcome::Failed(_) => s.failed += 1,
                UpOutcome::Skipped => s.skipped += 1,
            }
        }
        s
    }

    /// Whether every database is now current: none failed, none skipped.
    pub fn is_success(&self) -> bool {
        self.tenants
            .iter()
            .all(|t| matches!(t.outcome, UpOutcome::Applied(_) | UpOutcome::Current))
    }

    /// The databases that failed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = (&DatabaseUrl, &Error)> {
        self.tenants
            .iter()
            .filter_map(|t| t.error().map(|e| (&t.database, e)))
    }
}

/// What [`super::Fleet::status`] read on every database.
#[derive(Debug)]
pub struct FleetStatus {
    /// One entry per database, in the fleet's order.
    pub tenants: Vec<TenantStatus>,
    /// How long the whole read took.
    pub duration: Duration,
}

/// Where one database stands.
#[derive(Debug)]
pub struct TenantStatus {
    /// The database (shown with its password hidden).
    pub database: DatabaseUrl,
    /// What was read, or why it could not be.
    pub outcome: StatusOutcome,
    /// How long the read took, connecting included.
    pub duration: Duration,
}

/// What reading one database's status came to.
#[derive(Debug)]
pub enum StatusOutcome {
    /// The history was read.
    Read(Box<Standing>),
    /// Connecting or reading failed.
    Failed(Box<Error>),
}

/// One database's history against the binary, and its schema against the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The server's dialect.
    pub dialect: Dialect,
    /// The newest applied version.
    pub current: Option<Version>,
    /// The newest version the binary embeds.
    pub latest: Option<Version>,
    /// Embedded versions not applied.
    pub pending: Vec<Version>,
    /// Versions with a `failed` row (resume or repair them).
    pub failed: Vec<Version>,
    /// Applied versions whose up or down script changed since.
    pub checksum_changed: Vec<Version>,
    /// Recorded versions the binary does not embed (the database is newer).
    pub not_embedded: Vec<Version>,
    /// The live schema against the one recorded.
    pub schema: SchemaCheck,
    /// Who holds the migration lock: a runner at work, or one stuck.
    pub lock: LockState,
}

impl Standing {
    /// Whether nothing is pending and nothing is wrong.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && !self.has_problems()
    }

    /// Whether a row failed, a checksum changed, a version is unknown or the schema drifted.
    pub fn has_problems(&self) -> bool {
        !self.failed.is_empty()
            || !self.checksum_changed.is_empty()
            || !self.not_embedded.is_empty()
            || matches!(self.schema, SchemaCheck::Drifted(_))
    }

    /// `matches`, `drift`, `not_recorded`, `interrupted` or `nothing_applied`.
    pub fn schema_state(&self) -> &'static str {
        match self.schema {
            SchemaCheck::NothingApplied => "nothing_applied",
            SchemaCheck::NotRecorded { .. } => "not_recorded",
            SchemaCheck::Interrupted { .. } => "interrupted",
            SchemaCheck::Matches { .. } => "matches",
            SchemaCheck::Drifted(_) => "drift",
        }
    }
}

/// How many databases stand each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusSummary {
    /// Every database of the fleet.
    pub total: usize,
    /// Nothing pending, nothing wrong.
    pub current: usize,
    /// Versions pending, nothing wrong.
    pub behind: usize,
    /// A failed row, a changed checksum, an unknown version or drift.
    pub problems: usize,
    /// Could not be read.
    pub unreadable: usize,
}

impl FleetStatus {
    /// The counts of each standing.
    pub fn summary(&self) -> StatusSummary {
        let mut s = StatusSummary {
            total: self.tenants.len(),
            ..StatusSummary::default()
        };
        for t in &self.tenants {
            match &t.outcome {
                StatusOutcome::Failed(_) => s.unreadable += 1,
                StatusOutcome::Read(st) if st.has_problems() => s.problems += 1,
                StatusOutcome::Read(st) if st.pending.is_empty() => s.current += 1,
                StatusOutcome::Read(_) => s.behind += 1,
            }
        }
        s
    }
}

/// `v` or `-`.
fn version(v: Option<Version>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// `1,2,3` or `-`.
fn versions(vs: &[Version]) -> String {
    if vs.is_empty() {
        return "-".to_owned();
    }
    vs.iter()
        .map(Version::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// The error and its causes on one line each, indented.
fn error_lines(f: &mut fmt::Formatter<'_>, database: &DatabaseUrl, e: &Error) -> fmt::Result {
    writeln!(f, "  {database}: {e}")?;
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        writeln!(f, "    caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}

fn url_width<'a>(urls: impl Iterator<Item = &'a DatabaseUrl>) -> usize {
    urls.map(|u| u.redacted().chars().count())
        .max()
        .unwrap_or(0)
        .max("database".len())
}

/// A table, one line per database, the summary, then each failure's error.
impl fmt::Display for FleetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = url_width(self.tenants.iter().map(|t| &t.database));
        writeln!(
            f,
            "{:<w$}  {:<8} {:>6} {:>6}  {:<12} {:>9}",
            "database", "outcome", "before", "after", "applied", "duration"
        )?;
        for t in &self.tenants {
            writeln!(
                f,
                "{:<w$}  {:<8} {:>6} {:>6}  {:<12} {:>9}",
                t.database.redacted(),
                t.outcome.as_str(),
                version(t.before),
                version(t.after),
                versions(&t.applied()),
                millis(t.duration),
            )?;
        }
        let s = self.summary();
        writeln!(
            f,
            "\n{} databases in {:.2} s (parallelism {}, {} canar{}): {} applied, {} current, {} failed, {} skipped",
            s.total,
            self.duration.as_secs_f64(),
            self.parallelism,
            self.canaries,
            if self.canaries == 1 { "y" } else { "ies" },
            s.applied,
            s.current,
            s.failed,
            s.skipped
        )?;
        match &self.stopped {
            Some(StopCause::Canary { database }) => {
                writeln!(f, "stopped: canary {database} failed")?
            }
            Some(StopCause::Failure { database }) => writeln!(
                f,
                "stopped: {database} failed; no database started after it"
            )?,
            None => {}
        }
        if s.failed > 0 {
            writeln!(
                f,
                "\nfailed (fix the cause, then `resume` or rerun on that database alone):"
            )?;
            for (database, e) in self.failures() {
                error_lines(f, database, e)?;
            }
        }
        Ok(())
    }
}

impl FleetStatus {
    /// One line per database whose migration lock is held, naming the holder.
    fn holders(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tenants {
            if let StatusOutcome::Read(s) = &t.outcome {
                if let LockState::Held(holder) = &s.lock {
                    let database = t.database.redacted();
                    writeln!(f, "{database}: migration lock held by {holder}")?;
                }
            }
        }
        Ok(())
    }
}

/// A table, one line per database, the summary, the holders of held migration locks, then
/// each unreadable database's error.
impl fmt::Display for FleetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = url_width(self.tenants.iter().map(|t| &t.database));
        writeln!(
            f,
            "{:<w$}  {:>7} {:>6}  {:<10} {:<8} {:<10} {:<15} {:<11} {:>9}",
            "database",
            "current",
            "latest",
            "pending",
            "failed",
            "checksum",
            "schema",
            "lock",
            "duration"
        )?;
        for t in &self.tenants {
            match &t.outcome {
                StatusOutcome::Read(s) => writeln!(
                    f,
                    "{:<w$}  {:>7} {:>6}  {:<10} {:<8} {:<10} {:<15} {:<11} {:>9}",
                    t.database.redacted(),
                    version(s.current),
                    version(s.latest),
                    versions(&s.pending),
                    versions(&s.failed),
                    versions(&s.checksum_changed),
                    s.schema_state(),
                    s.lock.as_str(),
                    millis(t.duration),
                )?,
                StatusOutcome::Failed(_) => writeln!(
                    f,
                    "{:<w$}  {:>7} {:>6}  {:<10} {:<8} {:<10} {:<15} {:<11} {:>9}",
                    t.database.redacted(),
                    "?",
                    "?",
                    "unreadable",
                    "-",
                    "-",
                    "-",
                    "-",
                    millis(t.duration),
                )?,
            }
        }
        let s = self.summary();
        writeln!(
            f,
            "\n{} databases in {:.2} s: {} current, {} behind, {} with problems, {} unreadable",
            s.total,
            self.duration.as_secs_f64(),
            s.current,
            s.behind,
            s.problems,
            s.unreadable
        )?;
        self.holders(f)?;
        for t in &self.tenants {
            if let StatusOutcome::Failed(e) = &t.outcome {
                error_lines(f, &t.database, e)?;
            }
        }
        Ok(())
    }
}
