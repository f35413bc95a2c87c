//! The [`Driver`] trait and the types its methods take and return: rows, lock outcomes,
//! statement batches and where a batch failed. The client's error, [`DriverError`], has a
//! file of its own.

use std::future::Future;
use std::time::Duration;

use super::error::DriverError;
use super::lock_state::LockState;
use crate::Dialect;

/// A result row whose every column was selected as text (or NULL).
pub type Row = Vec<Option<String>>;

/// What waiting for the migration lock came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// This connection holds the lock.
    Acquired,
    /// The wait ran out; `holder` describes who holds the lock, where the server can tell.
    TimedOut {
        /// The holder (connection id, user, host, …), if known.
        holder: Option<String>,
    },
}

/// The primitives a database client provides to the runner. Every method is one round trip
/// unless its documentation says otherwise.
///
/// Implementations must release the lock when dropped while holding it (for example by
/// closing the connection rather than returning it to a pool), so that a panic or a dropped
/// future never leaves the lock on a pooled connection.
pub trait Driver: Send {
    /// The SQL dialect of the server.
    fn dialect(&self) -> Dialect;

    /// Executes one statement and discards any result.
    fn execute(&mut self, sql: &str) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Runs a query whose columns are all text (or NULL) and returns its rows.
    fn query(&mut self, sql: &str) -> impl Future<Output = Result<Vec<Row>, DriverError>> + Send;

    /// [`Driver::query`] for a query this connection is likely to run again with the same
    /// text: the schema description, once per applied version. A driver whose server plans
    /// such a query at length keeps it prepared on the connection, so that only the first run
    /// pays for parsing and planning (on PostgreSQL, most of the description's cost). The
    /// first run may then take two round trips (prepare, execute). The
    /// default is [`Driver::query`]; a driver that wraps another should forward this method,
    /// or the wrapped driver's preparation is lost.
    fn query_repeated(
        &mut self,
        sql: &str,
    ) -> impl Future<Output = Result<Vec<Row>, DriverError>> + Send {
        self.query(sql)
    }

    /// Runs a query whose columns are all text (or NULL) and hands each row to `visit` as
    /// borrowed cells, as they arrive, instead of collecting owned rows: the no-op start-up's
    /// history read. The default collects with [`Driver::query`]; drivers override it to skip
    /// the per-cell allocations.
    fn query_each<F>(
        &mut self,
        sql: &str,
        mut visit: F,
    ) -> impl Future<Output = Result<(), DriverError>> + Send
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        async move {
            for row in self.query(sql).await? {
                let cells: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
                visit(&cells);
            }
            Ok(())
        }
    }

    /// Runs a [`Batch`] in order, stopping at the first failure, in as few round trips as the
    /// client allows: the PostgreSQL and both MySQL drivers send it as one multi-statement
    /// query. The default runs [`Driver::begin`], each statement and [`Driver::commit`] one
    /// after the other. The error says which part failed; nothing after it ran. A failed batch
    /// that began a unit leaves it open: the caller rolls back. On MySQL the failing part is
    /// found by counting results, so a statement that returns more than one (a `CALL` of a
    /// procedure that selects) must be the batch's last part for the count to hold.
    fn execute_batch(
        &mut self,
        batch: Batch<'_>,
    ) -> impl Future<Output = Result<(), BatchError>> + Send {
        async move {
            if batch.begin {
                self.begin().await.map_err(|error| BatchError {
                    part: BatchPart::Begin,
                    error,
                })?;
            }
            for (index, statement) in batch.statements.iter().enumerate() {
                self.execute(statement).await.map_err(|error| BatchError {
                    part: BatchPart::Statement(index),
                    error,
                })?;
            }
            if batch.commit {
                self.commit().await.map_err(|error| BatchError {
                    part: BatchPart::Commit,
                    error,
                })?;
            }
            Ok(())
        }
    }

    /// Waits up to `timeout` for the migration lock called `name` (unique per database and
    /// history table).
    fn lock(
        &mut self,
        name: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<LockOutcome, DriverError>> + Send;

    /// Releases the lock taken by [`Driver::lock`].
    fn unlock(&mut self, name: &str) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Who holds the lock `name` now, read without taking it (for `status`, on a session other
    /// than the holder's). The same reading names the holder when [`Driver::lock`] times out.
    /// The default, [`LockState::NotTracked`], suits a driver that cannot tell; a driver that
    /// wraps another should forward this method.
    fn lock_holder(
        &mut self,
        name: &str,
    ) -> impl Future<Output = Result<LockState, DriverError>> + Send {
        let _ = name;
        async { Ok(LockState::NotTracked) }
    }

    /// Undoes what an abandoned call left on this connection, before the runner uses it again:
    /// a future dropped mid-command (`tokio::time::timeout`, `select!`) whose caller keeps the
    /// driver may leave the lock `name` held (re-entrant on MySQL/MariaDB and PostgreSQL, so
    /// one later release would not free it) and a transaction open (on PostgreSQL, the next
    /// command would run inside it). Rolls back that transaction and releases every hold of
    /// the lock. The runner calls it at the start of every command; a driver that knows
    /// nothing is left costs no round trip. The default does nothing, which suits a driver
    /// that never leaves a lock or transaction behind; a driver that wraps another should
    /// forward this method.
    fn recover(&mut self, name: &str) -> impl Future<Output = Result<(), DriverError>> + Send {
        let _ = name;
        async { Ok(()) }
    }

    /// Starts the unit in which one migration and its history row commit together.
    fn begin(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Commits the unit started by [`Driver::begin`].
    fn commit(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Rolls back the unit started by [`Driver::begin`].
    fn rollback(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;
}

/// Statements for [`Driver::execute_batch`]: optionally the start of a unit
/// ([`Driver::begin`]), the statements in order, optionally its commit ([`Driver::commit`]).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Begin a unit first.
    pub begin: bool,
    /// The statements, each complete and without a trailing `;`.
    pub statements: &'a [&'a str],
    /// Commit the unit last.
    pub commit: bool,
}

impl Batch<'_> {
    /// The parts in the order they run.
    pub fn parts(&self) -> impl Iterator<Item = BatchPart> + '_ {
        let begin = self.begin.then_some(BatchPart::Begin);
        let commit = self.commit.then_some(BatchPart::Commit);
        begin
            .into_iter()
            .chain((0..self.statements.len()).map(BatchPart::Statement))
            .chain(commit)
    }
}

/// A part of a [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchPart {
    /// The start of the unit.
    Begin,
    /// The statement at this index of [`Batch::statements`].
    Statement(usize),
    /// The commit of the unit.
    Commit,
}

/// Why a [`Batch`] stopped: the part that failed (nothing after it ran) and the error.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct BatchError {
    /// The part that failed.
    pub part: BatchPart,
    /// The client's error.
    pub error: DriverError,
}
