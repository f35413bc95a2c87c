//! The pure half of running migrations: from the embedded set, the history and a target to
//! the exact statements to run, or a typed error saying why nothing may run.
//!
//! Nothing here does I/O, so every rule is tested in-module without a database.
//!
//! Versions in the history that the binary does not embed follow the [`UnknownVersions`]
//! policy (see `unknown.rs`): the functions without it refuse them, as
//! [`UnknownVersions::Refuse`] does; their `_with` forms take the policy.

mod unknown;

pub use unknown::{unknown_versions, UnknownVersions};

use crate::history::{AppliedMigration, State};
use crate::migration::Reversibility;
use crate::split::{self, Statement};
use crate::{Dialect, Direction, Error, Migration, MigrationSet, Script, Version};

/// How far `up` or `down` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The newest embedded version.
    Latest,
    /// A given version: `up` applies through it, `down` reverts everything after it.
    Version(Version),
    /// Before the first version: `down` reverts everything.
    Empty,
}

/// Whether an unapplied version older than the newest applied one may be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutOfOrder {
    /// Refuse (the default): the version was probably merged late and its effect on later
    /// versions was never tested.
    #[default]
    Reject,
    /// Apply it anyway, in version order.
    Allow,
}

/// How `resume` treats the statement a `failed` row stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Resume {
    /// Run it again, after fixing the cause of its recorded error (the default). Refused with
    /// [`Error::ResumeOutcomeUnknown`] when the row has no error because the run stopped while
    /// the statement was in flight: then only the operator knows which of the two below holds.
    #[default]
    AfterFix,
    /// Continue after it: it took effect (or was completed by hand).
    Skip,
    /// Run it again, also when whether it took effect is unknown: it did not.
    Rerun,
}

/// The statements to run, migration by migration, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<'a> {
    /// The steps, in the order they run.
    pub steps: Vec<Step<'a>>,
    /// The versions in the history that the binary does not embed, which an `up` or `down`
    /// plan leaves alone under [`UnknownVersions::Ignore`]. Empty otherwise
    /// ([`UnknownVersions::Refuse`] refuses them) and in a `resume` plan.
    pub unknown_versions: Vec<Version>,
}

impl Plan<'_> {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// What the operator should know before running the plan, though nothing stops it: each
    /// step whose script holds no statement, in step order.
    pub fn warnings(&self) -> Vec<PlanWarning> {
        self.steps
            .iter()
            .filter(|step| step.statements.is_empty())
            .map(|step| PlanWarning::NoOpScript {
                version: step.migration.version(),
                direction: step.direction,
                script: step.script.path().to_owned(),
            })
            .collect()
    }
}

/// A remark on a [`Plan`] that does not stop it (see [`Plan::warnings`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlanWarning {
    /// The script is empty, blank or only comments: the version is recorded as applied (or
    /// reverted) without running anything. Intentional for placeholder versions; a mistake if
    /// its SQL was never written.
    NoOpScript {
        /// The version.
        version: Version,
        /// Applying or reverting.
        direction: Direction,
        /// The script's path in the tree (`V3__x/up.sql`).
        script: String,
    },
}

impl std::fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanWarning::NoOpScript {
                version,
                direction,
                script,
            } => write!(
                f,
                "version {version}: `{script}` holds no statement; {} it changes nothing but the history",
                match direction {
                    Direction::Up => "applying",
                    Direction::Down => "reverting",
                }
            ),
        }
    }
}

/// One migration run in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<'a> {
    /// The migration.
    pub migration: &'a Migration,
    /// Applying or reverting.
    pub direction: Direction,
    /// The script that runs for the dialect.
    pub script: &'a Script,
    /// Every statement of the script, in order.
    pub statements: Vec<Statement<'a>>,
    /// The index of the first statement to run: 0, or where a resumed operation continues.
    pub start: usize,
}

/// How the runner executes a script on a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Execution {
    /// The statements, the history row and the log row commit together or not at all
    /// (PostgreSQL; SQLite, where every migration is a savepoint in the lock's transaction).
    Atomic,
    /// Statement by statement, progress journaled in the history row (MySQL/MariaDB, whose
    /// DDL commits implicitly, and PostgreSQL scripts marked `-- migrate:no-transaction`).
    Journaled,
}

impl Execution {
    /// `atomic` or `journaled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Execution::Atomic => "atomic",
            Execution::Journaled => "journaled",
        }
    }
}

/// How `script` runs on `dialect`.
pub fn execution(dialect: Dialect, script: &Script) -> Execution {
    match dialect {
        _ if dialect.journals() => Execution::Journaled,
        Dialect::Postgres
            if script.directives().transaction == crate::TransactionMode::NoTransaction =>
        {
            Execution::Journaled
        }
        _ => Execution::Atomic,
    }
}

/// Checks the history against the set before anything runs: every applied version must be
/// known to the binary and its up script unchanged.
pub fn check_history(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
) -> Result<(), Error> {
    check_history_with(set, applied, dialect, UnknownVersions::Refuse).map(drop)
}

/// [`check_history`] under the policy `unknown`: with [`UnknownVersions::Ignore`], applied
/// versions the binary does not embed pass and are returned, in history order (a `failed` one
/// is still refused); the up scripts of the versions it embeds are checked all the same.
pub fn check_history_with(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
    unknown: UnknownVersions,
) -> Result<Vec<Version>, Error> {
    let mut ignored = Vec::new();
    for row in applied {
        let Some(migration) = set.get(row.version) else {
            unknown::check_row(set, row, unknown)?;
            ignored.push(row.version);
            continue;
        };
        if row.state != State::Applied {
            continue;
        }
        let script = script_for(migration, Direction::Up, dialect)?;
        if script.checksum() != row.checksum {
            return Err(Error::ChecksumMismatch {
                version: row.version,
                script: script.path().to_owned(),
                recorded: row.checksum,
                embedded: script.checksum(),
            });
        }
    }
    Ok(ignored)
}

/// Checks that the down script of every applied row is the one recorded when it was applied:
/// an edited down script would revert something other than what the version did. Rows with no
/// recorded down checksum, and versions the binary lacks or that have no down script for
/// `dialect`, are not checked here.
pub fn check_down_checksums(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
) -> Result<(), Error> {
    for row in applied.iter().filter(|r| r.state == State::Applied) {
        if let Some(script) = set
            .get(row.version)
            .and_then(|m| m.script(Direction::Down, dialect))
        {
            check_down(row, script)?;
        }
    }
    Ok(())
}

/// Refuses `script`, the down script of `row`'s version, when it is not the one recorded.
fn check_down(row: &AppliedMigration, script: &Script) -> Result<(), Error> {
    match row.down_checksum {
        Some(recorded) if recorded != script.checksum() => Err(Error::DownChecksumMismatch {
            version: row.version,
            script: script.path().to_owned(),
            recorded,
            embedded: script.checksum(),
        }),
        _ => Ok(()),
    }
}

/// Refuses while a row is `failed`: the operator must `resume` or `repair` first. The error
/// names the statement's line when the binary embeds the script that failed.
pub fn reject_failed(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
) -> Result<(), Error> {
    match applied.iter().find(|row| row.state == State::Failed) {
        Some(row) => Err(failed_error(set, row, dialect)),
        None => Ok(()),
    }
}

/// The error describing a `failed` row.
fn failed_error(set: &MigrationSet, row: &AppliedMigration, dialect: Dialect) -> Error {
    let line = set
        .get(row.version)
        .and_then(|m| m.script(row.direction, dialect))
        .filter(|s| s.path() == row.script)
        .and_then(|s| split::split(s.sql(), dialect).ok())
        .and_then(|statements| statements.get(row.statements_done as usize).map(|s| s.line));
    Error::FailedMigration {
        version: row.version,
        direction: row.direction,
        script: row.script.clone(),
        statement: row.statements_done + 1,
        statements_total: row.statements_total,
        line,
        error: row.error.clone(),
    }
}

/// Plans applying every unapplied version up to `target`.
pub fn plan_up<'a>(
    set: &'a MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
    target: Target,
    out_of_order: OutOfOrder,
) -> Result<Plan<'a>, Error> {
    plan_up_with(
        set,
        applied,
        dialect,
        target,
        out_of_order,
        UnknownVersions::Refuse,
    )
}

/// [`plan_up`] under the policy `unknown`. With [`UnknownVersions::Ignore`] the plan lists the
/// versions it leaves alone, and a pending version below one of them is refused
/// ([`Error::PendingBelowUnknown`]) whatever `out_of_order` says.
pub fn plan_up_with<'a>(
    set: &'a MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
    target: Target,
    out_of_order: OutOfOrder,
    unknown: UnknownVersions,
) -> Result<Plan<'a>, Error> {
    let unknown_versions = check_history_with(set, applied, dialect, unknown)?;
    reject_failed(set, applied, dialect)?;
    let last = match target {
        Target::Latest => set.latest(),
        Target::Version(v) => Some(known(set, v)?),
        Target::Empty => None,
    };
    let newest_applied = applied.iter().map(|r| r.version).max();
    let mut steps = Vec::new();
    for migration in set.migrations() {
        let version = migration.version();
        if last.is_none_or(|last| version > last) {
            break;
        }
        if applied.iter().any(|r| r.version == version) {
            continue;
        }
        unknown::reject_pending(version, &unknown_versions)?;
        if let Some(newest) = newest_applied.filter(|n| version < *n) {
            if out_of_order == OutOfOrder::Reject {
                return Err(Error::OutOfOrder {
                    version,
                    newest_applied: newest,
                });
            }
        }
        steps.push(step(migration, Direction::Up, dialect, 0)?);
    }
    Ok(Plan {
        steps,
        unknown_versions,
    })
}

/// Plans reverting every applied version after `target`, newest first.
pub fn plan_down<'a>(
    set: &'a MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
    target: Target,
) -> Result<Plan<'a>, Error> {
    plan_down_with(set, applied, dialect, target, UnknownVersions::Refuse)
}

/// [`plan_down`] under the policy `unknown`. With [`UnknownVersions::Ignore`] a revert that
/// would have to undo a version the binary does not embed is refused, naming every such
/// version ([`Error::RevertUnknown`]): the binary has no down script for them.
pub fn plan_down_with<'a>(
    set: &'a MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
    target: Target,
    unknown: UnknownVersions,
) -> Result<Plan<'a>, Error> {
    let unknown_versions = check_history_with(set, applied, dialect, unknown)?;
    reject_failed(set, applied, dialect)?;
    let keep = match target {
        Target::Latest => {
            return Ok(Plan {
                steps: Vec::new(),
                unknown_versions,
            })
        }
        Target::Version(v) => Some(v),
        Target::Empty => None,
    };
    // Before the target's own check, so that `redo` of an unknown newest version names it.
    unknown::reject_revert(set, applied, keep)?;
    if let Some(keep) = keep {
        known(set, keep)?;
    }
    let mut steps = Vec::new();
    for row in applied.iter().rev() {
        if keep.is_some_and(|keep| row.version <= keep) {
            break;
        }
        // check_history and reject_revert guarantee the set knows every version reverted.
        let Some(migration) = set.get(row.version) else {
            return Err(Error::UnknownVersion {
                version: row.version,
                latest_known: set.latest(),
            });
        };
        let script = script_for(migration, Direction::Down, dialect)?;
        check_down(row, script)?;
        if script.directives().reversibility == Reversibility::Irreversible {
            return Err(Error::Irreversible {
                version: row.version,
                script: script.path().to_owned(),
            });
        }
        steps.push(step(migration, Direction::Down, dialect, 0)?);
    }
    Ok(Plan {
        steps,
        unknown_versions,
    })
}

/// Plans finishing the operation a `failed` row records, from its failed statement on
/// ([`Resume::Skip`] continues after it instead, for a statement that took effect).
pub fn plan_resume<'a>(
    set: &'a MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
    resume: Resume,
) -> Result<Plan<'a>, Error> {
    let Some(row) = applied.iter().find(|r| r.state == State::Failed) else {
        return Err(Error::NothingToResume);
    };
    let migration = set.get(row.version).ok_or(Error::UnknownVersion {
        version: row.version,
        latest_known: set.latest(),
    })?;
    let start = row.statements_done as usize + usize::from(resume == Resume::Skip);
    let step = step(migration, row.direction, dialect, start)?;
    if row.direction == Direction::Down {
        check_down(row, step.script)?;
    }
    if step.statements.len() != row.statements_total as usize {
        return Err(Error::ResumeScriptChanged {
            version: row.version,
            script: step.script.path().to_owned(),
            recorded: row.statements_total,
            embedded: step.statements.len() as u32,
        });
    }
    // No error and a statement left: it was in flight when the run stopped.
    let unknown = row.error.is_none() && row.statements_done < row.statements_total;
    if unknown && resume == Resume::AfterFix {
        let in_flight = step.statements.get(row.statements_done as usize);
        return Err(Error::ResumeOutcomeUnknown {
            version: row.version,
            script: step.script.path().to_owned(),
            statement: row.statements_done + 1,
            line: in_flight.map(|s| s.line),
        });
    }
    Ok(Plan {
        steps: vec![step],
        unknown_versions: Vec::new(),
    })
}

fn known(set: &MigrationSet, version: Version) -> Result<Version, Error> {
    match set.get(version) {
        Some(_) => Ok(version),
        None => Err(Error::UnknownTarget {
            target: version,
            latest_known: set.latest(),
        }),
    }
}

/// The script for `direction` on `dialect`, or the error naming what is missing.
pub(crate) fn script_for(
    migration: &Migration,
    direction: Direction,
    dialect: Dialect,
) -> Result<&Script, Error> {
    migration
        .script(direction, dialect)
        .ok_or(Error::MissingDialectScript {
            version: migration.version(),
            direction,
            dialect,
        })
}

fn step(
    migration: &Migration,
    direction: Direction,
    dialect: Dialect,
    start: usize,
) -> Result<Step<'_>, Error> {
    let script = script_for(migration, direction, dialect)?;
    let statements = split::split(script.sql(), dialect).map_err(|e| Error::Split {
        script: script.path().to_owned(),
        dialect,
        source: e,
    })?;
    Ok(Step {
        migration,
        direction,
        script,
        statements,
        start,
    })
}

#[cfg(test)]
mod tests;
