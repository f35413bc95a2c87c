//! [`AnyDriver`]: the driver for a URL, chosen by its scheme among the drivers compiled in.

// With no driver compiled in (feature `cli` alone), nothing reaches a driver: the arguments and
// helpers below go unused.
#![cfg_attr(
    not(any(
        feature = "sqlx-mysql",
        feature = "mysql_async",
        feature = "sqlx-postgres",
        feature = "sqlx-sqlite"
    )),
    allow(unused_variables, dead_code)
)]

use std::time::Duration;

use super::{Batch, BatchError, ConnectOptions, Driver, DriverError, LockOutcome, LockState, Row};
use crate::database_url::DatabaseUrl;
use crate::Dialect;

/// One of the compiled-in drivers, chosen at run time from a database URL.
///
/// | scheme | driver |
/// |---|---|
/// | `mysql://`, `mariadb://` | [`super::SqlxMySql`] (feature `sqlx-mysql`), else [`super::MysqlAsync`] |
/// | `postgres://`, `postgresql://` | [`super::SqlxPostgres`] |
/// | `sqlite:` | [`super::SqlxSqlite`] |
#[non_exhaustive]
pub enum AnyDriver {
    /// MySQL or MariaDB through sqlx.
    #[cfg(feature = "sqlx-mysql")]
    SqlxMySql(super::SqlxMySql),
    /// MySQL or MariaDB through mysql_async.
    #[cfg(feature = "mysql_async")]
    MysqlAsync(super::MysqlAsync),
    /// PostgreSQL through sqlx.
    #[cfg(feature = "sqlx-postgres")]
    SqlxPostgres(super::SqlxPostgres),
    /// SQLite through sqlx.
    #[cfg(feature = "sqlx-sqlite")]
    SqlxSqlite(super::SqlxSqlite),
    /// No driver is compiled in (feature `cli` alone): no value of this type exists, and
    /// [`AnyDriver::connect`] names the feature to enable.
    #[cfg(not(any(
        feature = "sqlx-mysql",
        feature = "mysql_async",
        feature = "sqlx-postgres",
        feature = "sqlx-sqlite"
    )))]
    #[doc(hidden)]
    NoDriver(std::convert::Infallible),
}

impl AnyDriver {
    /// Connects to `url` with the driver its scheme calls for, within
    /// [`DEFAULT_CONNECT_TIMEOUT`](super::DEFAULT_CONNECT_TIMEOUT). Errors never contain the
    /// URL's password; a URL that is malformed, names no database or has an ambiguous password
    /// is refused ([`DriverErrorKind::InvalidUrl`](super::DriverErrorKind::InvalidUrl)).
    pub async fn connect(url: &str) -> Result<AnyDriver, DriverError> {
        AnyDriver::connect_with(url, &ConnectOptions::default()).await
    }

    /// [`AnyDriver::connect`] with `options` (the connect timeout).
    pub async fn connect_with(
        url: &str,
        options: &ConnectOptions,
    ) -> Result<AnyDriver, DriverError> {
        let parsed = DatabaseUrl::parse(url)?;
        let url = parsed.connection_string();
        match parsed.dialect() {
            #[cfg(feature = "sqlx-mysql")]
            Dialect::MySql => super::SqlxMySql::connect_with(url, options)
                .await
                .map(AnyDriver::SqlxMySql),
            #[cfg(all(feature = "mysql_async", not(feature = "sqlx-mysql")))]
            Dialect::MySql => super::MysqlAsync::connect_with(url, options)
                .await
                .map(AnyDriver::MysqlAsync),
            #[cfg(feature = "sqlx-postgres")]
            Dialect::Postgres => super::SqlxPostgres::connect_with(url, options)
                .await
                .map(AnyDriver::SqlxPostgres),
            #[cfg(feature = "sqlx-sqlite")]
            Dialect::Sqlite => super::SqlxSqlite::connect_with(url, options)
                .await
                .map(AnyDriver::SqlxSqlite),
            #[allow(unreachable_patterns)] // with every driver compiled in
            _ => Err(DriverError::other(format!(
                "no driver compiled in for `{parsed}`; enable the matching feature (sqlx-mysql, mysql_async, sqlx-postgres, sqlx-sqlite)"
            ))),
        }
    }
}

/// Forwards a call to whichever driver is inside.
macro_rules! dispatch {
    ($self:ident, $d:ident => $call:expr) => {
        match $self {
            #[cfg(feature = "sqlx-mysql")]
            AnyDriver::SqlxMySql($d) => $call,
            #[cfg(feature = "mysql_async")]
            AnyDriver::MysqlAsync($d) => $call,
            #[cfg(feature = "sqlx-postgres")]
            AnyDriver::SqlxPostgres($d) => $call,
            #[cfg(feature = "sqlx-sqlite")]
            AnyDriver::SqlxSqlite($d) => $call,
            #[cfg(not(any(
                feature = "sqlx-mysql",
                feature = "mysql_async",
                feature = "sqlx-postgres",
                feature = "sqlx-sqlite"
            )))]
            AnyDriver::NoDriver(never) => match *never {},
        }
    };
}

impl Driver for AnyDriver {
    fn dialect(&self) -> Dialect {
        dispatch!(self, d => d.dialect())
    }

    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        dispatch!(self, d => d.execute(sql).await)
    }

    async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        dispatch!(self, d => d.query(sql).await)
    }

    async fn query_repeated(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        dispatch!(self, d => d.query_repeated(sql).await)
    }

    async fn query_each<F>(&mut self, sql: &str, visit: F) -> Result<(), DriverError>
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        dispatch!(self, d => d.query_each(sql, visit).await)
    }

    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        dispatch!(self, d => d.execute_batch(batch).await)
    }

    async fn lock(&mut self, name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        dispatch!(self, d => d.lock(name, timeout).await)
    }

    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        dispatch!(self, d => d.unlock(name).await)
    }

    async fn lock_holder(&mut self, name: &str) -> Result<LockState, DriverError> {
        dispatch!(self, d => d.lock_holder(name).await)
    }

    async fn recover(&mut self, name: &str) -> Result<(), DriverError> {
        dispatch!(self, d => d.recover(name).await)
    }

    async fn begin(&mut self) -> Result<(), DriverError> {
        dispatch!(self, d => d.begin().await)
    }

    async fn commit(&mut self) -> Result<(), DriverError> {
        dispatch!(self, d => d.commit().await)
    }

    async fn rollback(&mut self) -> Result<(), DriverError> {
        dispatch!(self, d => d.rollback().await)
    }
}
