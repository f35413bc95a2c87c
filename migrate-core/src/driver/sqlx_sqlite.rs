//! SQLite through sqlx (feature `sqlx-sqlite`).
//!
//! SQLite has no session locks. The migration lock is an *immediate* write transaction
//! (`BEGIN IMMEDIATE` takes the database's write lock at once, so two runners serialize there),
//! waited for through `busy_timeout`: <https://www.sqlite.org/lang_transaction.html>. Each
//! migration runs in a savepoint inside it, so it commits with its history row or not at all,
//! and the lock's `COMMIT` makes the finished migrations durable. Who holds the write lock
//! SQLite does not say: [`Driver::lock_holder`] can only tell that some connection does.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor, Pool, Sqlite};

use super::sqlx_common::{self, Conn, Held};
use super::{Driver, DriverError, LockHolder, LockOutcome, LockState, Row};
use crate::Dialect;

/// A [`Driver`] on one SQLite connection.
pub struct SqlxSqlite {
    held: Held<Sqlite>,
}

impl SqlxSqlite {
    /// Opens `url` (`sqlite://path.db`, `sqlite::memory:`), creating the file if missing.
    pub async fn connect(url: &str) -> Result<SqlxSqlite, DriverError> {
        SqlxSqlite::connect_with(url, &super::ConnectOptions::default()).await
    }

    /// Opens `url` with `options` (the connect timeout bounds waiting for the file's lock).
    pub async fn connect_with(
        url: &str,
        options: &super::ConnectOptions,
    ) -> Result<SqlxSqlite, DriverError> {
        let url = super::connect::parse_for(url, Dialect::Sqlite)?;
        let client = SqliteConnectOptions::from_str(url.connection_string())
            .map_err(|e| sqlx_common::connect_error(e, &url))?
            .create_if_missing(true);
        let conn = super::connect::bounded(&url, options, async {
            (client.connect().await).map_err(|e| sqlx_common::connect_error(e, &url))
        })
        .await?;
        Ok(SqlxSqlite::from_connection(conn))
    }

    /// Works on a connection the application opened.
    pub fn from_connection(conn: SqliteConnection) -> SqlxSqlite {
        SqlxSqlite {
            held: Held::new(Conn::Owned(conn)),
        }
    }

    /// Borrows a connection from the application's pool until the driver is dropped.
    pub async fn from_pool(pool: &Pool<Sqlite>) -> Result<SqlxSqlite, DriverError> {
        let conn = pool.acquire().await.map_err(error)?;
        Ok(SqlxSqlite {
            held: Held::new(Conn::Pooled(conn)),
        })
    }

    /// The underlying connection.
    pub fn connection(&mut self) -> &mut SqliteConnection {
        self.held.conn()
    }
}

fn error(e: sqlx::Error) -> DriverError {
    sqlx_common::driver_error(e, |_, message| message.starts_with("no such table"))
}

/// SQLITE_BUSY and its extended codes: another connection holds the write lock.
fn is_busy(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.code().is_some_and(|c| c == "5" || c.parse::<i32>().is_ok_and(|n| n & 0xff == 5)))
}

impl Driver for SqlxSqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
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

    async fn lock(&mut self, _name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        let ms = timeout.as_millis().min(i32::MAX as u128);
        // The wait is this attempt's only: the connection's own busy timeout comes back after
        // it, so that a short attempt (`up` waits in slices) does not govern the holder's
        // later COMMIT, and a pooled connection goes back as the application set it.
        let previous: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(self.held.conn())
            .await
            .map_err(error)?;
        self.execute(&format!("PRAGMA busy_timeout = {ms}")).await?;
        // Marked before the wait: a future dropped while `BEGIN IMMEDIATE` waits may still
        // begin the transaction, which [`Driver::recover`] then rolls back.
        self.held.set_locked(true);
        let begun = self
            .held
            .conn()
            .execute(sqlx::raw_sql("BEGIN IMMEDIATE"))
            .await;
        self.held.set_locked(begun.is_ok());
        self.execute(&format!("PRAGMA busy_timeout = {previous}"))
            .await?;
        match begun {
            Ok(_) => Ok(LockOutcome::Acquired),
            // SQLite cannot say which connection holds the write lock.
            Err(e) if is_busy(&e) => Ok(LockOutcome::TimedOut { holder: None }),
            Err(e) => Err(error(e)),
        }
    }

    /// Tries `BEGIN IMMEDIATE` without waiting and rolls it back at once: busy means another
    /// connection holds the write lock — a runner, or any other writer, which SQLite cannot
    /// tell apart. Three statements besides: the busy timeout is read, zeroed and restored.
    async fn lock_holder(&mut self, _name: &str) -> Result<LockState, DriverError> {
        let previous: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(self.held.conn())
            .await
            .map_err(error)?;
        self.execute("PRAGMA busy_timeout = 0").await?;
        let begun = self
            .held
            .conn()
            .execute(sqlx::raw_sql("BEGIN IMMEDIATE"))
            .await;
        let ended = match &begun {
            Ok(_) => self.execute("ROLLBACK").await,
            Err(_) => Ok(()),
        };
        self.execute(&format!("PRAGMA busy_timeout = {previous}"))
            .await?;
        ended?;
        match begun {
            Ok(_) => Ok(LockState::Free),
            Err(e) if is_busy(&e) => Ok(LockState::Held(Box::new(LockHolder {
                description: "another connection holding the database's write lock (a runner, \
                    or any writer: SQLite does not say which)"
                    .to_owned(),
                ..LockHolder::default()
            }))),
            Err(e) => Err(error(e)),
        }
    }

    async fn unlock(&mut self, _name: &str) -> Result<(), DriverError> {
        let result = self.execute("COMMIT").await;
        if result.is_err() {
            let _ = self.execute("ROLLBACK").await;
        }
        self.held.set_locked(false);
        result
    }

    async fn recover(&mut self, _name: &str) -> Result<(), DriverError> {
        if !self.held.locked() {
            return Ok(());
        }
        // The lock is the write transaction of an abandoned command, its versions not yet
        // committed: roll them back (sqlx runs it after the abandoned statement finishes).
        let rolled_back = self.held.conn().execute(sqlx::raw_sql("ROLLBACK")).await;
        match rolled_back {
            Ok(_) => {}
            // The wait for the lock had not begun the transaction after all.
            Err(e) if e.to_string().contains("no transaction is active") => {}
            Err(e) => return Err(error(e)),
        }
        self.held.set_locked(false);
        Ok(())
    }

    async fn begin(&mut self) -> Result<(), DriverError> {
        self.execute("SAVEPOINT migrate_step").await
    }

    async fn commit(&mut self) -> Result<(), DriverError> {
        self.execute("RELEASE migrate_step").await
    }

    async fn rollback(&mut self) -> Result<(), DriverError> {
        self.execute("ROLLBACK TO migrate_step; RELEASE migrate_step")
            .await
    }
}
