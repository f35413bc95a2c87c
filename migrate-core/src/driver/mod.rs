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
