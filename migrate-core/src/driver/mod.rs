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
mod error;
#[cfg(any(feature = "sqlx-mysql", feature = "mysql_async"))]
mod galera;
mod lock_state;
#[cfg(feature = "mysql_async")]
mod mysql_async;
#[cfg(any(feature = "sqlx-mysql", feature = "mysql_async"))]
mod mysql_lock;
#[cfg(any(feature = "sqlx-mysql", feature = "mysql_async"))]
mod mysql_session;
mod seam;
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
mod url;

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
pub use self::error::{DriverError, DriverErrorKind};
pub use self::lock_state::{Lease, LockHolder, LockState};
#[cfg(feature = "mysql_async")]
pub use self::mysql_async::MysqlAsync;
pub use self::seam::{Batch, BatchError, BatchPart, Driver, LockOutcome, Row};
#[cfg(feature = "sqlx-mysql")]
pub use self::sqlx_mysql::SqlxMySql;
#[cfg(feature = "sqlx-postgres")]
pub use self::sqlx_postgres::SqlxPostgres;
#[cfg(feature = "sqlx-sqlite")]
pub use self::sqlx_sqlite::SqlxSqlite;
pub use self::url::redact_url;
#[cfg(any(
    feature = "sqlx-mysql",
    feature = "sqlx-postgres",
    feature = "sqlx-sqlite",
    feature = "mysql_async",
    feature = "cli"
))]
pub(crate) use self::url::with_database;
