//! One test driver that forwards every [`Driver`] method to a real one and shows each call to a
//! [`Hook`]: the suite's [`Counting`], lock_release.rs's panicking driver and processes.rs's
//! announcing driver are hooks on it. Those two include this file with `#[path]`, so it names
//! its own imports.

// A crate that includes this file uses only some hooks and calls.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use migrate_core::driver::{
    Batch, BatchError, BatchPart, Driver, DriverError, LockOutcome, LockState, Row,
};
use migrate_core::Dialect;

/// One call into a [`Forward`] driver, as its hook sees it.
#[derive(Debug, Clone, Copy)]
pub enum Call<'a> {
    Execute(&'a str),
    Query(&'a str),
    QueryRepeated(&'a str),
    QueryEach(&'a str),
    Batch(Batch<'a>),
    Lock(&'a str),
    Unlock(&'a str),
    Recover(&'a str),
    LockHolder(&'a str),
    Begin,
    Commit,
    Rollback,
}

/// What a [`Forward`] driver does besides forwarding.
pub trait Hook: Send {
    /// Run a batch as the trait's default does, one [`Driver::execute`] per statement (each
    /// seen by the hook), instead of forwarding it whole.
    const SPLIT_BATCHES: bool = false;
    /// Called before `call` reaches the inner driver.
    fn call(&mut self, call: &Call<'_>) {
        let _ = call;
    }
    /// Called after `call` succeeded.
    fn done(&mut self, call: &Call<'_>) {
        let _ = call;
    }
}

/// A driver that forwards every method to `inner`, showing each call to `hook` first.
pub struct Forward<D, H> {
    pub inner: D,
    pub hook: H,
}

impl<D, H: Default> Forward<D, H> {
    /// Forwards to `inner` with a fresh hook.
    pub fn new(inner: D) -> Forward<D, H> {
        Forward {
            inner,
            hook: H::default(),
        }
    }
}

/// Shows `$call` to the hook, runs `$run` on the inner driver, and tells the hook if it succeeded.
macro_rules! through {
    ($self:ident, $call:expr, |$d:ident| $run:expr) => {{
        let call = $call;
        $self.hook.call(&call);
        let $d = &mut $self.inner;
        let result = $run.await;
        if result.is_ok() {
            $self.hook.done(&call);
        }
        result
    }};
}

impl<D: Driver, H: Hook> Forward<D, H> {
    /// The trait's default batch: begin, each statement through [`Driver::execute`], commit.
    async fn split_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        let failed = |part| move |error| BatchError { part, error };
        if batch.begin {
            self.begin().await.map_err(failed(BatchPart::Begin))?;
        }
        for (index, statement) in batch.statements.iter().enumerate() {
            (self.execute(statement).await).map_err(failed(BatchPart::Statement(index)))?;
        }
        if batch.commit {
            self.commit().await.map_err(failed(BatchPart::Commit))?;
        }
        Ok(())
    }
}

impl<D: Driver, H: Hook> Driver for Forward<D, H> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        through!(self, Call::Execute(sql), |d| d.execute(sql))
    }
    async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        through!(self, Call::Query(sql), |d| d.query(sql))
    }
    async fn query_repeated(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        through!(self, Call::QueryRepeated(sql), |d| d.query_repeated(sql))
    }
    async fn query_each<F>(&mut self, sql: &str, visit: F) -> Result<(), DriverError>
    where
        F: FnMut(&[Option<&str>]) + Send,
    {
        through!(self, Call::QueryEach(sql), |d| d.query_each(sql, visit))
    }
    async fn execute_batch(&mut self, batch: Batch<'_>) -> Result<(), BatchError> {
        if H::SPLIT_BATCHES {
            return self.split_batch(batch).await;
        }
        through!(self, Call::Batch(batch), |d| d.execute_batch(batch))
    }
    async fn lock(&mut self, name: &str, timeout: Duration) -> Result<LockOutcome, DriverError> {
        through!(self, Call::Lock(name), |d| d.lock(name, timeout))
    }
    async fn unlock(&mut self, name: &str) -> Result<(), DriverError> {
        through!(self, Call::Unlock(name), |d| d.unlock(name))
    }
    async fn recover(&mut self, name: &str) -> Result<(), DriverError> {
        through!(self, Call::Recover(name), |d| d.recover(name))
    }
    async fn lock_holder(&mut self, name: &str) -> Result<LockState, DriverError> {
        through!(self, Call::LockHolder(name), |d| d.lock_holder(name))
    }
    async fn begin(&mut self) -> Result<(), DriverError> {
        through!(self, Call::Begin, |d| d.begin())
    }
    async fn commit(&mut self) -> Result<(), DriverError> {
        through!(self, Call::Commit, |d| d.commit())
    }
    async fn rollback(&mut self) -> Result<(), DriverError> {
        through!(self, Call::Rollback, |d| d.rollback())
    }
}

/// Counts calls into a driver; every call is one round trip (the first `query_repeated` of a
/// text on PostgreSQL is two: it prepares the statement). `recover` is forwarded but not
/// counted: with nothing left behind it costs no round trip.
pub type Counting<D> = Forward<D, Count>;

/// The calls a [`Counting`] driver saw, one line each.
#[derive(Debug, Default)]
pub struct Count {
    pub calls: Vec<String>,
}

impl Hook for Count {
    fn call(&mut self, call: &Call<'_>) {
        let line = match call {
            Call::Execute(sql) | Call::Query(sql) | Call::QueryEach(sql) => (*sql).to_owned(),
            Call::QueryRepeated(sql) => format!("repeated {sql}"),
            Call::Batch(batch) => format!("batch {batch:?}"),
            Call::Lock(name) => format!("lock {name}"),
            Call::Unlock(name) => format!("unlock {name}"),
            Call::LockHolder(name) => format!("lock holder {name}"),
            Call::Recover(_) => return,
            Call::Begin => "begin".into(),
            Call::Commit => "commit".into(),
            Call::Rollback => "rollback".into(),
        };
        self.calls.push(line);
    }
}
