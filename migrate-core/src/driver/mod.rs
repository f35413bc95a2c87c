//! The one seam between the runner and a database client.
//!
//! A [`Driver`] wraps *one* connection (never a pool: session locks live on a connection) and
//! offers a handful of primitives, each one round trip. The runner's algorithm — lock, read,
//! plan, execute, record — is written once, in [`crate::runner`], against this trait.
//!
//! | feature | driver | servers |
//! |---|---|---|
//! | `sqlx-mysql` | `SqlxMySql` | MySQL, MariaDB |
//! | `sqlx-postgres` | `SqlxPostgres` | PostgreSQL |
//! | `sqlx-sqlite` | `SqlxSqlite` | SQLite (bundled) |
//! | `mysql_async` | `MysqlAsync` | MySQL, MariaDB |
//!
//! Client-specific behaviour (how a lock is taken and released, which error code means "no
//! such table", what happens to a connection dropped while it holds the lock) lives in each
//! driver's file. SQL *grammar* shared by every client of one dialect (identifier quoting,
//! literals, column types) lives in [`crate::history`].

use std::future::Future;
use std::time::Duration;

use crate::Dialect;

#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
mod any;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "mysql_async"
))]
mod batch_text;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
mod connect;
#[cfg(any(feature = "sqlx-mysql", feature = "mysql_async"))]
mod galera;
mod lock_state;
#[cfg(feature = "mysql_async")]
mod mysql_async;
#[cfg(any(feature = "sqlx-mysql", feature = "mysql_async"))]
mod mysql_lock;
#[cfg(any(feature = "sqlx-mysql", feature = "mysql_async"))]
mod mysql_session;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite"
))]
mod sqlx_common;
#[cfg(feature = "sqlx-mysql")]
mod sqlx_mysql;
#[cfg(feature = "sqlx-postgres")]
mod sqlx_postgres;
#[cfg(feature = "sqlx-sqlite")]
mod sqlx_sqlite;

#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub use self::any::AnyDriver;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub use self::connect::{
    parse_timeout, ConnectOptions, CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT,
};
pub use self::lock_state::{Lease, LockHolder, LockState};
#[cfg(feature = "mysql_async")]
pub use self::mysql_async::MysqlAsync;
#[cfg(feature = "sqlx-mysql")]
pub use self::sqlx_mysql::SqlxMySql;
#[cfg(feature = "sqlx-postgres")]
pub use self::sqlx_postgres::SqlxPostgres;
#[cfg(feature = "sqlx-sqlite")]
pub use self::sqlx_sqlite::SqlxSqlite;

/// A result row whose every column was selected as text (or NULL).
pub type Row = Vec<Option<String>>;

/// What waiting for the migration lock came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// This connection holds the lock.
    Acquired,
    /// The wait ran out; `holder` describes who holds the lock, where the server can tell.
    TimedOut {
        /// The holder (connection id, user, host, …), if known.
        holder: Option<String>,
    },
}

/// The primitives a database client provides to the runner. Every method is one round trip
/// unless its documentation says otherwise.
///
/// Implementations must release the lock when dropped while holding it (for example by
/// closing the connection rather than returning it to a pool), so that a panic or a dropped
/// future never leaves the lock on a pooled connection.
pub trait Driver: Send {
    /// The SQL dialect of the server.
    fn dialect(&self) -> Dialect;

    /// Executes one statement and discards any result.
    fn execute(&mut self, sql: &str) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Runs a query whose columns are all text (or NULL) and returns its rows.
    fn query(&mut self, sql: &str) -> impl Future<Output = Result<Vec<Row>, DriverError>> + Send;

    /// [`Driver::query`] for a query this connection is likely to run again with the same
    /// text: the schema description, once per applied version. A driver whose server plans
    /// such a query at length keeps it prepared on the connection, so that only the first run
    /// pays for parsing and planning (on PostgreSQL, most of the description's cost). The
    /// first run may then take two round trips (prepare, execute). The
    /// default is [`Driver::query`]; a driver that wraps another should forward this method,
    /// or the wrapped driver's preparation is lost.
    fn query_repeated(
        &mut self,
        sql: &str,
    ) -> impl Future<Output = Result<Vec<Row>, DriverError>> + Send {
        self.query(sql)
    }

    /// Runs a query whose columns are all text (or NULL) and hands each row to `visit` as
    /// borrowed cells, as they arrive, instead of collecting owned rows: the no-op start-up's
    /// history read. The default collects with [`Driver::query`]; drivers override it to skip
    /// the per-cell allocations.
    fn query_each<F>(
        &mut self,
        sql: &str,
        mut visit: F,
    ) -> impl Future<Output = Result<(), DriverError>> + Send
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        async move {
            for row in self.query(sql).await? {
                let cells: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
                visit(&cells);
            }
            Ok(())
        }
    }

    /// Runs a [`Batch`] in order, stopping at the first failure, in as few round trips as the
    /// client allows: the PostgreSQL and both MySQL drivers send it as one multi-statement
    /// query. The default runs [`Driver::begin`], each statement and [`Driver::commit`] one
    /// after the other. The error says which part failed; nothing after it ran. A failed batch
    /// that began a unit leaves it open: the caller rolls back. On MySQL the failing part is
    /// found by counting results, so a statement that returns more than one (a `CALL` of a
    /// procedure that selects) must be the batch's last part for the count to hold.
    fn execute_batch(
        &mut self,
        batch: Batch<'_>,
    ) -> impl Future<Output = Result<(), BatchError>> + Send {
        async move {
            if batch.begin {
                self.begin().await.map_err(|error| BatchError {
                    part: BatchPart::Begin,
                    error,
                })?;
            }
            for (index, statement) in batch.statements.iter().enumerate() {
                self.execute(statement).await.map_err(|error| BatchError {
                    part: BatchPart::Statement(index),
                    error,
                })?;
            }
            if batch.commit {
                self.commit().await.map_err(|error| BatchError {
                    part: BatchPart::Commit,
                    error,
                })?;
            }
            Ok(())
        }
    }

    /// Waits up to `timeout` for the migration lock called `name` (unique per database and
    /// history table).
    fn lock(
        &mut self,
        name: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<LockOutcome, DriverError>> + Send;

    /// Releases the lock taken by [`Driver::lock`].
    fn unlock(&mut self, name: &str) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Who holds the lock `name` now, read without taking it (for `status`, on a session other
    /// than the holder's). The same reading names the holder when [`Driver::lock`] times out.
    /// The default, [`LockState::NotTracked`], suits a driver that cannot tell; a driver that
    /// wraps another should forward this method.
    fn lock_holder(
        &mut self,
        name: &str,
    ) -> impl Future<Output = Result<LockState, DriverError>> + Send {
        let _ = name;
        async { Ok(LockState::NotTracked) }
    }

    /// Undoes what an abandoned call left on this connection, before the runner uses it again:
    /// a future dropped mid-command (`tokio::time::timeout`, `select!`) whose caller keeps the
    /// driver may leave the lock `name` held (re-entrant on MySQL/MariaDB and PostgreSQL, so
    /// one later release would not free it) and a transaction open (on PostgreSQL, the next
    /// command would run inside it). Rolls back that transaction and releases every hold of
    /// the lock. The runner calls it at the start of every command; a driver that knows
    /// nothing is left costs no round trip. The default does nothing, which suits a driver
    /// that never leaves a lock or transaction behind; a driver that wraps another should
    /// forward this method.
    fn recover(&mut self, name: &str) -> impl Future<Output = Result<(), DriverError>> + Send {
        let _ = name;
        async { Ok(()) }
    }

    /// Starts the unit in which one migration and its history row commit together.
    fn begin(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Commits the unit started by [`Driver::begin`].
    fn commit(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Rolls back the unit started by [`Driver::begin`].
    fn rollback(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;
}

/// Statements for [`Driver::execute_batch`]: optionally the start of a unit
/// ([`Driver::begin`]), the statements in order, optionally its commit ([`Driver::commit`]).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Begin a unit first.
    pub begin: bool,
    /// The statements, each complete and without a trailing `;`.
    pub statements: &'a [&'a str],
    /// Commit the unit last.
    pub commit: bool,
}

impl Batch<'_> {
    /// The parts in the order they run.
    pub fn parts(&self) -> impl Iterator<Item = BatchPart> + '_ {
        let begin = self.begin.then_some(BatchPart::Begin);
        let commit = self.commit.then_some(BatchPart::Commit);
        begin
            .into_iter()
            .chain((0..self.statements.len()).map(BatchPart::Statement))
            .chain(commit)
    }
}

/// A part of a [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchPart {
    /// The start of the unit.
    Begin,
    /// The statement at this index of [`Batch::statements`].
    Statement(usize),
    /// The commit of the unit.
    Commit,
}

/// Why a [`Batch`] stopped: the part that failed (nothing after it ran) and the error.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct BatchError {
    /// The part that failed.
    pub part: BatchPart,
    /// The client's error.
    pub error: DriverError,
}

/// What kind of failure a [`DriverError`] is, as far as the runner cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverErrorKind {
    /// The statement referred to a table that does not exist (the history table on a new
    /// database).
    UndefinedTable,
    /// The connection was lost (closed, reset or killed) while a statement may have been in
    /// flight: whether the server ran it is unknown.
    ConnectionLost,
    /// The server did not accept a connection within the connect timeout.
    ConnectTimeout,
    /// The database URL could not be used (malformed, no database name, ambiguous).
    InvalidUrl,
    /// Anything else.
    Other,
}

/// An error from the database client. Its message is the client's, with any password removed.
///
/// A server's error keeps the server's identification of it, so that an operator can look it
/// up: MySQL/MariaDB give an error number and a SQLSTATE, PostgreSQL a SQLSTATE, SQLite a
/// result code (as the number). Display puts them first, `error 1061 (42000): Duplicate key
/// name 'i'`; [`DriverError::message`] is the message alone.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.shown())]
pub struct DriverError {
    kind: DriverErrorKind,
    message: String,
    /// Boxed: [`crate::Error`] carries a `DriverError` and must stay small to pass around.
    code: Option<Box<ServerCode>>,
}

/// The server's identification of an error.
#[derive(Debug)]
struct ServerCode {
    number: Option<u32>,
    sqlstate: Option<String>,
}

impl DriverError {
    /// An error of `kind` with the client's `message`.
    pub fn new(kind: DriverErrorKind, message: impl Into<String>) -> DriverError {
        DriverError {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// An error of kind [`DriverErrorKind::Other`].
    pub fn other(message: impl std::fmt::Display) -> DriverError {
        DriverError::new(DriverErrorKind::Other, message.to_string())
    }

    /// The same error with the server's error `number` and `sqlstate`, where it gave them.
    pub fn with_code(mut self, number: Option<u32>, sqlstate: Option<&str>) -> DriverError {
        self.code = (number.is_some() || sqlstate.is_some()).then(|| {
            Box::new(ServerCode {
                number,
                sqlstate: sqlstate.map(str::to_owned),
            })
        });
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> DriverErrorKind {
        self.kind
    }

    /// The client's message, without the error number and SQLSTATE.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's error number (MySQL/MariaDB `1061`; SQLite's extended result code).
    pub fn number(&self) -> Option<u32> {
        self.code.as_ref().and_then(|code| code.number)
    }

    /// The SQLSTATE the server gave (`42000`), on MySQL/MariaDB and PostgreSQL.
    pub fn sqlstate(&self) -> Option<&str> {
        self.code.as_ref().and_then(|code| code.sqlstate.as_deref())
    }

    fn shown(&self) -> String {
        match (self.number(), self.sqlstate()) {
            (Some(number), Some(state)) => format!("error {number} ({state}): {}", self.message),
            (Some(number), None) => format!("error {number}: {}", self.message),
            (None, Some(state)) => format!("error {state}: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }
}

/// `url` with every credential replaced by `***`, for messages and logs (see
/// [`DatabaseUrl::redacted`](crate::database_url::DatabaseUrl::redacted)). A URL that cannot be
/// parsed shows as its scheme only, since where its password ends is unknown.
///
/// ```
/// assert_eq!(
///     migrate_core::driver::redact_url("mysql://app:s3cret@db:3306/app"),
///     "mysql://app:***@db:3306/app"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    match crate::database_url::DatabaseUrl::parse(url) {
        Ok(url) => url.redacted().to_owned(),
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "(unreadable database URL)".to_owned(),
        },
    }
}

/// `url` pointing at database `name` instead of its own (`url` unchanged if it is invalid:
/// connecting to it then reports why).
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub(crate) fn with_database(url: &str, name: &str) -> String {
    match crate::database_url::DatabaseUrl::parse(url) {
        Ok(url) => url.with_database(name).connection_string().to_owned(),
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_error_shows_number_and_sqlstate_before_the_message() {
        let error = DriverError::other("Duplicate key name 'i'");
        assert_eq!(error.to_string(), "Duplicate key name 'i'");
        let error = error.with_code(Some(1061), Some("42000"));
        assert_eq!(
            error.to_string(),
            "error 1061 (42000): Duplicate key name 'i'"
        );
        assert_eq!(error.message(), "Duplicate key name 'i'");
        assert_eq!(
            (error.number(), error.sqlstate()),
            (Some(1061), Some("42000"))
        );
        let postgres = DriverError::other("relation exists").with_code(None, Some("42P07"));
        assert_eq!(postgres.to_string(), "error 42P07: relation exists");
        let sqlite = DriverError::other("index exists").with_code(Some(1), None);
        assert_eq!(sqlite.to_string(), "error 1: index exists");
    }

    #[test]
    fn redact_url_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db?x=1"),
            "postgres://u:***@h/db?x=1"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://data.db"), "sqlite://data.db");
        assert_eq!(redact_url("mysql://a:b@c@h/db"), "mysql://a:***@h/db");
        assert_eq!(redact_url("mysql://a:b/c@h/db"), "mysql://…");
        assert_eq!(redact_url("a:b@h/db"), "(unreadable database URL)");
    }

    #[cfg(any(
        feature = "sqlx-mysql",
        feature = "sqlx-postgres",
        feature = "sqlx-sqlite",
        feature = "mysql_async"
    ))]
    #[test]
    fn with_database_replaces_the_path() {
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test", "x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/postgres?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
