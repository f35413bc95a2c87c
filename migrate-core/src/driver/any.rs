//! [`AnyDriver`]: the driver for a URL, chosen by its scheme among the drivers compiled in.

use std::time::Duration;

use super::{Batch, BatchError, Driver, DriverError, LockOutcome, Row};
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
}

impl AnyDriver {
    /// Connects to `url` with the driver its scheme calls for. Errors never contain the URL's
    /// password.
    pub async fn connect(url: &str) -> Result<AnyDriver, DriverError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            #[cfg(feature = "sqlx-mysql")]
            "mysql" | "mariadb" => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                super::SqlxMySql::connect(&url).await.map(AnyDriver::SqlxMySql)
            }
            #[cfg(all(feature = "mysql_async", not(feature = "sqlx-mysql")))]
            "mysql" | "mariadb" => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                super::MysqlAsync::connect(&url).await.map(AnyDriver::MysqlAsync)
            }
            #[cfg(feature = "sqlx-postgres")]
            "postgres" | "postgresql" => super::SqlxPostgres::connect(url).await.map(AnyDriver::SqlxPostgres),
            #[cfg(feature = "sqlx-sqlite")]
            "sqlite" => super::SqlxSqlite::connect(url).await.map(AnyDriver::SqlxSqlite),
            _ => Err(DriverError::other(format!(
                "no driver compiled in for `{}`; enable the matching feature (sqlx-mysql, mysql_async, sqlx-postgres, sqlx-sqlite)",
                super::redact_url(url)
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
