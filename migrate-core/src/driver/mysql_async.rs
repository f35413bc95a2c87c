//! MySQL and MariaDB through mysql_async (feature `mysql_async`).
//!
//! Same server behaviour as the sqlx MySQL driver: DDL commits implicitly, so the runner
//! journals; the migration lock is `GET_LOCK` ([`super::mysql_lock`]), or on a Galera node a
//! replicated lock row ([`super::galera`]). Queries use the text
//! protocol (`COM_QUERY`), one round trip each; a [`super::Batch`] is one multi-statement
//! `COM_QUERY` (mysql_async always asks for `CLIENT_MULTI_STATEMENTS`).

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Pool, Value};

use super::batch_text::BatchText;
use super::galera::{ClusterLock, Clustered};
use super::{
    mysql_lock, mysql_session, Batch, BatchError, Driver, DriverError, DriverErrorKind,
    LockOutcome, LockState, Row,
};
use crate::Dialect;

/// A [`Driver`] on one mysql_async connection.
pub struct MysqlAsync {
    conn: Conn,
    locked: bool,
    cluster: ClusterLock,
}

impl MysqlAsync {
    /// Connects to `url` (`mysql://user:password@host/db`) within the default connect timeout.
    /// The session gets the server's own defaults (`sql_mode`, `time_zone`, collation), as with
    /// the sqlx driver.
    pub async fn connect(url: &str) -> Result<MysqlAsync, DriverError> {
        MysqlAsync::connect_with(url, &super::ConnectOptions::default()).await
    }

    /// Connects to `url` with `options` (the connect timeout), in the server's own session
    /// defaults.
    pub async fn connect_with(
        url: &str,
        options: &super::ConnectOptions,
    ) -> Result<MysqlAsync, DriverError> {
        let url = super::connect::parse_for(url, Dialect::MySql)?;
        let redact = |e: mysql_async::Error| DriverError::other(url.scrub(&e.to_string()));
        let opts = Opts::from_url(url.connection_string()).map_err(|e| redact(e.into()))?;
        let conn = super::connect::bounded(&url, options, async {
            Conn::new(opts).await.map_err(redact)
        })
        .await?;
        let mut driver = MysqlAsync::from_connection(conn);
        mysql_session::adopt_server_defaults(&mut driver).await?;
        Ok(driver)
    }

    /// Works on a connection the application opened (or took from its pool), in the session
    /// the application set up.
    pub fn from_connection(conn: Conn) -> MysqlAsync {
        MysqlAsync {
            conn,
            locked: false,
            cluster: ClusterLock::default(),
        }
    }

    /// Takes a connection from the application's pool until the driver is dropped; its
    /// session is the application's, as with [`MysqlAsync::from_connection`].
    pub async fn from_pool(pool: &Pool) -> Result<MysqlAsync, DriverError> {
        let conn = pool.get_conn().await.map_err(error)?;
        Ok(MysqlAsync::from_connection(conn))
    }

    /// The underlying connection.
    pub fn connection(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl Drop for MysqlAsync {
    fn drop(&mut self) {
        // Dropped while holding the lock (panic, cancelled future): a pooled connection is reset
        // on its way back to the pool, which ends its GET_LOCK locks; an unpooled one is closed.
        if self.locked {
            self.conn.reset_connection(true);
        }
    }
}

impl Clustered for MysqlAsync {
    type Beat = MysqlAsync;

    fn cluster(&mut self) -> &mut ClusterLock {
        &mut self.cluster
    }

    async fn open_heartbeat(&mut self) -> Result<MysqlAsync, DriverError> {
        let conn = Conn::new(self.conn.opts().clone()).await.map_err(error)?;
        Ok(MysqlAsync::from_connection(conn))
    }
}

fn error(e: mysql_async::Error) -> DriverError {
    match &e {
        mysql_async::Error::Server(server) => {
            let kind = if mysql_lock::is_undefined_table(&server.code.to_string()) {
                DriverErrorKind::UndefinedTable
            } else if mysql_lock::is_connection_lost(server.code) {
                DriverErrorKind::ConnectionLost
            } else {
                DriverErrorKind::Other
            };
            DriverError::new(kind, server.message.as_str())
                .with_code(Some(u32::from(server.code)), Some(server.state.as_str()))
        }
        // The socket failed or closed, or the protocol broke off: the session is gone.
        mysql_async::Error::Io(_)
        | mysql_async::Error::Driver(
            mysql_async::DriverError::ConnectionClosed | mysql_async::DriverError::PacketOutOfOrder,
        ) => DriverError::new(DriverErrorKind::ConnectionLost, e.to_string()),
        other => DriverError::other(other),
    }
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_owned()),
    }
}

impl Driver for MysqlAsync {
    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        self.conn.query_drop(sql).await.map_err(error)
    }

    async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        let rows: Vec<mysql_async::Row> = self.conn.query(sql).await.map_err(error)?;
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().into_iter().map(text).collect())
            .collect())
    }

    async fn query_each<F>(&mut self, sql: &str, mut visit: F) -> Result<(), DriverError>
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        let mut result = self.conn.query_iter(sql).await.map_err(error)?;
        while let Some(row) = result.next().await.map_err(error)? {
            let cells: Vec<Option<&str>> = (0..row.len())
                .map(|i| match row.as_ref(i) {
                    Some(Value::Bytes(bytes)) => std::str::from_utf8(bytes).ok(),
                    _ => None,
                })
                .collect();
            visit(&cells);
        }
        Ok(())
    }

    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        // The server runs the statements one after the other and stops at the first error,
        // which arrives in place of that statement's result: the results read before it say
        // which part failed.
        let text = BatchText::new(&batch);
        let failed = |completed: usize, e: mysql_async::Error| BatchError {
            part: text.after(completed),
            error: error(e),
        };
        let mut result = self
            .conn
            .query_iter(text.text())
            .await
            .map_err(|e| failed(0, e))?;
        // The first part's result is the pending one. `next` returns its rows, then `None`
        // once it has moved on to the next part's result (or reached the end).
        let mut completed = 1;
        loop {
            match result.next().await {
                Ok(Some(_row)) => {}
                Ok(None) if result.is_empty() => break,
                Ok(None) => completed += 1,
                Err(e) => return Err(failed(completed, e)),
            }
        }
        result.drop_result().await.map_err(|e| failed(completed, e))
    }

    async fn lock(&mut self, name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        // Marked before the wait: a future dropped while `GET_LOCK` waits may still be granted
        // the lock, so its connection must be reset on the way back to the pool. After an
        // error the mark stays, since the server may have granted it.
        self.locked = true;
        let outcome = mysql_lock::lock(self, name, timeout).await?;
        self.locked = outcome == LockOutcome::Acquired;
        Ok(outcome)
    }

    async fn lock_holder(&mut self, name: &str) -> Result<LockState, DriverError> {
        mysql_lock::lock_holder(self, name).await
    }

    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        mysql_lock::unlock(self, name).await?;
        self.locked = false;
        Ok(())
    }

    async fn recover(&mut self, _name: &str) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        // A Galera lock row stays until its lease runs out, as a killed runner's would.
        self.cluster.abandon();
        // An abandoned command may have left a multi-statement batch running on the server,
        // whose results this connection can no longer tell from the next query's, so the
        // session is given up like a killed client's: the server finishes what it runs and
        // then ends it, releasing the lock (every hold of it) and rolling back a transaction.
        // The next command waits for the lock like any other runner.
        let fresh = Conn::new(self.conn.opts().clone()).await.map_err(error)?;
        let old = std::mem::replace(&mut self.conn, fresh);
        self.locked = false;
        // Out of sync, the goodbye may fail; the socket closes either way.
        let _ = old.disconnect().await;
        // The new session starts from the server's defaults, as `connect` leaves one.
        mysql_session::adopt_server_defaults(self).await
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
