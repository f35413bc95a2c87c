//! Test drivers that forward to a real one.

use super::*;

/// Counts calls into a driver; every call is one round trip (the first `query_repeated` of a
/// text on PostgreSQL is two: it prepares the statement).
pub struct Counting<D> {
    pub inner: D,
    pub calls: Vec<String>,
}

impl<D> Counting<D> {
    /// Counts what goes through `inner`, from nothing.
    pub fn new(inner: D) -> Counting<D> {
        Counting {
            inner,
            calls: Vec::new(),
        }
    }
}

impl<D: Driver> Driver for Counting<D> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        self.calls.push(sql.to_owned());
        self.inner.execute(sql).await
    }
    async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        self.calls.push(sql.to_owned());
        self.inner.query(sql).await
    }
    async fn query_repeated(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        self.calls.push(format!("repeated {sql}"));
        self.inner.query_repeated(sql).await
    }
    async fn query_each<F>(&mut self, sql: &str, visit: F) -> Result<(), DriverError>
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        self.calls.push(sql.to_owned());
        self.inner.query_each(sql, visit).await
    }
    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        self.calls.push(format!("batch {batch:?}"));
        self.inner.execute_batch(batch).await
    }
    async fn lock(&mut self, name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        self.calls.push(format!("lock {name}"));
        self.inner.lock(name, timeout).await
    }
    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        self.calls.push(format!("unlock {name}"));
        self.inner.unlock(name).await
    }
    async fn begin(&mut self) -> Result<(), DriverError> {
        self.calls.push("begin".into());
        self.inner.begin().await
    }
    async fn commit(&mut self) -> Result<(), DriverError> {
        self.calls.push("commit".into());
        self.inner.commit().await
    }
    async fn rollback(&mut self) -> Result<(), DriverError> {
        self.calls.push("rollback".into());
        self.inner.rollback().await
    }
}
