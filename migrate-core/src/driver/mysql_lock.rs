//! The migration lock on MySQL/MariaDB, shared by both MySQL drivers.
//!
//! The first lock a driver takes asks whether the server is a Galera node (one round trip,
//! remembered): there the lock is a replicated row ([`super::galera`]), since `GET_LOCK` locks
//! one node only. Elsewhere it is `GET_LOCK`.
//!
//! `GET_LOCK` names are server-wide, so the name mixes in the current database; names are
//! limited to 64 characters, so the combination is hashed.
//! <https://mariadb.com/kb/en/get_lock/>: `GET_LOCK(name, timeout)` returns 1 when acquired, 0
//! on timeout; the lock lasts until `RELEASE_LOCK` or the end of the session.

use std::time::Duration;

use super::galera::{self, Clustered, Server};
use super::{Driver, DriverError, LockOutcome};
use crate::Dialect;

/// The expression for the server-wide lock name of `name` in the current database.
fn lock_expr(name: &str) -> String {
    format!(
        "CONCAT('migrate:', LEFT(SHA2(CONCAT(IFNULL(DATABASE(), ''), '/', {}), 256), 48))",
        Dialect::MySql.string_literal(name)
    )
}

/// Takes the lock on `driver`'s session, waiting up to `timeout`.
pub(crate) async fn lock<D: Clustered>(
    driver: &mut D,
    name: &str,
    timeout: Duration,
) -> Result<LockOutcome, DriverError> {
    if let Server::Unknown = driver.cluster().server {
        let server = galera::detect(driver).await?;
        driver.cluster().server = server;
    }
    if let Server::Galera(_) = driver.cluster().server {
        return galera::lock(driver, name, timeout).await;
    }
    match scalar(driver, &get_lock(name, timeout)).await?.as_deref() {
        Some("1") => Ok(LockOutcome::Acquired),
        Some("0") => Ok(LockOutcome::TimedOut {
            holder: scalar(driver, &holder(name)).await?,
        }),
        other => Err(DriverError::other(format!(
            "GET_LOCK returned {other:?} instead of 0 or 1"
        ))),
    }
}

/// Releases the lock taken by [`lock`].
pub(crate) async fn unlock<D: Clustered>(driver: &mut D, name: &str) -> Result<(), DriverError> {
    if let Server::Galera(_) = driver.cluster().server {
        return galera::unlock(driver, name).await;
    }
    scalar(driver, &release_lock(name)).await.map(drop)
}

async fn scalar<D: Driver>(driver: &mut D, sql: &str) -> Result<Option<String>, DriverError> {
    let rows = driver.query(sql).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten()))
}

/// Waits up to `timeout` (whole seconds, at least 0) and returns `1` or `0` as text.
fn get_lock(name: &str, timeout: Duration) -> String {
    let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    format!(
        "SELECT CAST(GET_LOCK({}, {seconds}) AS CHAR)",
        lock_expr(name)
    )
}

/// Releases the lock.
fn release_lock(name: &str) -> String {
    format!("SELECT CAST(RELEASE_LOCK({}) AS CHAR)", lock_expr(name))
}

/// Describes the connection holding the lock, if any, with the statement it is running: a
/// runner whose client was killed mid-batch keeps its session, and the lock, while the server
/// runs the rest of the batch, so the waiter sees what it is doing.
fn holder(name: &str) -> String {
    format!(
        "SELECT CONCAT('connection ', p.ID, ' (', p.USER, '@', p.HOST, ', ', p.COMMAND, \
         ' for ', p.TIME, ' s, ', IFNULL(CONCAT('running `', REPLACE(LEFT(p.INFO, 200), CHAR(10), ' '), '`'), \
         'no statement running'), ')') \
         FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK({})",
        lock_expr(name)
    )
}

/// Whether a MySQL error number means "no such table" (ER_NO_SUCH_TABLE).
pub(crate) fn is_undefined_table(code: &str) -> bool {
    code == "1146" || code == "42S02"
}

/// Whether a MySQL/MariaDB error number means the session ended: the connection was killed
/// (1927, ER_CONNECTION_KILLED), the server is shutting down (1053), or the client lost the
/// server (2006 gone away, 2013 lost during a query).
pub(crate) fn is_connection_lost(number: u16) -> bool {
    matches!(number, 1053 | 1927 | 2006 | 2013)
}
