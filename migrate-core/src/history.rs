//! The history table (one row per applied version) and the append-only log table, and the SQL
//! that reads and writes them in each dialect.
//!
//! History columns: `version`, `description`, `script` (the file that ran), `checksum`,
//! `down_checksum`, `state` (`applied` or `failed`), `direction` (of the operation the row
//! records: `up`, or `down` for a revert that failed part-way), `statements_done`,
//! `statements_total`, `error_text` (the failed statement's error, with the server's error
//! number and SQLSTATE where it gave them; NULL with state `failed`
//! means the process stopped while a statement was in flight), `applied_by`, `applied_at`,
//! `execution_ms`, `schema_fingerprint` (the [`Fingerprint`] of the schema after the version was
//! applied) and `schema_change` (the [`SchemaChange`](crate::schema::SchemaChange) from the expected schema before it, so
//! that the expected schema can be rebuilt from the rows: see [`crate::schema`]).
//!
//! Log columns: `id`, `version`, `action` (`up`, `down`, `baseline`, `repair`, `resume`,
//! `accept-checksum`, `accept-schema`), `outcome` (`ok` or `failed`), `detail`, `actor`, `logged_at`,
//! `duration_ms`.
//!
//! Values are written as literals built by the helpers here — the only place identifiers are
//! quoted and strings escaped — so every driver needs just "execute this text".

use std::fmt;

use crate::digest::Fingerprint;
use crate::{Checksum, Direction, Error, Version};

/// The name of the history table; the log table is the same name with `_log` appended.
///
/// A plain identifier: a letter or `_`, then letters, digits or `_`, at most 59 characters (so
/// that the log table's name fits PostgreSQL's 63).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryTable(String);

impl HistoryTable {
    /// The default name, `schema_history`.
    pub const DEFAULT: &'static str = "schema_history";

    /// A validated table name.
    pub fn new(name: impl Into<String>) -> Result<HistoryTable, Error> {
        let name = name.into();
        let mut chars = name.chars();
        let valid_start = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let valid_rest = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid_start && valid_rest && name.len() <= 59 {
            Ok(HistoryTable(name))
        } else {
            Err(Error::InvalidTableName { name })
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The log table's name.
    pub fn log_name(&self) -> String {
        format!("{}_log", self.0)
    }

    /// The lock table's name, used on Galera clusters instead of `GET_LOCK`.
    pub fn lock_name(&self) -> String {
        format!("{}_lock", self.0)
    }
}

impl Default for HistoryTable {
    fn default() -> HistoryTable {
        HistoryTable(HistoryTable::DEFAULT.to_owned())
    }
}

impl fmt::Display for HistoryTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The state of a history row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The version is applied.
    Applied,
    /// An operation on the version stopped part-way (MySQL/MariaDB, or a no-transaction
    /// script): see the row's statement counts and error.
    Failed,
}

impl State {
    /// The text stored in the `state` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Failed => "failed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The version.
    pub version: Version,
    /// The description at the time it was applied.
    pub description: String,
    /// The script that ran, relative to the versions folder (`V2__features/up.mysql.sql`).
    pub script: String,
    /// The checksum of the up script that ran.
    pub checksum: Checksum,
    /// The checksum of the down script for the same dialect at the time, if any.
    pub down_checksum: Option<Checksum>,
    /// Applied, or failed part-way.
    pub state: State,
    /// The direction of the operation the row records.
    pub direction: Direction,
    /// How many statements of the script completed.
    pub statements_done: u32,
    /// How many statements the script has.
    pub statements_total: u32,
    /// The error of the failed statement; `None` on a failed row means the process stopped
    /// while a statement was in flight.
    pub error: Option<String>,
    /// Who applied it (`user@host` of the migrating process).
    pub applied_by: String,
    /// When it was applied (or when the failed operation started), as the server printed it.
    pub applied_at: String,
    /// How long it took, in milliseconds.
    pub execution_ms: u64,
    /// The fingerprint of the schema after it was applied; `None` for a failed row, and for the
    /// versions below the last one of a baseline.
    pub fingerprint: Option<Fingerprint>,
}

/// What a log row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A version applied.
    Up,
    /// A version reverted.
    Down,
    /// A database adopted at a version without running scripts.
    Baseline,
    /// A failed row cleared after a manual clean-up.
    Repair,
    /// A failed operation continued.
    Resume,
    /// A changed script's checksum accepted.
    AcceptChecksum,
    /// The live schema recorded as the last applied version's, after drift was judged right.
    AcceptSchema,
}

impl Action {
    /// The text stored in the `action` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Baseline => "baseline",
            Action::Repair => "repair",
            Action::Resume => "resume",
            Action::AcceptChecksum => "accept-checksum",
            Action::AcceptSchema => "accept-schema",
        }
    }
}

/// How a logged action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It succeeded.
    Ok,
    /// It failed; the detail says why.
    Failed,
}

impl Outcome {
    /// The text stored in the `outcome` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
        }
    }
}

/// One row of the log table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// Position in the log.
    pub id: u64,
    /// The version concerned, if any.
    pub version: Option<Version>,
    /// What was done (`up`, `down`, `baseline`, `repair`, `resume`, `accept-checksum`).
    pub action: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// Details: the error of a failure, the old checksum of an accepted one, ….
    pub detail: Option<String>,
    /// Who did it.
    pub actor: String,
    /// When, as the server printed it.
    pub logged_at: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert!(HistoryTable::new("schema_history").is_ok());
        assert!(HistoryTable::new("_h2").is_ok());
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "a;drop",
            "a\"b",
            "é",
            &"x".repeat(60),
        ] {
            assert!(HistoryTable::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(HistoryTable::default().log_name(), "schema_history_log");
    }
}
