//! The run-time half of `#[migrate_macros::test]`: the attribute expands each backend's test to
//! one call of [`run`], so that everything that can go wrong is ordinary, tested library code.
//!
//! - The test function takes one argument, any [`TestArgument`]: a [`TestDatabase`], an
//!   [`AnyDriver`] or an [`sqlx::AnyPool`] connected to the fresh database.
//! - It returns `()` or a `Result<(), E>`; an `Err` fails the test ([`TestOutcome`]).
//! - Without `backends = […]`, a backend whose dialect the tree has no scripts for is not run,
//!   and says so ([`Selection::Supported`]).
//! - A skipped server or a backend not run is announced on the process's standard error
//!   directly: the harness captures `eprintln!` and shows it only for failing tests, which
//!   turned a skip into a silent `ok`. With `MIGRATE_REQUIRE_SERVERS` (or `CI`) an unreachable
//!   server fails the test instead.

use std::fmt::Debug;
use std::future::Future;

pub use super::backend::unsupported;

use super::backend::Backend;
use super::database::TestDatabase;
use super::skip::announce;
use crate::driver::{AnyDriver, DriverError};
use crate::{Error, MigrationSet, Target};

/// Which backends a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selection {
    /// Those the migration set has an up and a down script for in every version (the default
    /// when the attribute names none); the others print `NOT RUN` and pass.
    Supported,
    /// Those the attribute names in `backends = […]`: always run.
    Named,
}

/// What a test function can receive: built from the fresh, migrated test database.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the argument of a `#[migrate_macros::test]` function",
    note = "take a `TestDatabase`, an `AnyDriver` or an `sqlx::AnyPool`, or implement `TestArgument`"
)]
pub trait TestArgument: Sized + Send {
    /// Builds the argument from `database`. Returns the database back when the argument does
    /// not own it, so that it is dropped once the test is done.
    fn prepare(
        database: TestDatabase,
    ) -> impl Future<Output = Result<(Self, Option<TestDatabase>), Error>> + Send;
}

impl TestArgument for TestDatabase {
    async fn prepare(database: TestDatabase) -> Result<(Self, Option<TestDatabase>), Error> {
        Ok((database, None))
    }
}

impl TestArgument for AnyDriver {
    async fn prepare(database: TestDatabase) -> Result<(Self, Option<TestDatabase>), Error> {
        let driver = AnyDriver::connect(database.url())
            .await
            .map_err(connect_error)?;
        Ok((driver, Some(database)))
    }
}

impl TestArgument for sqlx::AnyPool {
    async fn prepare(database: TestDatabase) -> Result<(Self, Option<TestDatabase>), Error> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(5)
            .connect(database.url())
            .await
            .map_err(|e| connect_error(DriverError::other(e)))?;
        Ok((pool, Some(database)))
    }
}

fn connect_error(source: DriverError) -> Error {
    Error::Driver {
        doing: "connecting the test's argument to the test database",
        source,
    }
}

/// What a test function returns: `()`, or a `Result` whose `Err` fails the test.
pub trait TestOutcome {
    /// Panics (failing the test) when the outcome is a failure.
    fn check(self);
}

impl TestOutcome for () {
    fn check(self) {}
}

impl<E: Debug> TestOutcome for Result<(), E> {
    #[track_caller]
    fn check(self) {
        if let Err(error) = self {
            panic!("the test returned Err: {error:?}");
        }
    }
}

/// Runs `test` on `backend`: a fresh database migrated with `set` to `target`, handed over as
/// the test's argument, and dropped afterwards. `name` names the test in announcements.
///
/// Panics (failing the test) when the database cannot be created or migrated, when the server
/// is unreachable and servers are required, or when the test's outcome is a failure.
pub async fn run<A, F, Fut>(
    name: &str,
    backend: Backend,
    selection: Selection,
    set: &MigrationSet,
    target: Target,
    test: F,
) where
    A: TestArgument,
    F: FnOnce(A) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    if selection == Selection::Supported {
        if let Some(missing) = unsupported(set, backend) {
            announce(&format!(
                "NOT RUN: {name}: {missing}; name the backend in `backends = […]` to run it anyway"
            ));
            return;
        }
    }
    let database = match TestDatabase::at(backend, set, target).await {
        Ok(Some(database)) => database,
        Ok(None) => return, // skipped, and announced
        Err(e) => panic!("{name} on {backend:?}: creating the test database: {e}"),
    };
    let (argument, keep) = A::prepare(database)
        .await
        .unwrap_or_else(|e| panic!("{name} on {backend:?}: {e}"));
    test(argument).await.check();
    if let Some(database) = keep {
        database.drop_database().await;
    }
}
