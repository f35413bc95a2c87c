//! Where each version stands: embedded versions joined with the history, for `status`.

use crate::history::{AppliedMigration, State};
use crate::{Dialect, Direction, MigrationSet, Version};

/// One version's line in a status report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStatus {
    /// The version.
    pub version: Version,
    /// The embedded description, or the recorded one for a version the binary lacks.
    pub description: String,
    /// Applied, failed, pending or unknown to the binary.
    pub state: VersionState,
    /// Whether the recorded checksum matches the embedded script.
    pub checksum: ChecksumState,
    /// The history row, when there is one.
    pub applied: Option<AppliedMigration>,
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionState {
    /// Recorded as applied.
    Applied,
    /// Recorded as failed part-way.
    Failed,
    /// Embedded, not applied.
    Pending,
}

impl VersionState {
    /// `applied`, `failed` or `pending`.
    pub const fn as_str(self) -> &'static str {
        match self {
            VersionState::Applied => "applied",
            VersionState::Failed => "failed",
            VersionState::Pending => "pending",
        }
    }
}

/// How a version's recorded checksum compares with the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumState {
    /// Same script.
    Ok,
    /// The script changed since it was applied.
    Changed,
    /// The up script is unchanged but the down script changed since the version was applied
    /// (a revert refuses until `accept-checksum`).
    DownChanged,
    /// The binary does not embed the version (the database is newer).
    NotEmbedded,
    /// Nothing recorded yet.
    NotApplied,
}

impl ChecksumState {
    /// `ok`, `changed`, `down changed`, `not embedded` or `-`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChecksumState::Ok => "ok",
            ChecksumState::Changed => "changed",
            ChecksumState::DownChanged => "down changed",
            ChecksumState::NotEmbedded => "not embedded",
            ChecksumState::NotApplied => "-",
        }
    }
}

/// Every version, embedded or recorded, in order.
pub fn status(
    set: &MigrationSet,
    applied: &[AppliedMigration],
    dialect: Dialect,
) -> Vec<VersionStatus> {
    let mut lines: Vec<VersionStatus> = set
        .migrations()
        .iter()
        .map(|m| {
            let row = applied.iter().find(|r| r.version == m.version());
            let embedded = m.script(Direction::Up, dialect).map(|s| s.checksum());
            let down = m.script(Direction::Down, dialect).map(|s| s.checksum());
            VersionStatus {
                version: m.version(),
                description: m.description().to_owned(),
                state: match row.map(|r| r.state) {
                    Some(State::Applied) => VersionState::Applied,
                    Some(State::Failed) => VersionState::Failed,
                    None => VersionState::Pending,
                },
                checksum: match row {
                    None => ChecksumState::NotApplied,
                    Some(r) if Some(r.checksum) != embedded => ChecksumState::Changed,
                    Some(r) if r.down_checksum.is_some_and(|c| Some(c) != down) => {
                        ChecksumState::DownChanged
                    }
                    Some(_) => ChecksumState::Ok,
                },
                applied: row.cloned(),
            }
        })
        .collect();
    for row in applied.iter().filter(|r| set.get(r.version).is_none()) {
        lines.push(VersionStatus {
            version: row.version,
            description: row.description.clone(),
            state: match row.state {
                State::Applied => VersionState::Applied,
                State::Failed => VersionState::Failed,
            },
            checksum: ChecksumState::NotEmbedded,
            applied: Some(row.clone()),
        });
    }
    lines.sort_by_key(|l| l.version);
    lines
}

/// A status report laid out as a table for people, one line per version.
///
/// ```
/// # let lines: Vec<migrate_core::status::VersionStatus> = Vec::new();
/// println!("{}", migrate_core::status::StatusTable(&lines));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StatusTable<'a>(pub &'a [VersionStatus]);

impl std::fmt::Display for StatusTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:>7}  {:<24} {:<8} {:<28} {:<24} {:>9}  checksum",
            "version", "description", "state", "applied at", "applied by", "duration"
        )?;
        for line in self.0 {
            let applied = line.applied.as_ref();
            writeln!(
                f,
                "{:>7}  {:<24} {:<8} {:<28} {:<24} {:>9}  {}",
                line.version,
                line.description,
                line.state.as_str(),
                applied.map_or_else(
                    || "-".to_owned(),
                    |a| crate::timestamp::rfc3339(&a.applied_at)
                ),
                applied.map_or("-", |a| a.applied_by.as_str()),
                applied.map_or_else(|| "-".to_owned(), |a| format!("{} ms", a.execution_ms)),
                line.checksum.as_str()
            )?;
        }
        Ok(())
    }
}
