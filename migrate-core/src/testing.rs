//! Test support: a fresh database per test, on SQLite always and on MySQL/MariaDB and
//! PostgreSQL when their servers are reachable (feature `testing`).
//!
//! ```no_run
//! # async fn example() -> Result<(), migrate_core::Error> {
//! use migrate_core::testing::{Backend, TestDatabase};
//! let Some(db) = TestDatabase::create(Backend::Postgres).await? else {
//!     return Ok(()); // no server here, and not required: the skip was printed
//! };
//! let url = db.url(); // postgres://postgres@127.0.0.1:5432/migrate_test_…
//! # let _ = url;
//! db.drop_database().await;
//! # Ok(()) }
//! ```
//!
//! Server URLs come from `MIGRATE_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`)
//! and `MIGRATE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! When a server cannot be reached the test is skipped with a loud message written to the
//! process's standard error directly (the test harness captures `eprintln!`) — unless
//! `MIGRATE_REQUIRE_SERVERS` or `CI` is set, in which case it fails.
//!
//! Databases are named `migrate_test_<pid>_<unix seconds>_<n>`; each is dropped when its
//! [`TestDatabase`] is dropped, and the first database a process creates on a server also drops
//! those created more than a day ago (left by killed test runs). The age is the rule, not
//! whether the process still runs: a process id says nothing about a run on another machine or
//! in another container sharing the server.

use std::sync::OnceLock;

pub mod attribute;

use crate::driver::{redact_url, with_database, Driver, DriverError, SqlxMySql, SqlxPostgres};
use crate::Error;

/// A database server kind a test can run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An SQLite file in a temporary folder.
    Sqlite,
    /// MySQL or MariaDB at `MIGRATE_TEST_MYSQL_URL`.
    MySql,
    /// PostgreSQL at `MIGRATE_TEST_POSTGRES_URL`.
    Postgres,
}

impl Backend {
    /// The server URL tests use for this backend (the admin database the test databases are
    /// created from), or `None` for SQLite.
    pub fn server_url(self) -> Option<String> {
        let (var, default) = match self {
            Backend::Sqlite => return None,
            Backend::MySql => ("MIGRATE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
            Backend::Postgres => (
                "MIGRATE_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
        };
        Some(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    }
}

/// Whether unreachable servers fail tests instead of skipping them.
pub fn servers_required() -> bool {
    ["MIGRATE_REQUIRE_SERVERS", "CI"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"))
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    url: String,
    name: String,
    dropped: bool,
    _dir: Option<tempfile::TempDir>,
}

static CLEANED_MYSQL: OnceLock<()> = OnceLock::new();
static CLEANED_POSTGRES: OnceLock<()> = OnceLock::new();

/// The prefix of every test database's name.
pub const PREFIX: &str = "migrate_test_";

impl TestDatabase {
    /// A fresh, empty database; `Ok(None)` when the server is unreachable and not required
    /// (a skip message has been printed).
    pub async fn create(backend: Backend) -> Result<Option<TestDatabase>, Error> {
        let name = crate::scratch_name::new_name(PREFIX);
        let Some(server) = backend.server_url() else {
            let dir = tempfile::tempdir()
                .map_err(|e| admin_error("creating a temporary folder", DriverError::other(e)))?;
            let url = format!(
                "sqlite://{}",
                dir.path().join(format!("{name}.db")).display()
            );
            return Ok(Some(TestDatabase {
                backend,
                url,
                name,
                dropped: false,
                _dir: Some(dir),
            }));
        };
        let mut admin = match Admin::connect(backend, &server).await {
            Ok(admin) => admin,
            Err(e) if !servers_required() => {
                // Past the harness's capture, which hides a passing test's output.
                attribute::announce(&format!(
                    "SKIPPED: {backend:?} server at {} is not reachable ({e}); set MIGRATE_REQUIRE_SERVERS=1 to make this a failure",
                    redact_url(&server)
                ));
                return Ok(None);
            }
            Err(e) => {
                return Err(admin_error(
                    "connecting to the test server (MIGRATE_REQUIRE_SERVERS is set)",
                    e,
                ))
            }
        };
        let cleaned = match backend {
            Backend::MySql => &CLEANED_MYSQL,
            _ => &CLEANED_POSTGRES,
        };
        if cleaned.set(()).is_ok() {
            admin
                .drop_stale()
                .await
                .map_err(|e| admin_error("dropping stale test databases", e))?;
        }
        admin
            .execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| admin_error("creating the test database", e))?;
        Ok(Some(TestDatabase {
            backend,
            url: with_database(&server, &name),
            name,
            dropped: false,
            _dir: None,
        }))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A fresh database migrated with `set` to `target`; `Ok(None)` when the server is
    /// unreachable and not required (the skip was printed). Used by `#[migrate_macros::test]`
    /// through [`attribute::run`].
    pub async fn at(
        backend: Backend,
        set: &crate::MigrationSet,
        target: crate::Target,
    ) -> Result<Option<TestDatabase>, Error> {
        let Some(db) = TestDatabase::create(backend).await? else {
            return Ok(None);
        };
        db.migrate_to(set, target).await?;
        Ok(Some(db))
    }

    /// Migrates the database with `set` to `target` (a fresh database "at a chosen version").
    pub async fn migrate_to(
        &self,
        set: &crate::MigrationSet,
        target: crate::Target,
    ) -> Result<crate::Report, Error> {
        let mut driver = crate::driver::AnyDriver::connect(&self.url)
            .await
            .map_err(|e| admin_error("connecting to the test database", e))?;
        let migrator = crate::Migrator::new(set);
        let current = migrator
            .history(&mut driver)
            .await?
            .last()
            .map(|r| r.version);
        match target {
            crate::Target::Version(v) if current.is_some_and(|c| c > v) => {
                migrator.down(&mut driver, target).await
            }
            crate::Target::Empty => migrator.down(&mut driver, target).await,
            _ => migrator.up(&mut driver, target).await,
        }
    }

    /// Drops the database now (dropping the value does the same, blocking a helper thread).
    pub async fn drop_database(mut self) {
        self.dropped = true;
        drop_database(self.backend, &self.name).await;
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped || self.backend == Backend::Sqlite {
            return;
        }
        let (backend, name) = (self.backend, self.name.clone());
        // Drop cannot await; a helper thread with its own runtime does the work.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_database(backend, &name));
            }
        })
        .join();
    }
}

async fn drop_database(backend: Backend, name: &str) {
    let Some(server) = backend.server_url() else {
        return;
    };
    if let Ok(mut admin) = Admin::connect(backend, &server).await {
        if let Err(e) = admin.drop_database(name).await {
            eprintln!("warning: could not drop test database {name}: {e}");
        }
    }
}

/// Drops the test databases on `backend`'s server created more than a day ago (what
/// [`TestDatabase::create`] does once per process); `Ok(None)` when the server is unreachable
/// and not required. Returns the names dropped.
pub async fn drop_stale_databases(backend: Backend) -> Result<Option<Vec<String>>, Error> {
    let Some(server) = backend.server_url() else {
        return Ok(Some(Vec::new()));
    };
    let mut admin = match Admin::connect(backend, &server).await {
        Ok(admin) => admin,
        Err(_) if !servers_required() => return Ok(None),
        Err(e) => return Err(admin_error("connecting to the test server", e)),
    };
    admin
        .drop_stale()
        .await
        .map(Some)
        .map_err(|e| admin_error("dropping stale test databases", e))
}

fn admin_error(doing: &'static str, source: DriverError) -> Error {
    Error::Driver { doing, source }
}

/// An administrative connection to a test server.
enum Admin {
    MySql(SqlxMySql),
    Postgres(SqlxPostgres),
}

impl Admin {
    async fn connect(backend: Backend, url: &str) -> Result<Admin, DriverError> {
        let connect = async {
            match backend {
                Backend::MySql => SqlxMySql::connect(url).await.map(Admin::MySql),
                _ => SqlxPostgres::connect(url).await.map(Admin::Postgres),
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), connect)
            .await
            .unwrap_or_else(|_| Err(DriverError::other("timed out connecting")))
    }

    async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        match self {
            Admin::MySql(d) => d.execute(sql).await,
            Admin::Postgres(d) => d.execute(sql).await,
        }
    }

    async fn query(&mut self, sql: &str) -> Result<Vec<crate::driver::Row>, DriverError> {
        match self {
            Admin::MySql(d) => d.query(sql).await,
            Admin::Postgres(d) => d.query(sql).await,
        }
    }

    async fn drop_database(&mut self, name: &str) -> Result<(), DriverError> {
        if let Admin::Postgres(_) = self {
            // Sessions a test leaked (a killed child process) would block the drop.
            self.execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await?;
        }
        self.execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
    }

    /// Drops test databases created more than a day ago; returns their names.
    async fn drop_stale(&mut self) -> Result<Vec<String>, DriverError> {
        let dialect = match self {
            Admin::MySql(_) => crate::Dialect::MySql,
            Admin::Postgres(_) => crate::Dialect::Postgres,
        };
        let list = crate::scratch_name::list_sql(dialect, PREFIX);
        let now = crate::scratch_name::now_secs();
        let mut dropped = Vec::new();
        for row in self.query(&list).await? {
            let Some(name) = row.into_iter().next().flatten() else {
                continue;
            };
            if crate::scratch_name::is_stale(PREFIX, &name, now) {
                self.drop_database(&name).await?;
                dropped.push(name);
            }
        }
        Ok(dropped)
    }
}
