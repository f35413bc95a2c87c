//! Errors, split by phase: [`LoadError`] for a migration tree (reported by `embed_migrations!`
//! as a compile error, or by [`crate::source::load_dir`] at run time), and [`Error`] for
//! everything the library reports at run time.

use std::path::PathBuf;

use std::time::Duration;

use crate::driver::DriverError;
use crate::split::{SplitError, Unterminated};
use crate::{Checksum, Dialect, Direction, Version};

mod journal_stop;
mod messages;

pub use journal_stop::JournalStop;
use messages::{
    connection_lost_message, failed_message, journal_failed_message, known, stale_message,
    statement_failed_message, JournalFailure,
};

/// A migration tree that breaks the directory contract. Every variant names the path at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The versions folder does not exist.
    #[error("migrations folder `{}` does not exist (the path is relative to the crate's Cargo.toml)", path.display())]
    DirNotFound {
        /// The folder as written.
        path: PathBuf,
    },
    /// The versions folder was given as an absolute path.
    #[error("migrations folder `{}` is absolute; write it relative to the crate's Cargo.toml so the build works on every machine", path.display())]
    AbsolutePath {
        /// The path as written.
        path: PathBuf,
    },
    /// The versions path names a file.
    #[error("`{}` is not a folder; point at the folder that holds the `V{{n}}` version folders", path.display())]
    NotADirectory {
        /// The path as written.
        path: PathBuf,
    },
    /// Something in the tree that does not belong there.
    #[error("unexpected entry `{}`: expected {expected}", path.display())]
    UnexpectedEntry {
        /// The entry.
        path: PathBuf,
        /// What belongs at that level.
        expected: &'static str,
    },
    /// A folder whose name is not `V{n}` or `V{n}__{description}`.
    #[error("invalid version folder name `{}`: {reason}", path.display())]
    InvalidVersionName {
        /// The folder.
        path: PathBuf,
        /// What is wrong with the name.
        reason: &'static str,
    },
    /// A folder numbered 0.
    #[error("version folder `{}` is numbered 0; versions start at 1", path.display())]
    VersionZero {
        /// The folder.
        path: PathBuf,
    },
    /// Two folders with the same number (`V2` and `V02`).
    #[error("version {version} is defined twice: `{}` and `{}`; rename or merge one", first.display(), second.display())]
    DuplicateVersion {
        /// The duplicated version.
        version: Version,
        /// The first folder.
        first: PathBuf,
        /// The second folder.
        second: PathBuf,
    },
    /// A missing version: versions are contiguous from 1.
    #[error("version {missing} is missing before `{}`; versions are numbered 1, 2, 3, … without gaps", next.display())]
    VersionGap {
        /// The first missing number.
        missing: Version,
        /// The folder found after the gap.
        next: PathBuf,
    },
    /// A version without an up or a down script.
    #[error("version {version} has no `{}`: every version needs an up and a down script (a dialect variant such as `up.mysql.sql` also counts)", path.display())]
    MissingScript {
        /// The version.
        version: Version,
        /// The shared script that was expected.
        path: PathBuf,
    },
    /// A script that is not valid UTF-8.
    #[error("script `{}` is not valid UTF-8 (first bad byte on line {line}); save it as UTF-8", path.display())]
    NotUtf8 {
        /// The script.
        path: PathBuf,
        /// The line of the first invalid byte.
        line: u32,
    },
    /// A `-- migrate:` comment naming no known directive.
    #[error("unknown directive `-- migrate:{directive}` in `{}` line {line}; known: `no-transaction`, `irreversible`", path.display())]
    UnknownDirective {
        /// The script.
        path: PathBuf,
        /// The directive's line.
        line: u32,
        /// The directive's name.
        directive: String,
    },
    /// A known directive where it does not apply.
    #[error("directive `-- migrate:{directive}` in `{}` line {line} is not allowed here: {reason}", path.display())]
    DirectiveNotAllowed {
        /// The script.
        path: PathBuf,
        /// The directive's line.
        line: u32,
        /// The directive's name.
        directive: String,
        /// Why not.
        reason: &'static str,
    },
    /// A script that cannot be split into statements because something is left open.
    #[error("unterminated {what} in `{}` starting at line {line} (split as {dialect}); close it, or if the script is written for another dialect, rename it to that dialect's file (`up.postgres.sql`, …) or name the dialects the set targets (`dialects = [...]`)", path.display())]
    Unterminated {
        /// The script.
        path: PathBuf,
        /// Where the unterminated construct starts.
        line: u32,
        /// The dialect whose grammar found it.
        dialect: Dialect,
        /// What was left open.
        what: Unterminated,
    },
    /// The tree could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The path being read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// Everything migrate reports at run time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A migration tree that breaks the directory contract.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Version numbers start at 1.
    #[error("0 is not a version; versions start at 1")]
    VersionZero,
    /// The database client failed outside a migration's own statements.
    #[error("database error while {doing}")]
    Driver {
        /// What the runner was doing.
        doing: &'static str,
        /// The client's error.
        #[source]
        source: DriverError,
    },
    /// A history table name that is not a plain identifier.
    #[error("invalid history table name `{name}`: use letters, digits and `_`, starting with a letter or `_`, at most 59 characters")]
    InvalidTableName {
        /// The name given.
        name: String,
    },
    /// A history or log row that cannot be read back.
    #[error("the {table} table has an unreadable `{column}` value `{value}`{}; fix the row by hand", version.map(|v| format!(" for version {v}")).unwrap_or_default())]
    CorruptHistory {
        /// `history` or `log`.
        table: &'static str,
        /// The row's version, when it could be read.
        version: Option<Version>,
        /// The column.
        column: &'static str,
        /// What it holds.
        value: String,
    },
    /// The database has a version applied that this binary does not embed.
    #[error("version {version} is applied in the database but the migrations this run has go up to {} only; the database is newer than they are: run a build or versions folder that includes version {version}, or revert it with one (or run alongside it with unknown versions ignored)", known(*latest_known))]
    UnknownVersion {
        /// The unknown version.
        version: Version,
        /// The newest version the binary embeds.
        latest_known: Option<Version>,
    },
    /// A `failed` row of a version this binary does not embed, refused even under
    /// [`UnknownVersions::Ignore`](crate::UnknownVersions::Ignore): only a build with its
    /// scripts can finish it.
    #[error("version {version} is recorded as failed, and the migrations this run has go up to {} only: a newer release stopped part-way through it; a half-applied version is not ignored, so run `resume` or `repair` with a build or versions folder that includes version {version}", known(*latest_known))]
    FailedUnknownVersion {
        /// The unknown version.
        version: Version,
        /// The newest version the binary embeds.
        latest_known: Option<Version>,
    },
    /// Under [`UnknownVersions::Ignore`](crate::UnknownVersions::Ignore), an unapplied version
    /// below an applied one the binary does not embed, refused even out of order.
    #[error("version {version} is not applied but version {unknown}, which is not among the migrations this run has, is; applying {version} under it is refused even with unknown versions ignored: apply it with a build or versions folder that includes version {unknown}")]
    PendingBelowUnknown {
        /// The unapplied embedded version.
        version: Version,
        /// The newer applied version the binary does not embed.
        unknown: Version,
    },
    /// Under [`UnknownVersions::Ignore`](crate::UnknownVersions::Ignore), a revert that would
    /// have to undo versions this binary does not embed (it has no down scripts for them).
    #[error("cannot revert: it would have to undo versions not among the migrations this run has ({}; they go up to {}), so there are no down scripts for them; revert them first with a build or versions folder that includes them", versions.iter().map(Version::to_string).collect::<Vec<_>>().join(", "), known(*latest_known))]
    RevertUnknown {
        /// The versions to undo that the binary does not embed, in version order.
        versions: Vec<Version>,
        /// The newest version the binary embeds.
        latest_known: Option<Version>,
    },
    /// An applied version whose script changed since it ran.
    #[error("version {version} was applied with checksum {recorded} but `{script}` now has {embedded}; restore the file, or run `accept-checksum --version {version}` if the change is intended and harmless")]
    ChecksumMismatch {
        /// The version.
        version: Version,
        /// The script whose checksum changed.
        script: String,
        /// The checksum in the history.
        recorded: Checksum,
        /// The checksum of the embedded script.
        embedded: Checksum,
    },
    /// An applied version whose down script changed since it was applied: refused before a
    /// revert and by `validate`.
    #[error("the down script `{script}` of version {version} changed since the version was applied (recorded {recorded}, now {embedded}); restore the file, or run `accept-checksum --version {version}` if the change is intended")]
    DownChecksumMismatch {
        /// The version.
        version: Version,
        /// The down script whose checksum changed.
        script: String,
        /// The down checksum in the history.
        recorded: Checksum,
        /// The checksum of the embedded down script.
        embedded: Checksum,
    },
    /// An unapplied version older than the newest applied one.
    #[error("version {version} is not applied but the newer version {newest_applied} is: it was probably merged late; renumber it after {newest_applied}, or allow out-of-order versions explicitly")]
    OutOfOrder {
        /// The unapplied version.
        version: Version,
        /// The newest applied version.
        newest_applied: Version,
    },
    /// A history row left `failed` by an earlier run.
    #[error("{}", failed_message(*version, *direction, script, *statement, *statements_total, *line, error.as_deref()))]
    FailedMigration {
        /// The version.
        version: Version,
        /// The operation that failed.
        direction: Direction,
        /// The script that was running.
        script: String,
        /// The 1-based number of the statement that failed or was in flight, or
        /// `statements_total + 1` when every statement completed but the history was not
        /// updated to say so.
        statement: u32,
        /// How many statements the script has.
        statements_total: u32,
        /// The statement's first line in the embedded script, when the binary has the script.
        line: Option<u32>,
        /// The server's error, or `None` when the process stopped mid-statement.
        error: Option<String>,
    },
    /// A version with no script for the database's dialect.
    #[error("version {version} has no {direction} script for {dialect}: add `{direction}.sql` or `{direction}.{}.sql` to its folder", dialect.tag())]
    MissingDialectScript {
        /// The version.
        version: Version,
        /// The direction needed.
        direction: Direction,
        /// The database's dialect.
        dialect: Dialect,
    },
    /// A revert that would cross an irreversible version.
    #[error("version {version} is irreversible (`-- migrate:irreversible` in `{script}`); revert to {version} or later instead, or restore from a backup")]
    Irreversible {
        /// The version.
        version: Version,
        /// Its down script.
        script: String,
    },
    /// A target version the binary does not embed.
    #[error("target version {target} does not exist; the newest version this run has is {}", known(*latest_known))]
    UnknownTarget {
        /// The target asked for.
        target: Version,
        /// The newest embedded version.
        latest_known: Option<Version>,
    },
    /// `resume` with no failed row.
    #[error("there is no failed migration to resume")]
    NothingToResume,
    /// `accept-schema` with no applied version.
    #[error("no version is applied, so there is no recorded schema to replace")]
    NothingApplied,
    /// `repair` with no failed row.
    #[error("there is no failed migration to repair")]
    NothingToRepair,
    /// `resume` after the failed script gained or lost statements.
    #[error("cannot resume version {version}: `{script}` had {recorded} statements when it failed and has {embedded} now; statement numbers no longer match, so clean up by hand and run `repair`")]
    ResumeScriptChanged {
        /// The version.
        version: Version,
        /// The script.
        script: String,
        /// Statements when it failed.
        recorded: u32,
        /// Statements now.
        embedded: u32,
    },
    /// A script that cannot be split (only for sets not checked at load time).
    #[error("cannot split `{script}` as {dialect}")]
    Split {
        /// The script.
        script: String,
        /// The dialect.
        dialect: Dialect,
        /// What is unterminated.
        #[source]
        source: SplitError,
    },
    /// A statement of a migration failed during this run.
    #[error("{}", statement_failed_message(*version, *direction, script, *statement, *line, *atomic))]
    StatementFailed {
        /// The version.
        version: Version,
        /// Applying or reverting.
        direction: Direction,
        /// The script.
        script: String,
        /// The 1-based statement number.
        statement: u32,
        /// The statement's first line in the script.
        line: u32,
        /// Whether the migration was rolled back as a whole.
        atomic: bool,
        /// The server's error.
        #[source]
        source: DriverError,
    },
    /// A write to the history failed during a step run statement by statement (MySQL/MariaDB,
    /// and PostgreSQL's `-- migrate:no-transaction` scripts): the step stopped. The runner then
    /// writes the row's account of where it stopped again, as far as the server still takes
    /// writes (`recorded`), and the next run refuses until `resume` or `repair`.
    #[error("{}", journal_failed_message(&JournalFailure { version: *version, direction: *direction, script, total: *statements_total, line: *line, stop: *stop, doing, recorded: *recorded }))]
    JournalFailed {
        /// The version.
        version: Version,
        /// Applying or reverting.
        direction: Direction,
        /// The script.
        script: String,
        /// How many statements the script has.
        statements_total: u32,
        /// The first line of the statement named by `stop`, when it names one.
        line: Option<u32>,
        /// Where the step stood.
        stop: JournalStop,
        /// What the runner was writing.
        doing: &'static str,
        /// Whether the history row was brought to say where the step stopped, with the cause.
        /// Always true for [`JournalStop::NotStarted`] and [`JournalStop::Unknown`], where the
        /// row is left as the server has it.
        recorded: bool,
        /// The server's error.
        #[source]
        source: DriverError,
    },
    /// The connection to the database was lost (closed, reset, the session killed) while a
    /// migration ran: whether the statement in flight took effect is unknown, and the client's
    /// error may name an earlier statement than the one the server was running. The history
    /// row, written by the server as it went, says where it stopped.
    #[error("{}", connection_lost_message(*version, *direction, script, *atomic))]
    ConnectionLost {
        /// The version.
        version: Version,
        /// Applying or reverting.
        direction: Direction,
        /// The script that was running.
        script: String,
        /// Whether the migration ran in one transaction (PostgreSQL, SQLite).
        atomic: bool,
        /// The client's error.
        #[source]
        source: DriverError,
    },
    /// `resume` on a row whose statement in flight has an unknown outcome (the process or its
    /// connection stopped while it ran), without saying whether it took effect.
    #[error("cannot resume version {version}: statement {statement} of `{script}`{} was in flight when the run stopped, and whether it took effect is unknown; check it, then run `resume --skip` if it took effect or `resume --rerun` if it did not (or undo by hand and run `repair`)", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    ResumeOutcomeUnknown {
        /// The version.
        version: Version,
        /// The script.
        script: String,
        /// The 1-based statement in flight.
        statement: u32,
        /// Its first line in the embedded script.
        line: Option<u32>,
    },
    /// Another runner held the migration lock for longer than the timeout.
    #[error("timed out after {waited:?} waiting for the migration lock `{lock}`{}; another runner is migrating this database: wait for it, or raise the lock timeout", holder.as_ref().map(|h| format!(" held by {h}")).unwrap_or_default())]
    LockTimeout {
        /// The lock's name.
        lock: String,
        /// How long the runner waited.
        waited: Duration,
        /// Who holds it, where the server can tell.
        holder: Option<String>,
    },
    /// A command that needs an applied version.
    #[error("version {version} is not applied")]
    NotApplied {
        /// The version.
        version: Version,
    },
    /// `baseline` on a database that already has history.
    #[error("cannot baseline: the history already has versions up to {applied}; baseline is for a database that has never been migrated")]
    BaselineNotEmpty {
        /// The newest recorded version.
        applied: Version,
    },
    /// The schema description query returned something this release cannot read.
    #[error("unreadable schema description: {detail}")]
    SchemaQuery {
        /// What was wrong.
        detail: String,
    },
    /// The live schema no longer matches the fingerprint recorded for the last applied
    /// version: someone changed it outside the migrations.
    #[error("{drift}make the change a migration, or undo it by hand, or run `accept-schema` if it is intended")]
    SchemaDrift {
        /// The versions compared and what differs.
        drift: Box<crate::schema::Drift>,
    },
    /// `verify` was given a scratch database that is not empty.
    #[error("refusing to verify on a database that is not empty ({objects} schema objects, {history} history rows): verification runs only on fresh scratch databases")]
    ScratchNotEmpty {
        /// How many schema objects it has.
        objects: usize,
        /// How many history rows it has.
        history: usize,
    },
    /// A debug build whose embedded migrations no longer match the folder they came from.
    #[error("{}", stale_message(dir, not_embedded, not_on_disk))]
    StaleBinary {
        /// The folder the set was embedded from.
        dir: String,
        /// Version folders on disk that the binary did not embed.
        not_embedded: Vec<String>,
        /// Versions the binary embedded that are no longer on disk.
        not_on_disk: Vec<Version>,
    },
}

// With the error it returns, so that the version model does not depend on the error enum.
impl TryFrom<u32> for Version {
    type Error = Error;

    fn try_from(n: u32) -> Result<Version, Error> {
        Version::new(n).ok_or(Error::VersionZero)
    }
}
