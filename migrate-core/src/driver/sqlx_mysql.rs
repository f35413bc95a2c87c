//! MySQL and MariaDB through sqlx (feature `sqlx-mysql`).
//!
//! DDL commits implicitly on these servers
//! (<https://mariadb.com/kb/en/sql-statements-that-cause-an-implicit-commit/>), so the runner
//! journals statement by statement instead of relying on transactions. The migration lock is
//! `GET_LOCK`, a session lock ([`super::mysql_lock`]); on a Galera node, a replicated lock row
//! renewed from a second connection ([`super::galera`]).

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor, MySql, Pool};

use super::batch_text::{sqlx_results, BatchText};
use super::galera::{ClusterLock, Clustered};
use super::sqlx_common::{self, Conn, Held};
use super::{
    mysql_lock, mysql_session, Batch, BatchError, Driver, DriverError, DriverErrorKind,
    LockOutcome, LockState, Row,
};
use crate::Dialect;

/// A [`Driver`] on one MySQL or MariaDB connection.
pub struct SqlxMySql {
    held: Held<MySql>,
    /// Where a fresh session comes from when [`Driver::recover`] must give up this one (and
    /// a Galera lock's heartbeat its connection).
    reopen: Reopen,
    cluster: ClusterLock,
}

/// How to open a replacement connection.
enum Reopen {
    /// With the options the driver connected with.
    Options(Box<MySqlConnectOptions>),
    /// With the options of the application's pool (the replacement stays outside the pool
    /// and is closed with the driver).
    Pool(Pool<MySql>),
    /// Not at all: the application handed over its own connection.
    Never,
}

impl SqlxMySql {
    /// Connects to `url` (`mysql://user:password@host/db`) within the default connect timeout.
    /// The session gets the server's own defaults, not sqlx's (`sql_mode`, `time_zone`,
    /// collation).
    pub async fn connect(url: &str) -> Result<SqlxMySql, DriverError> {
        SqlxMySql::connect_with(url, &super::ConnectOptions::default()).await
    }

    /// Connects to `url` with `options` (the connect timeout), in the server's own session
    /// defaults.
    pub async fn connect_with(
        url: &str,
        options: &super::ConnectOptions,
    ) -> Result<SqlxMySql, DriverError> {
        let url = super::connect::parse_for(url, Dialect::MySql)?;
        let client = MySqlConnectOptions::from_str(url.connection_string())
            .map_err(|e| sqlx_common::connect_error(e, &url))?
            // sqlx's own session settings off: `sql_mode` additions, `+00:00`, `SET NAMES`.
            .pipes_as_concat(false)
            .no_engine_substitution(false)
            .timezone(None)
            .set_names(false);
        let conn = super::connect::bounded(&url, options, async {
            (client.connect().await).map_err(|e| sqlx_common::connect_error(e, &url))
        })
        .await?;
        let mut driver = SqlxMySql::from_connection(conn);
        mysql_session::adopt_server_defaults(&mut driver).await?;
        driver.reopen = Reopen::Options(Box::new(client));
        Ok(driver)
    }

    /// Works on a connection the application opened, in the session the application set up
    /// (sqlx's defaults unless it changed them; [`SqlxMySql::connect`] uses the server's).
    pub fn from_connection(conn: MySqlConnection) -> SqlxMySql {
        SqlxMySql {
            held: Held::new(Conn::Owned(conn)),
            reopen: Reopen::Never,
            cluster: ClusterLock::default(),
        }
    }

    /// Borrows a connection from the application's pool until the driver is dropped; its
    /// session is the application's, as with [`SqlxMySql::from_connection`].
    pub async fn from_pool(pool: &Pool<MySql>) -> Result<SqlxMySql, DriverError> {
        let conn = pool.acquire().await.map_err(error)?;
        Ok(SqlxMySql {
            held: Held::new(Conn::Pooled(conn)),
            reopen: Reopen::Pool(pool.clone()),
            cluster: ClusterLock::default(),
        })
    }

    /// The underlying connection.
    pub fn connection(&mut self) -> &mut MySqlConnection {
        self.held.conn()
    }
}

/// The error of [`Driver::recover`] on a connection it cannot replace.
fn abandoned() -> DriverError {
    DriverError::new(
        DriverErrorKind::ConnectionLost,
        "a command was abandoned on this connection (its future dropped) while it held the \
         migration lock, and the connection cannot be trusted to run another: drop this driver \
         (closing the connection releases the lock once the server finishes what it runs) and \
         open a new one",
    )
}

impl Clustered for SqlxMySql {
    type Beat = SqlxMySql;

    fn cluster(&mut self) -> &mut ClusterLock {
        &mut self.cluster
    }

    async fn open_heartbeat(&mut self) -> Result<SqlxMySql, DriverError> {
        let conn = match &self.reopen {
            Reopen::Options(options) => options.connect().await.map_err(error)?,
            Reopen::Pool(pool) => pool.connect_options().connect().await.map_err(error)?,
            Reopen::Never => {
                return Err(DriverError::other(
                    "on a Galera cluster the migration lock is renewed from a second \
                     connection, which a driver made `from_connection` cannot open: use \
                     `connect` or `from_pool`",
                ))
            }
        };
        Ok(SqlxMySql::from_connection(conn))
    }
}

fn error(e: sqlx::Error) -> DriverError {
    let killed = e
        .as_database_error()
        .and_then(|db| db.try_downcast_ref::<MySqlDatabaseError>())
        .is_some_and(|db| mysql_lock::is_connection_lost(db.number()));
    let error = sqlx_common::driver_error(e, |code, _| mysql_lock::is_undefined_table(code));
    match killed {
        true => DriverError::new(DriverErrorKind::ConnectionLost, error.message()),
        false => error,
    }
}

impl Driver for SqlxMySql {
    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        self.held
            .conn()
            .execute(sqlx::raw_sql(AssertSqlSafe(sql)))
            .await
            .map_err(error)?;
        Ok(())
    }

    async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        let rows = self
            .held
            .conn()
            .fetch_all(sqlx::raw_sql(AssertSqlSafe(sql)))
            .await
            .map_err(error)?;
        sqlx_common::text_rows(rows).map_err(error)
    }

    async fn query_each<F>(&mut self, sql: &str, visit: F) -> Result<(), DriverError>
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        let rows = self
            .held
            .conn()
            .fetch_all(sqlx::raw_sql(AssertSqlSafe(sql)))
            .await
            .map_err(error)?;
        sqlx_common::visit_text_rows(&rows, visit).map_err(error)
    }

    async fn lock(&mut self, name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        // Marked before the wait: a future dropped while `GET_LOCK` waits may still be granted
        // the lock, so its pooled connection must be closed rather than returned. After an
        // error the mark stays, since the server may have granted it.
        self.held.set_locked(true);
        let outcome = mysql_lock::lock(self, name, timeout).await?;
        self.held.set_locked(outcome == LockOutcome::Acquired);
        Ok(outcome)
    }

    async fn lock_holder(&mut self, name: &str) -> Result<LockState, DriverError> {
        mysql_lock::lock_holder(self, name).await
    }

    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        mysql_lock::unlock(self, name).await?;
        self.held.set_locked(false);
        Ok(())
    }

    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        // One COM_QUERY with several statements (sqlx enables CLIENT_MULTI_STATEMENTS); the
        // server runs them one after the other, stops at the first error and sends one
        // result per statement before it.
        let text = BatchText::new(&batch);
        let results = self
            .held
            .conn()
            .fetch_many(sqlx::raw_sql(AssertSqlSafe(text.text())));
        sqlx_results::drain_batch::<MySql>(results, &text, |_, _| None, error).await
    }

    async fn recover(&mut self, _name: &str) -> Result<(), DriverError> {
        if !self.held.locked() {
            return Ok(());
        }
        // A Galera lock row stays until its lease runs out, as a killed runner's would.
        self.cluster.abandon();
        // An abandoned command may have left a multi-statement batch running on the server,
        // whose results this connection can no longer tell from the next query's, so the
        // session is given up like a killed client's: the server finishes what it runs and
        // then ends it, releasing the lock (every hold of it) and rolling back a transaction.
        // The next command waits for the lock like any other runner.
        let fresh = match &self.reopen {
            Reopen::Options(options) => {
                let fresh = Conn::Owned(options.connect().await.map_err(error)?);
                self.held.replace(fresh);
                return mysql_session::adopt_server_defaults(self).await;
            }
            // Not from the pool itself: it may have no other connection to give while this
            // driver holds the old one (closed when it is replaced).
            Reopen::Pool(pool) => {
                Conn::Owned(pool.connect_options().connect().await.map_err(error)?)
            }
            // Every command on this driver refuses from now on.
            Reopen::Never => return Err(abandoned()),
        };
        self.held.replace(fresh);
        Ok(())
    }

    async fn begin(&mut self) -> Result<(), DriverError> {
        self.execute("BEGIN").await
    }

    async fn commit(&mut self) -> Result<(), DriverError> {
        self.execute("COMMIT").await
    }

    async fn rollback(&mut self) -> Result<(), DriverError> {
        self.execute("ROLLBACK").await
    }
}
