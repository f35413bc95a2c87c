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
//! those created more than a day ago (left by killed test runs), templates included. The age is
//! the rule, not whether the process still runs: a process id says nothing about a run on
//! another machine or in another container sharing the server.
//!
//! ## Databases at a version
//!
//! [`TestDatabase::at`] (and so `#[migrate_macros::test]`) does not replay the migrations for
//! every test. The first test of a process that needs version N of a migration set builds a
//! *template* at N once (another process may have built it already: templates are shared
//! through the server, under a server-side lock), and every test then gets a copy:
//!
//! | backend | copy |
//! |---|---|
//! | PostgreSQL | `CREATE DATABASE … TEMPLATE migrate_tpl_…` |
//! | SQLite | a copy of the template file (`migrate_templates` in the temporary folder) |
//! | MySQL/MariaDB | each table recreated from `SHOW CREATE TABLE` and its rows copied, in one batch; a template with views, triggers, routines, events, sequences or system-versioned tables is not copied, and its tests replay the migrations |
//!
//! A template is identified by the migrations up to N (checksums included), N, and the runner's
//! configuration, so an edited migration never reuses an old template. Its completion is
//! checked before use; a half-built one (a killed build) is dropped and built again.
//! [`TestDatabase::origin`] says how a database was made; [`TestDatabase::at_replayed`] replays
//! the migrations regardless.
//!
//! ## Pools of copies made ahead
//!
//! A copy costs about as much as the template is big (PostgreSQL, SQLite) or has tables
//! (MariaDB). So once a process has used a template, a thread of its own keeps a few copies of
//! it ready on the server (`MIGRATE_TEST_POOL`, default 2; 0 turns pools off), and
//! [`TestDatabase::at`] claims one — PostgreSQL `ALTER DATABASE … RENAME`, MariaDB a row
//! deleted from a `MEMORY` table, SQLite a file `rename(2)`; each atomic, so tests in parallel
//! threads and processes never get the same copy — and copies the template itself only when
//! the pool is empty. A claimed copy is the copy the test would have got, under a name of its
//! own (MariaDB: `migrate_pool_…`, the copy's name; there is no database rename), dropped with
//! the test. Ready copies outlive the process (the next run claims them), are never claimed
//! once their template is outdated (they belong to the template, whose name names its digest)
//! and are swept with the templates. [`TestDatabase::from_pool`] says whether a database was
//! claimed; [`pools_settled`] and [`pool_refills`] are for benchmarks.

use std::sync::OnceLock;

mod admin;
pub mod attribute;
mod backend;
mod pool;
mod skip;
mod template;

pub use backend::Backend;
pub use skip::servers_required;

use admin::{admin_error, Admin};
use pool::{Claimed, Pool};
use template::Template;

use crate::driver::{with_database, DriverError};
use crate::{Config, Error, MigrationSet, Target};

/// How a [`TestDatabase`] got its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Created empty ([`TestDatabase::create`]).
    Empty,
    /// Migrated by replaying the migrations on an empty database.
    Replayed,
    /// Copied from a template database built once at the version (see the module docs).
    Cloned,
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    url: String,
    name: String,
    origin: Origin,
    template: Option<String>,
    pooled: bool,
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
        TestDatabase::create_from(backend, None).await
    }

    /// A fresh database, empty or a copy of `template`.
    async fn create_from(
        backend: Backend,
        template: Option<&Template>,
    ) -> Result<Option<TestDatabase>, Error> {
        let name = crate::scratch_name::new_name(PREFIX);
        let Some(server) = backend.server_url() else {
            let dir = tempfile::tempdir()
                .map_err(|e| admin_error("creating a temporary folder", DriverError::other(e)))?;
            let path = dir.path().join(format!("{name}.db"));
            if let Some(Template::Sqlite(source)) = template {
                std::fs::copy(source, &path)
                    .map_err(|e| admin_error("copying the template file", DriverError::other(e)))?;
            }
            return Ok(Some(TestDatabase::file(
                backend,
                name,
                template,
                (dir, path),
            )));
        };
        let Some(mut admin) = server_admin(backend, &server).await? else {
            return Ok(None);
        };
        // Owned before it exists, so that a copy failing half-way is dropped.
        let database = TestDatabase::on_server(backend, &server, name, template);
        template::create(&mut admin, &server, &database.name, template)
            .await
            .map_err(|e| admin_error("creating the test database", e))?;
        Ok(Some(database))
    }

    /// A ready copy of `template` claimed from its pool (see the module docs); `None` when the
    /// pool is empty or off, or the claim failed: the caller copies the template itself.
    async fn claim(backend: Backend, template: &Template) -> Result<Option<TestDatabase>, Error> {
        let Some(pool) = Pool::of(backend, template).filter(|_| pool::size() > 0) else {
            return Ok(None);
        };
        let name = crate::scratch_name::new_name(PREFIX);
        let Some(server) = backend.server_url() else {
            let claimed = pool::claim(None, &pool, &name).await;
            return Ok(match claimed {
                Ok(Some(Claimed::File(dir, path))) => Some(TestDatabase::file(
                    backend,
                    name,
                    Some(template),
                    (dir, path),
                )),
                _ => None,
            });
        };
        let Some(mut admin) = server_admin(backend, &server).await? else {
            return Ok(None);
        };
        Ok(match pool::claim(Some(&mut admin), &pool, &name).await {
            Ok(Some(Claimed::Database(name))) => Some(TestDatabase::on_server(
                backend,
                &server,
                name,
                Some(template),
            )),
            _ => None,
        })
    }

    /// The value for a database `name` on `server`.
    fn on_server(
        backend: Backend,
        server: &str,
        name: String,
        template: Option<&Template>,
    ) -> TestDatabase {
        TestDatabase {
            backend,
            url: with_database(server, &name),
            name,
            origin: TestDatabase::origin_of(template),
            template: template.and_then(Template::name),
            pooled: false,
            dropped: false,
            _dir: None,
        }
    }

    /// The value for the SQLite file `path` in the folder `dir`.
    fn file(
        backend: Backend,
        name: String,
        template: Option<&Template>,
        (dir, path): (tempfile::TempDir, std::path::PathBuf),
    ) -> TestDatabase {
        TestDatabase {
            backend,
            url: format!("sqlite://{}", path.display()),
            name,
            origin: TestDatabase::origin_of(template),
            template: template.and_then(Template::name),
            pooled: false,
            dropped: false,
            _dir: Some(dir),
        }
    }

    fn origin_of(template: Option<&Template>) -> Origin {
        if template.is_some() {
            Origin::Cloned
        } else {
            Origin::Empty
        }
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

    /// How the database got its content.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Whether the database is a copy that was made ahead, in the background, and claimed from
    /// its template's pool (see the module docs), rather than copied for this test.
    pub fn from_pool(&self) -> bool {
        self.pooled
    }

    /// The template the database was copied from: a database name on a server, a file path
    /// on SQLite; `None` unless [`TestDatabase::origin`] is [`Origin::Cloned`].
    pub fn template(&self) -> Option<&str> {
        self.template.as_deref()
    }

    /// A fresh database migrated with `set` to `target`, copied from a template built once
    /// per version (see the module docs); `Ok(None)` when the server is unreachable and not
    /// required (the skip was printed). Used by `#[migrate_macros::test]` through
    /// [`attribute::run`].
    pub async fn at(
        backend: Backend,
        set: &MigrationSet,
        target: Target,
    ) -> Result<Option<TestDatabase>, Error> {
        TestDatabase::at_with(backend, set, target, &Config::default()).await
    }

    /// [`TestDatabase::at`] migrated with `config` (another history table, no fingerprints,
    /// …): a template is built per configuration.
    pub async fn at_with(
        backend: Backend,
        set: &MigrationSet,
        target: Target,
        config: &Config,
    ) -> Result<Option<TestDatabase>, Error> {
        let Some(version) = template::version_for(set, target, backend) else {
            return TestDatabase::replayed(backend, set, target, config).await;
        };
        let request = template::Request {
            backend,
            set,
            version,
            config,
        };
        // A second attempt when the copy fails: another run's sweep may have dropped a
        // template this process had resolved.
        for attempt in 0..2 {
            let template = match template::obtain(&request).await? {
                None => return Ok(None),
                Some(Template::Replay) => {
                    return TestDatabase::replayed(backend, set, target, config).await
                }
                Some(template) => template,
            };
            if let Some(mut db) = TestDatabase::claim(backend, &template).await? {
                db.pooled = true;
                return Ok(Some(db));
            }
            match TestDatabase::create_from(backend, Some(&template)).await {
                Err(_) if attempt == 0 => template::forget(&request),
                result => return result,
            }
        }
        unreachable!("the second attempt returns")
    }

    /// A fresh database on which the migrations of `set` up to `target` were replayed, as
    /// before templates existed: for comparisons, and for tests that time the migrations.
    pub async fn at_replayed(
        backend: Backend,
        set: &MigrationSet,
        target: Target,
    ) -> Result<Option<TestDatabase>, Error> {
        TestDatabase::replayed(backend, set, target, &Config::default()).await
    }

    async fn replayed(
        backend: Backend,
        set: &MigrationSet,
        target: Target,
        config: &Config,
    ) -> Result<Option<TestDatabase>, Error> {
        let Some(mut db) = TestDatabase::create(backend).await? else {
            return Ok(None);
        };
        db.migrate_with(set, target, config).await?;
        db.origin = Origin::Replayed;
        Ok(Some(db))
    }

    /// Migrates the database with `set` to `target` (a fresh database "at a chosen version").
    pub async fn migrate_to(
        &self,
        set: &MigrationSet,
        target: Target,
    ) -> Result<crate::Report, Error> {
        self.migrate_with(set, target, &Config::default()).await
    }

    async fn migrate_with(
        &self,
        set: &MigrationSet,
        target: Target,
        config: &Config,
    ) -> Result<crate::Report, Error> {
        let mut driver = crate::driver::AnyDriver::connect(&self.url)
            .await
            .map_err(|e| admin_error("connecting to the test database", e))?;
        let migrator = crate::Migrator::with_config(set, config.clone());
        let current = migrator
            .history(&mut driver)
            .await?
            .last()
            .map(|r| r.version);
        match target {
            Target::Version(v) if current.is_some_and(|c| c > v) => {
                migrator.down(&mut driver, target).await
            }
            Target::Empty => migrator.down(&mut driver, target).await,
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

/// The admin connection to `backend`'s server at `server`, having dropped the stale databases
/// once per process; `Ok(None)` when it is unreachable and not required (the skip was printed).
async fn server_admin(backend: Backend, server: &str) -> Result<Option<Admin>, Error> {
    let Some(mut admin) = Admin::reach(backend, server).await? else {
        return Ok(None);
    };
    let cleaned = match backend {
        Backend::MySql => &CLEANED_MYSQL,
        _ => &CLEANED_POSTGRES,
    };
    if cleaned.set(()).is_ok() {
        drop_stale(&mut admin)
            .await
            .map_err(|e| admin_error("dropping stale test databases", e))?;
    }
    Ok(Some(admin))
}

/// Drops the test databases, templates and pooled copies on `admin`'s server created more
/// than a day ago;
/// returns their names.
async fn drop_stale(admin: &mut Admin) -> Result<Vec<String>, crate::driver::DriverError> {
    let now = crate::scratch_name::now_secs();
    let test_db = |name: &str, now| crate::scratch_name::is_stale(PREFIX, name, now);
    let mut dropped = admin.drop_stale(PREFIX, test_db, now).await?;
    let templates = admin.drop_stale(template::PREFIX, template::is_stale, now);
    dropped.extend(templates.await?);
    let copies = admin.drop_stale(pool::PREFIX, pool::is_stale, now);
    dropped.extend(copies.await?);
    Ok(dropped)
}

/// Drops the test databases, templates and pooled copies on `backend`'s server created more
/// than a day ago (what [`TestDatabase::create`] does once per process); `Ok(None)` when the server is
/// unreachable and not required. Returns the names dropped.
pub async fn drop_stale_databases(backend: Backend) -> Result<Option<Vec<String>>, Error> {
    if backend == Backend::Sqlite {
        return Ok(Some(Vec::new()));
    }
    let Some(mut admin) = reach_quietly(backend).await? else {
        return Ok(None);
    };
    drop_stale(&mut admin)
        .await
        .map(Some)
        .map_err(|e| admin_error("dropping stale test databases", e))
}

/// Drops every template and pooled copy on `backend`'s server (SQLite: every template and
/// pooled file) whatever its age — including one that a test process running now copies from,
/// whose next copies then fail — and forgets this process's templates and pools (waiting for
/// its refill to stop); `Ok(None)` when the server is unreachable and not
/// required. For benchmarks that time building templates, and for clearing a shared server by
/// hand. Returns the names dropped.
pub async fn drop_all_templates(backend: Backend) -> Result<Option<Vec<String>>, Error> {
    pool::forget(backend);
    pool::settled().await;
    if backend == Backend::Sqlite {
        let mut dropped = template::drop_all_files()?;
        let copies = pool::drop_all_files();
        dropped.extend(copies.map_err(|e| admin_error("removing pooled copies", e))?);
        return Ok(Some(dropped));
    }
    let Some(mut admin) = reach_quietly(backend).await? else {
        return Ok(None);
    };
    let mut dropped = template::drop_all(&mut admin, backend).await?;
    let copies = pool::drop_all(&mut admin).await;
    dropped.extend(copies.map_err(|e| admin_error("dropping pooled copies", e))?);
    Ok(Some(dropped))
}

/// Waits until this process's pools of ready copies are full (or their refill failed), so that
/// the next [`TestDatabase::at`] of a template this process used claims a copy made ahead. For
/// benchmarks; tests never need to wait (an empty pool only means a copy made on the spot).
pub async fn pools_settled() {
    pool::settled().await;
}

/// How long each copy made ahead by this process's background refill took so far, in order:
/// what the pools cost besides what the tests pay for their claims.
pub fn pool_refills() -> Vec<std::time::Duration> {
    pool::stats()
}

/// The admin connection to `backend`'s server (not SQLite); `Ok(None)` when it is unreachable
/// and not required, without announcing a skip.
async fn reach_quietly(backend: Backend) -> Result<Option<Admin>, Error> {
    let Some(server) = backend.server_url() else {
        return Ok(None);
    };
    match Admin::connect(backend, &server).await {
        Ok(admin) => Ok(Some(admin)),
        Err(_) if !servers_required() => Ok(None),
        Err(e) => Err(admin_error("connecting to the test server", e)),
    }
}
