//! What the three sqlx drivers share: a connection that is either owned or borrowed from a
//! pool, closed instead of returned to the pool if dropped while it holds the migration lock,
//! and the conversion of text-protocol rows (`raw_sql`: one round trip, no statement
//! preparation).

use sqlx::pool::PoolConnection;
use sqlx::{ColumnIndex, Database, Decode, Type};

use super::{DriverError, DriverErrorKind, Row};

/// A connection a driver works on.
pub(crate) enum Conn<DB: Database> {
    /// Opened by the driver; closed when the driver is dropped.
    Owned(DB::Connection),
    /// Borrowed from the application's pool.
    Pooled(PoolConnection<DB>),
}

/// The connection plus whether it holds the migration lock.
pub(crate) struct Held<DB: Database> {
    conn: Conn<DB>,
    locked: bool,
}

impl<DB: Database> Held<DB> {
    pub(crate) fn new(conn: Conn<DB>) -> Held<DB> {
        Held {
            conn,
            locked: false,
        }
    }

    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        match &mut self.conn {
            Conn::Owned(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }

    /// Whether the session holds the lock, may be granted it, or has not released it since a
    /// command was abandoned.
    pub(crate) fn locked(&self) -> bool {
        self.locked
    }

    /// Gives up the session for `fresh`: the old connection is closed, never returned to a
    /// pool, so the server ends its session (and releases its locks) once it is done with it.
    #[cfg_attr(not(feature = "sqlx-mysql"), allow(dead_code))]
    pub(crate) fn replace(&mut self, fresh: Conn<DB>) {
        let old = std::mem::replace(&mut self.conn, fresh);
        if let Conn::Pooled(mut conn) = old {
            conn.close_on_drop();
        }
        self.locked = false;
    }

    /// Records whether the session holds the lock.
    pub(crate) fn set_locked(&mut self, locked: bool) {
        self.locked = locked;
    }
}

impl<DB: Database> Drop for Held<DB> {
    fn drop(&mut self) {
        // A session lock lives as long as the session. Dropped mid-migration or while waiting
        // for the lock (panic, cancelled future), a pooled connection must not go back to the
        // pool holding it, or about to be granted it: closing the session makes the server
        // release the lock.
        if self.locked {
            if let Conn::Pooled(conn) = &mut self.conn {
                conn.close_on_drop();
            }
        }
    }
}

/// Rows whose columns are all text, as the runner reads them.
///
/// The queries themselves run in each driver with `sqlx::raw_sql` on the concrete connection
/// type: a generic async helper over `Executor` cannot prove its future `Send`.
pub(crate) fn text_rows<R>(rows: Vec<R>) -> Result<Vec<Row>, sqlx::Error>
where
    R: sqlx::Row,
    for<'r> Option<String>: Decode<'r, R::Database>,
    String: Type<R::Database>,
    usize: ColumnIndex<R>,
{
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<Option<String>, _>(i))
                .collect()
        })
        .collect()
}

/// Hands text-protocol rows to a [`super::Driver::query_each`] visitor as borrowed cells.
/// (Collected with `fetch_all` first: on SQLite, pulling rows one by one from the connection's
/// worker thread is slower than collecting them.)
pub(crate) fn visit_text_rows<R>(
    rows: &[R],
    mut visit: impl FnMut(&[Option<&str>]),
) -> Result<(), sqlx::Error>
where
    R: sqlx::Row,
    for<'r> Option<&'r str>: Decode<'r, R::Database> + Type<R::Database>,
    usize: ColumnIndex<R>,
{
    // One buffer for every row: the rows outlive it.
    let mut cells = Vec::new();
    for row in rows {
        cells.clear();
        for i in 0..row.len() {
            cells.push(row.try_get::<Option<&str>, _>(i)?);
        }
        visit(&cells);
    }
    Ok(())
}

/// A sqlx error as a driver error; `undefined_table` recognises the backend's "no such table".
pub(crate) fn driver_error(
    error: sqlx::Error,
    undefined_table: impl Fn(&str, &str) -> bool,
) -> DriverError {
    let kind = match &error {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if undefined_table(&code, db.message()) {
                DriverErrorKind::UndefinedTable
            } else if lost_code(&code) {
                DriverErrorKind::ConnectionLost
            } else {
                DriverErrorKind::Other
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::PoolClosed => DriverErrorKind::ConnectionLost,
        _ => DriverErrorKind::Other,
    };
    match &error {
        sqlx::Error::Database(db) => {
            let (number, sqlstate) = server_code(db.as_ref());
            DriverError::new(kind, db.message()).with_code(number, sqlstate.as_deref())
        }
        other => DriverError::new(kind, other.to_string()),
    }
}

/// The server's error number and SQLSTATE: both on MySQL/MariaDB, the SQLSTATE on PostgreSQL,
/// the extended result code (as the number) on SQLite. `DatabaseError::code` alone cannot
/// tell a PostgreSQL SQLSTATE (`23502`) from a SQLite result code, and hides MySQL's number.
fn server_code(db: &dyn sqlx::error::DatabaseError) -> (Option<u32>, Option<String>) {
    #[cfg(feature = "sqlx-mysql")]
    if let Some(e) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return (Some(u32::from(e.number())), e.code().map(str::to_owned));
    }
    #[cfg(feature = "sqlx-postgres")]
    if let Some(e) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return (None, Some(e.code().to_owned()));
    }
    #[cfg(feature = "sqlx-sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return (db.code().and_then(|code| code.parse().ok()), None);
    }
    (None, None)
}

/// A connection error with the URL's secrets removed from its message.
pub(crate) fn connect_error(
    error: sqlx::Error,
    url: &crate::database_url::DatabaseUrl,
) -> DriverError {
    DriverError::other(url.scrub(&error.to_string()))
}

/// Whether a SQLSTATE says the session ended: class 08 (connection exception, both servers)
/// or PostgreSQL's 57P01-57P02 (terminated by an administrator, the server shutting down).
/// <https://www.postgresql.org/docs/current/errcodes-appendix.html>
fn lost_code(code: &str) -> bool {
    code.starts_with("08") || code == "57P01" || code == "57P02"
}
