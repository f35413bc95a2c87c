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
//! applied) and `schema_change` (the [`SchemaChange`] from the expected schema before it, so
//! that the expected schema can be rebuilt from the rows: see [`crate::schema`]).
//!
//! Log columns: `id`, `version`, `action` (`up`, `down`, `baseline`, `repair`, `resume`,
//! `accept-checksum`, `accept-schema`), `outcome` (`ok` or `failed`), `detail`, `actor`, `logged_at`,
//! `duration_ms`.
//!
//! Values are written as literals built by the helpers here — the only place identifiers are
//! quoted and strings escaped — so every driver needs just "execute this text".

use std::fmt;
use std::str::FromStr;

use crate::driver::Row;
use crate::schema::{Fingerprint, SchemaChange};
use crate::{Checksum, Dialect, Direction, Error, Version};

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

    /// The query the runner reads this history table with (every column as text, in version
    /// order), under the lock and for `status`, `plan` and `validate`.
    pub fn select_sql(&self, dialect: Dialect) -> String {
        HistorySql::new(dialect, self).select()
    }

    /// The one query of a no-op start-up: each row's version, state and checksum as one text
    /// cell, in version order — what deciding "nothing to apply" needs, and nothing more.
    pub fn shortcut_sql(&self, dialect: Dialect) -> String {
        HistorySql::new(dialect, self).select_shortcut()
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

/// The SQL for one history table in one dialect.
#[derive(Debug, Clone)]
pub(crate) struct HistorySql {
    dialect: Dialect,
    table: String,
    log: String,
}

/// The columns read back from the history table, in order.
const COLUMNS: [&str; 14] = [
    "version",
    "description",
    "script",
    "checksum",
    "down_checksum",
    "state",
    "direction",
    "statements_done",
    "statements_total",
    "error_text",
    "applied_by",
    "applied_at",
    "execution_ms",
    "schema_fingerprint",
];

impl HistorySql {
    pub(crate) fn new(dialect: Dialect, table: &HistoryTable) -> HistorySql {
        HistorySql {
            dialect,
            table: dialect.quote_ident(table.name()),
            log: dialect.quote_ident(&table.log_name()),
        }
    }

    /// The statements that create both tables if they do not exist.
    pub(crate) fn create_tables(&self) -> [String; 2] {
        let (int, bigint, text, long, short, stamp, id, engine) = match self.dialect {
            Dialect::MySql => (
                "INT",
                "BIGINT",
                "TEXT",
                // A baseline's change is the whole schema's description: more than TEXT's 64 KiB.
                "LONGTEXT",
                "VARCHAR(255)",
                "DATETIME(6)",
                "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
                " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
            ),
            Dialect::Postgres => (
                "INTEGER",
                "BIGINT",
                "TEXT",
                "TEXT",
                "TEXT",
                "TIMESTAMPTZ",
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                "",
            ),
            Dialect::Sqlite => (
                "INTEGER",
                "INTEGER",
                "TEXT",
                "TEXT",
                "TEXT",
                "TEXT",
                "INTEGER PRIMARY KEY AUTOINCREMENT",
                "",
            ),
        };
        let history = format!(
            "CREATE TABLE IF NOT EXISTS {table} (\
             version {int} NOT NULL PRIMARY KEY, \
             description {short} NOT NULL, \
             script {short} NOT NULL, \
             checksum {short} NOT NULL, \
             down_checksum {short} NULL, \
             state {short} NOT NULL, \
             direction {short} NOT NULL, \
             statements_done {int} NOT NULL, \
             statements_total {int} NOT NULL, \
             error_text {text} NULL, \
             applied_by {short} NOT NULL, \
             applied_at {stamp} NOT NULL, \
             execution_ms {bigint} NOT NULL, \
             schema_fingerprint {short} NULL, \
             schema_change {long} NULL){engine}",
            table = self.table
        );
        let log = format!(
            "CREATE TABLE IF NOT EXISTS {log} (\
             id {id}, \
             version {int} NULL, \
             action {short} NOT NULL, \
             outcome {short} NOT NULL, \
             detail {text} NULL, \
             actor {short} NOT NULL, \
             logged_at {stamp} NOT NULL, \
             duration_ms {bigint} NOT NULL){engine}",
            log = self.log
        );
        [history, log]
    }

    /// One query reading every history row as text, in version order.
    pub(crate) fn select(&self) -> String {
        let columns: Vec<String> = COLUMNS.iter().map(|c| self.as_text(c)).collect();
        // Qualified: PostgreSQL names `version::text` "version", and an unqualified ORDER BY
        // would sort by that text column (1, 10, 100, 11, …) instead of the integer.
        format!(
            "SELECT {} FROM {table} ORDER BY {table}.version",
            columns.join(", "),
            table = self.table
        )
    }

    /// `up`'s unlocked shortcut: one text cell per row, `<version> <state> <checksum>`, in
    /// version order (one cell instead of three: the client decodes a third as many).
    pub(crate) fn select_shortcut(&self) -> String {
        let cell = match self.dialect {
            Dialect::MySql | Dialect::Postgres => "concat_ws(' ', version, state, checksum)",
            Dialect::Sqlite => "version || ' ' || state || ' ' || checksum",
        };
        format!(
            "SELECT {cell} FROM {table} ORDER BY {table}.version",
            table = self.table
        )
    }

    fn as_text(&self, column: &str) -> String {
        match self.dialect {
            Dialect::MySql => format!("CAST({column} AS CHAR)"),
            Dialect::Postgres => format!("{column}::text"),
            Dialect::Sqlite => format!("CAST({column} AS TEXT)"),
        }
    }

    /// The server's current time, for `applied_at` and `logged_at`.
    fn now(&self) -> &'static str {
        match self.dialect {
            Dialect::MySql => "UTC_TIMESTAMP(6)",
            Dialect::Postgres => "clock_timestamp()",
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        }
    }

    fn text(&self, value: &str) -> String {
        self.dialect.string_literal(value)
    }

    fn opt_text(&self, value: Option<&str>) -> String {
        value.map_or_else(|| "NULL".to_owned(), |v| self.text(v))
    }

    /// Reads every row's stored schema change as text, in version order.
    pub(crate) fn select_changes(&self) -> String {
        format!(
            "SELECT {}, schema_change FROM {table} ORDER BY {table}.version",
            self.as_text("version"),
            table = self.table
        )
    }

    /// Inserts a full row, with the schema change that led to its fingerprint; `applied_at` is
    /// the server's time.
    pub(crate) fn insert(&self, row: &AppliedMigration, change: Option<&SchemaChange>) -> String {
        self.insert_timed(row, change, Millis::Known(row.execution_ms))
    }

    /// An SQL expression for `millis`.
    fn millis(&self, millis: Millis) -> String {
        match (millis, self.dialect) {
            (Millis::Known(ms), _) => ms.to_string(),
            (Millis::SinceBegin, Dialect::Postgres) => {
                "CAST(EXTRACT(EPOCH FROM clock_timestamp() - transaction_timestamp()) * 1000 \
                 AS BIGINT)"
                    .to_owned()
            }
            // Never asked for: see `Millis::SinceBegin`.
            (Millis::SinceBegin, Dialect::MySql | Dialect::Sqlite) => "0".to_owned(),
            (Millis::SinceMark(fallback), Dialect::MySql) => format!(
                "COALESCE(TIMESTAMPDIFF(MICROSECOND, {MARK}, UTC_TIMESTAMP(6)) DIV 1000, \
                 {fallback})"
            ),
            (Millis::SinceMark(fallback), Dialect::Postgres | Dialect::Sqlite) => {
                fallback.to_string()
            }
        }
    }

    /// The statement that starts the server's clock for [`Millis::SinceMark`], where the server
    /// keeps one: a session variable on MySQL/MariaDB.
    pub(crate) fn mark(&self) -> Option<String> {
        self.dialect
            .session_clock()
            .then(|| format!("SET {MARK} = UTC_TIMESTAMP(6)"))
    }

    /// Whether the server can time a unit itself ([`Millis::SinceBegin`]).
    pub(crate) fn times_units(&self) -> bool {
        self.dialect.times_units()
    }

    /// [`HistorySql::insert`] with its `execution_ms` given as `execution`.
    pub(crate) fn insert_timed(
        &self,
        row: &AppliedMigration,
        change: Option<&SchemaChange>,
        execution: Millis,
    ) -> String {
        format!(
            "INSERT INTO {} (version, description, script, checksum, down_checksum, state, \
             direction, statements_done, statements_total, error_text, applied_by, applied_at, \
             execution_ms, schema_fingerprint, schema_change) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            self.table,
            row.version,
            self.text(&row.description),
            self.text(&row.script),
            self.text(&row.checksum.to_string()),
            self.opt_text(row.down_checksum.map(|c| c.to_string()).as_deref()),
            self.text(row.state.as_str()),
            self.text(row.direction.stem()),
            row.statements_done,
            row.statements_total,
            self.opt_text(row.error.as_deref()),
            self.text(&row.applied_by),
            self.now(),
            self.millis(execution),
            self.opt_text(row.fingerprint.map(|f| f.to_string()).as_deref()),
            self.opt_text(change.map(|c| c.to_string()).as_deref()),
        )
    }

    /// Marks `version` as being worked on in `direction`: failed, no error, `done` of `total`
    /// statements complete. Used before the first statement of a journaled operation.
    pub(crate) fn start_journal(
        &self,
        version: Version,
        direction: Direction,
        script: &str,
        done: u32,
        total: u32,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, direction = {}, script = {}, statements_done = {done}, \
             statements_total = {total}, error_text = NULL WHERE version = {version}",
            self.table,
            self.text(State::Failed.as_str()),
            self.text(direction.stem()),
            self.text(script),
        )
    }

    /// Records that `done` statements of `version`'s operation have completed.
    pub(crate) fn progress(&self, version: Version, done: u32) -> String {
        format!(
            "UPDATE {} SET statements_done = {done} WHERE version = {version}",
            self.table
        )
    }

    /// Records the error of the failed statement, `done` statements having completed before it.
    /// Only on a `failed` row: after a `COMMIT` that reported failure but took effect, the row
    /// stays as committed.
    pub(crate) fn fail(&self, version: Version, done: u32, error: &str) -> String {
        format!(
            "UPDATE {} SET statements_done = {done}, error_text = {} WHERE version = {version} AND state = {}",
            self.table,
            self.text(error),
            self.text(State::Failed.as_str())
        )
    }

    /// Marks `version` applied, every statement done, after a journaled operation finished.
    pub(crate) fn finish(
        &self,
        version: Version,
        checksum: Checksum,
        down_checksum: Option<Checksum>,
        applied_by: &str,
        execution: Millis,
        schema: Option<(Fingerprint, &SchemaChange)>,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, direction = {}, checksum = {}, down_checksum = {}, \
             statements_done = statements_total, error_text = NULL, applied_by = {}, applied_at = {}, execution_ms = {}, \
             schema_fingerprint = {}, schema_change = {} WHERE version = {version}",
            self.table,
            self.text(State::Applied.as_str()),
            self.text(Direction::Up.stem()),
            self.text(&checksum.to_string()),
            self.opt_text(down_checksum.map(|c| c.to_string()).as_deref()),
            self.text(applied_by),
            self.now(),
            self.millis(execution),
            self.opt_text(schema.map(|(f, _)| f.to_string()).as_deref()),
            self.opt_text(schema.map(|(_, c)| c.to_string()).as_deref()),
        )
    }

    /// Replaces the recorded checksums of `version`'s up and down scripts.
    pub(crate) fn set_checksum(
        &self,
        version: Version,
        checksum: Checksum,
        down_checksum: Option<Checksum>,
    ) -> String {
        format!(
            "UPDATE {} SET checksum = {}, down_checksum = {} WHERE version = {version}",
            self.table,
            self.text(&checksum.to_string()),
            self.opt_text(down_checksum.map(|c| c.to_string()).as_deref())
        )
    }

    /// Replaces the schema recorded after `version`: its fingerprint and its change.
    pub(crate) fn set_schema(
        &self,
        version: Version,
        fingerprint: Fingerprint,
        change: &SchemaChange,
    ) -> String {
        format!(
            "UPDATE {} SET schema_fingerprint = {}, schema_change = {} WHERE version = {version}",
            self.table,
            self.text(&fingerprint.to_string()),
            self.text(&change.to_string())
        )
    }

    /// Removes `version`'s row.
    pub(crate) fn delete(&self, version: Version) -> String {
        format!("DELETE FROM {} WHERE version = {version}", self.table)
    }

    /// Appends a log row.
    pub(crate) fn log(&self, entry: &LogEntry<'_>) -> String {
        self.log_timed(entry, Millis::Known(entry.duration_ms))
    }

    /// [`HistorySql::log`] with its `duration_ms` given as `duration`.
    pub(crate) fn log_timed(&self, entry: &LogEntry<'_>, duration: Millis) -> String {
        format!(
            "INSERT INTO {} (version, action, outcome, detail, actor, logged_at, duration_ms) \
             VALUES ({}, {}, {}, {}, {}, {}, {})",
            self.log,
            entry
                .version
                .map_or_else(|| "NULL".to_owned(), |v| v.to_string()),
            self.text(entry.action.as_str()),
            self.text(entry.outcome.as_str()),
            self.opt_text(entry.detail),
            self.text(entry.actor),
            self.now(),
            self.millis(duration),
        )
    }

    /// Reads the whole log, oldest first (columns as text).
    pub(crate) fn select_log(&self) -> String {
        let columns: Vec<String> = [
            "id",
            "version",
            "action",
            "outcome",
            "detail",
            "actor",
            "logged_at",
            "duration_ms",
        ]
        .iter()
        .map(|c| self.as_text(c))
        .collect();
        // Qualified, as in `select`: the integer id, not its text.
        format!(
            "SELECT {} FROM {log} ORDER BY {log}.id",
            columns.join(", "),
            log = self.log
        )
    }
}

/// The MySQL/MariaDB session variable holding the time [`HistorySql::mark`] ran.
const MARK: &str = "@migrate_step_started";

/// A duration in milliseconds written to the history or the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Millis {
    /// Measured by the runner.
    Known(u64),
    /// Measured by the server, from the start of the current unit to the write: for a unit
    /// sent in one round trip, whose duration the runner learns only after the write. Only
    /// where [`HistorySql::times_units`] says so (PostgreSQL: `transaction_timestamp()`).
    SinceBegin,
    /// Measured by the server since [`HistorySql::mark`] ran on this connection, for writes
    /// sent in the same round trip as the statement they time; where the server keeps no mark
    /// (only MySQL/MariaDB does), or the mark was lost, the runner's measurement given here.
    SinceMark(u64),
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

/// One log row to append.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogEntry<'a> {
    pub(crate) version: Option<Version>,
    pub(crate) action: Action,
    pub(crate) outcome: Outcome,
    pub(crate) detail: Option<&'a str>,
    pub(crate) actor: &'a str,
    pub(crate) duration_ms: u64,
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

/// Reads history rows selected by [`HistorySql::select`].
pub(crate) fn parse_rows(rows: Vec<Row>) -> Result<Vec<AppliedMigration>, Error> {
    rows.into_iter().map(parse_row).collect()
}

fn parse_row(row: Row) -> Result<AppliedMigration, Error> {
    let mut cells = Cells::new(row, "history");
    let version = cells.version()?;
    Ok(AppliedMigration {
        version,
        description: cells.text("description")?,
        script: cells.text("script")?,
        checksum: cells.parse("checksum")?,
        down_checksum: cells.opt_parse("down_checksum")?,
        state: match cells.text("state")?.as_str() {
            "applied" => State::Applied,
            "failed" => State::Failed,
            other => return Err(cells.corrupt("state", other)),
        },
        direction: match cells.text("direction")?.as_str() {
            "up" => Direction::Up,
            "down" => Direction::Down,
            other => return Err(cells.corrupt("direction", other)),
        },
        statements_done: cells.parse("statements_done")?,
        statements_total: cells.parse("statements_total")?,
        error: cells.opt_text("error_text")?,
        applied_by: cells.text("applied_by")?,
        applied_at: cells.text("applied_at")?,
        execution_ms: cells.parse("execution_ms")?,
        fingerprint: cells.opt_parse("schema_fingerprint")?,
    })
}

/// Reads the rows selected by [`HistorySql::select_changes`]: each version's stored change
/// (`None` where the row has none).
pub(crate) fn parse_changes(rows: Vec<Row>) -> Result<Vec<(Version, Option<SchemaChange>)>, Error> {
    rows.into_iter()
        .map(|row| {
            let mut cells = Cells::new(row, "history");
            let version = cells.version()?;
            // Not trimmed, unlike the other cells: a definition may end in spaces.
            let change = match cells.opt_text("schema_change")? {
                None => None,
                Some(text) => Some(text.parse().map_err(
                    |e: crate::schema::ParseSchemaChangeError| {
                        cells.corrupt("schema_change", &e.to_string())
                    },
                )?),
            };
            Ok((version, change))
        })
        .collect()
}

/// Reads log rows selected by [`HistorySql::select_log`].
pub(crate) fn parse_log(rows: Vec<Row>) -> Result<Vec<LogRow>, Error> {
    rows.into_iter()
        .map(|row| {
            let mut cells = Cells::new(row, "log");
            Ok(LogRow {
                id: cells.parse("id")?,
                version: cells.opt_parse::<u32>("version")?.and_then(Version::new),
                action: cells.text("action")?,
                outcome: cells.text("outcome")?,
                detail: cells.opt_text("detail")?,
                actor: cells.text("actor")?,
                logged_at: cells.text("logged_at")?,
                duration_ms: cells.parse("duration_ms")?,
            })
        })
        .collect()
}

/// Reads a row's text cells in order, naming the column of anything unreadable.
struct Cells {
    cells: std::vec::IntoIter<Option<String>>,
    table: &'static str,
    version: Option<Version>,
}

impl Cells {
    fn new(row: Row, table: &'static str) -> Cells {
        Cells {
            cells: row.into_iter(),
            table,
            version: None,
        }
    }

    fn corrupt(&self, column: &'static str, value: &str) -> Error {
        Error::CorruptHistory {
            table: self.table,
            version: self.version,
            column,
            value: value.to_owned(),
        }
    }

    fn opt_text(&mut self, column: &'static str) -> Result<Option<String>, Error> {
        match self.cells.next() {
            Some(cell) => Ok(cell),
            None => Err(self.corrupt(column, "<missing column>")),
        }
    }

    fn text(&mut self, column: &'static str) -> Result<String, Error> {
        self.opt_text(column)?
            .ok_or_else(|| self.corrupt(column, "NULL"))
    }

    fn opt_parse<T: FromStr>(&mut self, column: &'static str) -> Result<Option<T>, Error> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(column, &text)),
        }
    }

    fn parse<T: FromStr>(&mut self, column: &'static str) -> Result<T, Error> {
        self.opt_parse(column)?
            .ok_or_else(|| self.corrupt(column, "NULL"))
    }

    fn version(&mut self) -> Result<Version, Error> {
        let n: u32 = self.parse("version")?;
        let version = Version::new(n).ok_or_else(|| self.corrupt("version", "0"))?;
        self.version = Some(version);
        Ok(version)
    }
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

    #[test]
    fn history_rows_parse_and_name_corrupt_cells() {
        let sum = Checksum::of_script("SELECT 1;");
        let row = |state: &str| -> Row {
            [
                "3",
                "d",
                "V3/up.sql",
                &sum.to_string(),
                "",
                state,
                "up",
                "2",
                "5",
                "",
                "me@host",
                "2026-01-01 00:00:00",
                "12",
                "",
            ]
            .iter()
            .map(|c| (!c.is_empty()).then(|| (*c).to_owned()))
            .collect()
        };
        let parsed = parse_rows(vec![row("failed")]).expect("valid row");
        assert_eq!(parsed[0].version.get(), 3);
        assert_eq!(parsed[0].state, State::Failed);
        assert_eq!(parsed[0].error, None);
        assert_eq!(parsed[0].down_checksum, None);
        assert_eq!(parsed[0].statements_done, 2);
        match parse_rows(vec![row("bogus")]) {
            Err(Error::CorruptHistory {
                column: "state",
                version,
                ..
            }) => {
                assert_eq!(version, Version::new(3));
            }
            other => panic!("unexpected: {other:?}"),
        }
    }
}
