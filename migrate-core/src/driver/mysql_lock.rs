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
use super::{Driver, DriverError, LockHolder, LockOutcome, LockState, Row};
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
    if detect(driver).await? {
        return galera::lock(driver, name, timeout).await;
    }
    match scalar(driver, &get_lock(name, timeout)).await?.as_deref() {
        Some("1") => Ok(LockOutcome::Acquired),
        Some("0") => Ok(LockOutcome::TimedOut {
            holder: holder(driver, name).await?.into_description(),
        }),
        other => Err(DriverError::other(format!(
            "GET_LOCK returned {other:?} instead of 0 or 1"
        ))),
    }
}

/// Whether the server is a Galera node, asked once per driver (one round trip).
async fn detect<D: Clustered>(driver: &mut D) -> Result<bool, DriverError> {
    if let Server::Unknown = driver.cluster().server {
        let server = galera::detect(driver).await?;
        driver.cluster().server = server;
    }
    Ok(matches!(driver.cluster().server, Server::Galera(_)))
}

/// Who holds the lock: on Galera the lease row's runner, else the session `IS_USED_LOCK` names.
pub(crate) async fn lock_holder<D: Clustered>(
    driver: &mut D,
    name: &str,
) -> Result<LockState, DriverError> {
    if detect(driver).await? {
        return galera::lock_holder(driver, name).await;
    }
    holder(driver, name).await
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

/// The connection holding the `GET_LOCK` lock, if any, with the statement it is running: a
/// runner whose client was killed mid-batch keeps its session, and the lock, while the server
/// runs the rest of the batch, so the reader sees what it is doing. Without the `PROCESS`
/// privilege the processlist shows only the reader's own sessions: the holder is then known by
/// its connection id alone.
async fn holder<D: Driver>(driver: &mut D, name: &str) -> Result<LockState, DriverError> {
    let id = format!("IS_USED_LOCK({})", lock_expr(name));
    let sql = format!(
        "SELECT CAST({id} AS CHAR), p.USER, p.HOST, p.COMMAND, CAST(p.TIME AS CHAR), \
         REPLACE(LEFT(p.INFO, 200), CHAR(10), ' ') \
         FROM (SELECT 1) AS one LEFT JOIN information_schema.PROCESSLIST p ON p.ID = {id}"
    );
    let row = driver.query(&sql).await?.into_iter().next();
    Ok(row.map_or(LockState::Free, describe_holder))
}

/// The holder in a row of [`holder`]'s query; free when the lock's connection id is NULL.
fn describe_holder(row: Row) -> LockState {
    let cell = |i: usize| row.get(i).cloned().flatten();
    let Some(id) = cell(0) else {
        return LockState::Free;
    };
    let (user, host) = (cell(1), cell(2));
    let activity = match (cell(5), cell(3), cell(4)) {
        (Some(statement), _, _) => Some(format!("running `{statement}`")),
        (None, Some(command), Some(time)) => Some(format!("{command} for {time} s")),
        _ => None,
    };
    let who = match (&user, &host) {
        (Some(user), Some(host)) => format!("{user}@{host}"),
        _ => "user and host not shown: the PROCESS privilege shows them".to_owned(),
    };
    let doing = activity
        .as_deref()
        .map(|a| format!(", {a}"))
        .unwrap_or_default();
    LockState::Held(Box::new(LockHolder {
        description: format!("connection {id} ({who}{doing})"),
        session: Some(id),
        user,
        client: host,
        activity,
        ..LockHolder::default()
    }))
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
