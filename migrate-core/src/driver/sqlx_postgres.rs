//! PostgreSQL through sqlx (feature `sqlx-postgres`).
//!
//! The migration lock is a session-level advisory lock keyed by a 64-bit hash of the lock name
//! (advisory locks are per database, so one key serves every database on a server):
//! <https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS>. The wait is
//! the server's: `pg_advisory_lock` under a `lock_timeout` set for its implicit transaction
//! only (`SET LOCAL` in the same simple query), so a waiter is granted the lock as soon as the
//! holder releases it, and the wait is still bounded. When it runs out, `pg_locks` joined with
//! `pg_stat_activity` names the session holding it.
//! <https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT>

use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgDatabaseError, PgErrorPosition};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, Pool, Postgres};

use super::batch_text::{sqlx_results, BatchText};
use super::sqlx_common::{self, Conn, Held};
use super::{
    Batch, BatchError, BatchPart, Driver, DriverError, LockHolder, LockOutcome, LockState, Row,
};
use crate::Dialect;

/// The part of a batch a PostgreSQL error points into, when it carries a position.
fn position(e: &sqlx::Error, text: &BatchText) -> Option<BatchPart> {
    let db = e
        .as_database_error()?
        .try_downcast_ref::<PgDatabaseError>()?;
    match db.position()? {
        PgErrorPosition::Original(at) => text.at(at),
        PgErrorPosition::Internal { .. } => None,
    }
}

/// A [`Driver`] on one PostgreSQL connection.
///
/// [`Driver::query_repeated`] (the schema description) leaves a prepared statement in the
/// connection's statement cache; on a connection borrowed from the application's pool it stays
/// there, like the application's own statements, until the cache evicts it.
pub struct SqlxPostgres {
    held: Held<Postgres>,
    /// Whether [`Driver::query_repeated`] prepares: cleared when the connection turns out to
    /// keep no prepared statements (`statement-cache-capacity=0`, as with a pooler), where a
    /// prepared query would be an extra round trip and a statement left on the server.
    prepare: bool,
}

impl SqlxPostgres {
    /// Connects to `url` (`postgres://user@host/db`) within the default connect timeout.
    pub async fn connect(url: &str) -> Result<SqlxPostgres, DriverError> {
        SqlxPostgres::connect_with(url, &super::ConnectOptions::default()).await
    }

    /// Connects to `url` with `options` (the connect timeout).
    pub async fn connect_with(
        url: &str,
        options: &super::ConnectOptions,
    ) -> Result<SqlxPostgres, DriverError> {
        let url = super::connect::parse_for(url, Dialect::Postgres)?;
        let client = PgConnectOptions::from_str(url.connection_string())
            .map_err(|e| sqlx_common::connect_error(e, &url))?
            .application_name("migrate");
        let conn = super::connect::bounded(&url, options, async {
            (client.connect().await).map_err(|e| sqlx_common::connect_error(e, &url))
        })
        .await?;
        Ok(SqlxPostgres::from_connection(conn))
    }

    /// Works on a connection the application opened.
    pub fn from_connection(conn: PgConnection) -> SqlxPostgres {
        SqlxPostgres {
            held: Held::new(Conn::Owned(conn)),
            prepare: true,
        }
    }

    /// Borrows a connection from the application's pool until the driver is dropped.
    pub async fn from_pool(pool: &Pool<Postgres>) -> Result<SqlxPostgres, DriverError> {
        let conn = pool.acquire().await.map_err(error)?;
        Ok(SqlxPostgres {
            held: Held::new(Conn::Pooled(conn)),
            prepare: true,
        })
    }

    /// The underlying connection.
    pub fn connection(&mut self) -> &mut PgConnection {
        self.held.conn()
    }

    /// One attempt, for a zero timeout (`lock_timeout` cannot say "do not wait").
    async fn try_lock(&mut self, key: i64) -> Result<LockOutcome, DriverError> {
        let rows = self
            .query(&format!("SELECT pg_try_advisory_lock({key})::text"))
            .await?;
        let acquired = rows.first().and_then(|r| r.first()).cloned().flatten();
        if acquired.as_deref() == Some("true") {
            self.held.set_locked(true);
            return Ok(LockOutcome::Acquired);
        }
        let holder = self.holder(key).await?.into_description();
        Ok(LockOutcome::TimedOut { holder })
    }

    /// The session holding the lock in this database (advisory keys are per database, and
    /// every database on the server uses the same key), with what it is running. A reader
    /// without the `pg_read_all_stats` role sees other users' sessions by their pid only.
    async fn holder(&mut self, key: i64) -> Result<LockState, DriverError> {
        // A bigint advisory key is stored as classid (high half) and objid (low half).
        let (high, low) = ((key as u64) >> 32, (key as u64) & 0xffff_ffff);
        let rows = self
            .query(&format!(
                "SELECT l.pid::text, a.usename::text, \
                 CASE WHEN a.client_addr IS NULL THEN CASE WHEN a.pid IS NULL THEN NULL ELSE 'local socket' END \
                 ELSE host(a.client_addr) || ':' || a.client_port END, \
                 nullif(a.application_name, ''), a.state, replace(left(a.query, 200), chr(10), ' ') \
                 FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {high} \
                 AND l.objid = {low} AND l.objsubid = 1 \
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ))
            .await?;
        Ok(rows.into_iter().next().map_or(LockState::Free, |row| {
            LockState::Held(Box::new(describe_holder(row)))
        }))
    }
}

/// The holder in a row of `SqlxPostgres::holder`'s query.
fn describe_holder(row: Row) -> LockHolder {
    let cell = |i: usize| row.get(i).cloned().flatten();
    let (pid, user, client, application) = (cell(0), cell(1), cell(2), cell(3));
    let activity = match (cell(4), cell(5)) {
        (Some(state), Some(query)) if state == "active" => Some(format!("running `{query}`")),
        (Some(state), Some(query)) => Some(format!("{state}, last statement `{query}`")),
        (Some(state), None) => Some(state),
        _ => None,
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "not shown".to_owned());
    let mut description = format!(
        "backend pid {} (user {}, client {}",
        shown(&pid),
        shown(&user),
        shown(&client)
    );
    if let Some(application) = &application {
        description.push_str(&format!(", application {application}"));
    }
    if let Some(activity) = &activity {
        description.push_str(&format!(", {activity}"));
    }
    description.push(')');
    LockHolder {
        session: pid,
        user,
        client,
        application,
        activity,
        description,
        ..LockHolder::default()
    }
}

/// How many holds of the lock [`Driver::recover`] undoes at most.
const MAX_HOLDS: usize = 1000;

/// SQLSTATE `lock_not_available`: a lock wait cancelled by `lock_timeout`.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// The advisory lock key for a lock name.
fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn error(e: sqlx::Error) -> DriverError {
    // 42P01: undefined_table. https://www.postgresql.org/docs/current/errcodes-appendix.html
    sqlx_common::driver_error(e, |code, _| code == "42P01")
}

impl Driver for SqlxPostgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
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

    /// A prepared statement in sqlx's per-connection cache: PostgreSQL keeps its plan (a
    /// query without parameters gets the generic plan at once), so later runs skip planning.
    /// On a connection whose cache holds nothing, [`Driver::query`] from then on.
    async fn query_repeated(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        if !self.prepare {
            return self.query(sql).await;
        }
        let conn = self.held.conn();
        let rows = conn
            .fetch_all(sqlx::query(AssertSqlSafe(sql)))
            .await
            .map_err(error)?;
        if conn.cached_statements_size() == 0 {
            self.prepare = false;
        }
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
        let key = lock_key(name);
        if timeout.is_zero() {
            return self.try_lock(key).await;
        }
        // `lock_timeout` 0 would mean no limit; it counts whole milliseconds.
        let millis = timeout.as_millis().clamp(1, i32::MAX as u128);
        // Marked before the wait: a future dropped while the server waits may still be granted
        // the lock, so its pooled connection must be closed rather than returned.
        self.held.set_locked(true);
        let sql = format!("SET LOCAL lock_timeout = {millis}; SELECT pg_advisory_lock({key})");
        match self
            .held
            .conn()
            .execute(sqlx::raw_sql(AssertSqlSafe(sql)))
            .await
        {
            Ok(_) => Ok(LockOutcome::Acquired),
            // The statement was cancelled or refused: the lock was not granted. (After any
            // other error, such as a lost connection, the mark stays and the session closes.)
            Err(e) => {
                let code = e.as_database_error().and_then(|db| db.code());
                let timed_out = code.as_deref() == Some(LOCK_NOT_AVAILABLE);
                if code.is_some() {
                    self.held.set_locked(false);
                }
                if !timed_out {
                    return Err(error(e));
                }
                let holder = self.holder(key).await?.into_description();
                Ok(LockOutcome::TimedOut { holder })
            }
        }
    }

    async fn lock_holder(&mut self, name: &str) -> Result<LockState, DriverError> {
        self.holder(lock_key(name)).await
    }

    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        let key = lock_key(name);
        self.execute(&format!("SELECT pg_advisory_unlock({key})"))
            .await?;
        self.held.set_locked(false);
        Ok(())
    }

    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        // One simple-protocol query. PostgreSQL parses all of it first, so a syntax error
        // is found by its position; otherwise each part ends with one CommandComplete.
        let text = BatchText::new(&batch);
        let results = self
            .held
            .conn()
            .fetch_many(sqlx::raw_sql(AssertSqlSafe(text.text())));
        sqlx_results::drain_batch::<Postgres>(results, &text, position, error).await
    }

    async fn recover(&mut self, name: &str) -> Result<(), DriverError> {
        if !self.held.locked() {
            return Ok(());
        }
        // An abandoned command may have left a transaction open (a version's statements sent,
        // its record not yet): roll it back, or the next command would run inside it. Outside
        // a transaction `ROLLBACK` only warns. Advisory locks are re-entrant: release them all.
        self.execute("ROLLBACK").await?;
        let key = lock_key(name);
        let release = format!("SELECT pg_advisory_unlock({key})::text");
        for _ in 0..MAX_HOLDS {
            let rows = self.query(&release).await?;
            if rows
                .first()
                .and_then(|r| r.first())
                .cloned()
                .flatten()
                .as_deref()
                != Some("true")
            {
                self.held.set_locked(false);
                return Ok(());
            }
        }
        Err(DriverError::other(format!(
            "the migration lock was still held after {MAX_HOLDS} releases"
        )))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_per_name_and_are_stable() {
        assert_eq!(
            lock_key("migrate:schema_history"),
            lock_key("migrate:schema_history")
        );
        assert_ne!(
            lock_key("migrate:schema_history"),
            lock_key("migrate:other")
        );
    }
}
