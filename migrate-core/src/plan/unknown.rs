//! Versions in the history that the binary does not embed: an older binary on a newer database
//! (a rolled-back deploy, an old API version still serving while a new one ships).
//!
//! Versions are contiguous from 1, so every unknown version is newer than every embedded one.
//! [`UnknownVersions::Refuse`] stops every command at the first of them. Under
//! [`UnknownVersions::Ignore`] the binary may start next to them but never touches anything at
//! or after them:
//!
//! - applied unknown versions pass the history check and are reported, not run or changed;
//! - a `failed` unknown version is still refused: a newer binary stopped part-way through it,
//!   and only a build that has its scripts can `resume` it;
//! - a pending embedded version below an applied unknown one is refused, also with
//!   [`OutOfOrder::Allow`](super::OutOfOrder::Allow): it would run on a schema no build has
//!   tested it on, under changes this binary cannot see;
//! - a revert refuses when it would have to undo an unknown version (every revert would:
//!   they are the newest), since the binary has no down script for it.

use crate::history::{AppliedMigration, State};
use crate::{Error, MigrationSet, Version};

/// What the runner does with versions in the history that the binary does not embed (the
/// database is newer than the binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UnknownVersions {
    /// Refuse (the default): every command that checks the history (`up`, `down`, `redo`,
    /// `plan`, `validate`) fails, naming the first unknown version; deploy a build that
    /// includes it, or revert it with one. `status` still shows them (`not embedded`).
    #[default]
    Refuse,
    /// Start next to them, touching nothing at or after them: `up` applies nothing and reports
    /// them ([`Report::unknown_versions`](crate::Report::unknown_versions)), `status` and
    /// `validate` pass, a revert that would have to undo them is refused, and so are a
    /// `failed` unknown version and a pending version below an unknown one. For an older
    /// release still serving on a database a newer one migrated.
    Ignore,
}

/// The versions of `applied` that `set` does not embed, in history order.
pub fn unknown_versions(set: &MigrationSet, applied: &[AppliedMigration]) -> Vec<Version> {
    applied
        .iter()
        .filter(|row| set.get(row.version).is_none())
        .map(|row| row.version)
        .collect()
}

/// Whether `row`, a version `set` does not embed, may stay under `policy`; the error says why
/// not.
pub(super) fn check_row(
    set: &MigrationSet,
    row: &AppliedMigration,
    policy: UnknownVersions,
) -> Result<(), Error> {
    let latest_known = set.latest();
    match (policy, row.state) {
        (UnknownVersions::Refuse, _) => Err(Error::UnknownVersion {
            version: row.version,
            latest_known,
        }),
        (UnknownVersions::Ignore, State::Failed) => Err(Error::FailedUnknownVersion {
            version: row.version,
            latest_known,
        }),
        (UnknownVersions::Ignore, State::Applied) => Ok(()),
    }
}

/// Refuses applying `version` when a version in `unknown` (the ones being ignored) is newer.
pub(super) fn reject_pending(version: Version, unknown: &[Version]) -> Result<(), Error> {
    match unknown.iter().find(|u| **u > version) {
        Some(&newer) => Err(Error::PendingBelowUnknown {
            version,
            unknown: newer,
        }),
        None => Ok(()),
    }
}

/// Refuses a revert that keeps the versions up to `keep` (`None`: none) when it would have to
/// undo versions `set` does not embed, naming every one of them.
pub(super) fn reject_revert(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    keep: Option<Version>,
) -> Result<(), Error> {
    let crossed: Vec<Version> = unknown_versions(set, applied)
        .into_iter()
        .filter(|v| keep.is_none_or(|keep| *v > keep))
        .collect();
    if crossed.is_empty() {
        return Ok(());
    }
    Err(Error::RevertUnknown {
        versions: crossed,
        latest_known: set.latest(),
    })
}
