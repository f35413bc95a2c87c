//! What the three sqlx drivers share: a connection that is either owned or borrowed from a
//! pool, closed instead of returned to the pool if dropped while it holds the migration lock,
//! and the conversion of text-protocol rows (`raw_sql`: one round trip, no statement
//! preparation).

use futures_util::stream::BoxStream;
use futures_util::TryStreamExt as _;
use sqlx::pool::PoolConnection;
use sqlx::{ColumnIndex, Database, Decode, Either, Type};

use super::{Batch, BatchError, BatchPart, DriverError, DriverErrorKind, Row};

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

    /// Records whether the session holds the lock.
    pub(crate) fn set_locked(&mut self, locked: bool) {
        self.locked = locked;
    }
}

impl<DB: Database> Drop for Held<DB> {
    fn drop(&mut self) {
        // A session lock lives as long as the session. Dropped mid-migration (panic, cancelled
        // future), a pooled connection must not go back to the pool still holding it: closing
        // the session makes the server release the lock.
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
/// worker thread measured slower than collecting them.)
pub(crate) fn visit_text_rows<R>(
    rows: &[R],
    mut visit: impl FnMut(&[Option<&str>]),
) -> Result<(), sqlx::Error>
where
    R: sqlx::Row,
    for<'r> Option<&'r str>: Decode<'r, R::Database> + Type<R::Database>,
    usize: ColumnIndex<R>,
{
    for row in rows {
        let cells = (0..row.len())
            .map(|i| row.try_get::<Option<&str>, _>(i))
            .collect::<Result<Vec<_>, _>>()?;
        visit(&cells);
    }
    Ok(())
}

/// What `fetch_many` streams back for a multi-statement text: per statement its rows, then
/// its result.
pub(crate) type BatchResults<'c, DB> = BoxStream<
    'c,
    Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, sqlx::Error>,
>;

/// Reads the results of a [`BatchText`] sent with `fetch_many`: one `Left` per part that
/// completed, until the end or the first error. The error's part is the one `locate` finds
/// in it (PostgreSQL's position) or else the part after those that completed.
pub(crate) async fn drain_batch<DB: Database>(
    mut results: BatchResults<'_, DB>,
    text: &BatchText,
    locate: fn(&sqlx::Error, &BatchText) -> Option<BatchPart>,
    error: fn(sqlx::Error) -> DriverError,
) -> Result<(), BatchError> {
    let mut completed = 0;
    loop {
        match results.try_next().await {
            Ok(Some(Either::Left(_))) => completed += 1,
            Ok(Some(Either::Right(_))) => {}
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(BatchError {
                    part: locate(&e, text).unwrap_or_else(|| text.after(completed)),
                    error: error(e),
                })
            }
        }
    }
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
            } else {
                DriverErrorKind::Other
            }
        }
        _ => DriverErrorKind::Other,
    };
    let message = match &error {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (code {code})", db.message()),
            None => db.message().to_owned(),
        },
        other => other.to_string(),
    };
    DriverError::new(kind, message)
}

/// A connection error with the URL's password removed from its message.
pub(crate) fn connect_error(error: sqlx::Error, url: &str) -> DriverError {
    DriverError::other(super::redact_message(&error.to_string(), url))
}

/// A [`Batch`] as one multi-statement text, remembering where each part starts, so that a
/// failure can be traced to its part: by counting the parts that completed before it, or (on
/// PostgreSQL, which parses the whole text before running any of it) by the character
/// position the server reports.
pub(crate) struct BatchText {
    text: String,
    /// Each part and the character offset at which it starts.
    parts: Vec<(BatchPart, usize)>,
}

impl BatchText {
    pub(crate) fn new(batch: &Batch<'_>) -> BatchText {
        // A newline before each `;`: a statement may end in a `--` comment.
        const SEPARATOR: &str = "\n;\n";
        let mut text = String::new();
        let mut chars = 0;
        let mut parts = Vec::new();
        for part in batch.parts() {
            let sql = match part {
                BatchPart::Begin => "BEGIN",
                BatchPart::Statement(i) => batch.statements[i],
                BatchPart::Commit => "COMMIT",
            };
            if !text.is_empty() {
                text.push_str(SEPARATOR);
                chars += SEPARATOR.len();
            }
            parts.push((part, chars));
            text.push_str(sql);
            chars += sql.chars().count();
        }
        BatchText { text, parts }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The part that was running when `completed` parts had finished.
    pub(crate) fn after(&self, completed: usize) -> BatchPart {
        self.parts
            .get(completed)
            .or(self.parts.last())
            .map_or(BatchPart::Commit, |(part, _)| *part)
    }

    /// The part holding the 1-based character `position` of the text.
    pub(crate) fn at(&self, position: usize) -> Option<BatchPart> {
        let offset = position.checked_sub(1)?;
        self.parts
            .iter()
            .rev()
            .find(|(_, start)| *start <= offset)
            .map(|(part, _)| *part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_text_joins_parts_and_finds_them_again() {
        let statements = ["CREATE TABLE é (a INT) -- note", "INSERT INTO é VALUES (1)"];
        let batch = Batch {
            begin: true,
            statements: &statements,
            commit: true,
        };
        let text = BatchText::new(&batch);
        assert_eq!(
            text.text(),
            "BEGIN\n;\nCREATE TABLE é (a INT) -- note\n;\nINSERT INTO é VALUES (1)\n;\nCOMMIT"
        );
        assert_eq!(text.after(0), BatchPart::Begin);
        assert_eq!(text.after(2), BatchPart::Statement(1));
        assert_eq!(text.after(3), BatchPart::Commit);
        // Positions count characters: `é` is one.
        let byte = text.text().find("INSERT").expect("insert");
        let insert = text.text()[..byte].chars().count() + 1;
        assert_eq!(text.at(insert), Some(BatchPart::Statement(1)));
        assert_eq!(text.at(insert - 1), Some(BatchPart::Statement(0)));
        assert_eq!(text.at(1), Some(BatchPart::Begin));
        assert_eq!(text.at(0), None);
    }
}
