//! A database that exists for one test ([`TestDatabase`]): created empty, copied from a
//! template or claimed from a pool, or migrated by replay, and dropped with the value. The
//! first one a process creates on a server also drops the stale ones. The model is explained in
//! the docs of [`crate::testing`], the "module docs" that the items below refer to.

use std::sync::OnceLock;

use super::admin::{admin_error, Admin};
use super::backend::Backend;
use super::pool::{self, Claimed, Pool};
use super::template::{self, Template};
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
    /// [`attribute::run`](super::attribute::run).
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
pub(crate) async fn drop_stale(
    admin: &mut Admin,
) -> Result<Vec<String>, crate::driver::DriverError> {
    let now = crate::scratch_name::now_secs();
    let test_db = |name: &str, now| crate::scratch_name::is_stale(PREFIX, name, now);
    let mut dropped = admin.drop_stale(PREFIX, test_db, now).await?;
    let templates = admin.drop_stale(template::PREFIX, template::is_stale, now);
    dropped.extend(templates.await?);
    let copies = admin.drop_stale(pool::PREFIX, pool::is_stale, now);
    dropped.extend(copies.await?);
    Ok(dropped)
}
