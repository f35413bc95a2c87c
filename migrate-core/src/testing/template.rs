//! Template databases: a test database at version N is a copy of one built once, instead of N
//! migrations replayed per test.
//!
//! A template is identified by a digest of what decides its content: the dialect, the target
//! version, the runner's configuration (history table, fingerprints, …) and every migration up
//! to the target (version, description, up and down checksums). An edited migration set has
//! another digest, so its template is another database; nothing is ever patched in place.
//!
//! Per process, the first test that needs a template resolves it once ([`obtain`]); the tests
//! running meanwhile wait for that one. Across processes (cargo runs one per test binary) a
//! server-side lock named after the digest serializes resolving: under it a process lists the
//! templates of the digest, takes the newest complete one younger than [`REUSE_FOR`], or
//! drops the incomplete ones and builds a new one. Completion is checked, not assumed:
//!
//! - PostgreSQL: the builder marks the database as a template that accepts no connections
//!   and writes the full digest into its comment last; a database without that comment is a
//!   build that was killed.
//! - MySQL/MariaDB: the template's history must hold every version up to the target,
//!   applied, with the embedded checksums.
//! - SQLite: the template file appears under its final name (the full digest) by an atomic
//!   rename of a finished file, so a file of that name is complete.
//!
//! Templates are named `migrate_tpl_<digest prefix>_<created>`; the sweep of stale test
//! databases drops those older than a day. A test clones its template (see [`create`]).

mod mysql;
mod sqlite;

pub(crate) use sqlite::folder as templates_folder;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::admin::{admin_error, Admin};
use super::backend::Backend;
use crate::driver::{with_database, AnyDriver, DriverError};
use crate::scratch_name::{now_secs, STALE_AFTER};
use crate::{Config, Direction, Error, MigrationSet, Migrator, Target, Version};

/// The prefix of every template database's name.
pub(crate) const PREFIX: &str = "migrate_tpl_";

/// How long after its creation a template is still taken for new test databases. Half the
/// sweep's age, so that no run starts cloning a template that a sweep may drop meanwhile.
pub(crate) const REUSE_FOR: Duration = Duration::from_secs(STALE_AFTER.as_secs() / 2);

/// How long a process waits for another one building the same template.
const LOCK_WAIT: Duration = Duration::from_secs(600);

/// What a test database at a version is made from.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    /// A PostgreSQL template database: `CREATE DATABASE … TEMPLATE`.
    Postgres(String),
    /// A MariaDB/MySQL database whose tables are copied by the statements `copy` holds.
    MySql(String, Arc<mysql::Copy>),
    /// An SQLite file, copied.
    Sqlite(PathBuf),
    /// Nothing to copy from: the migrations made objects that a copy would not reproduce
    /// faithfully (MySQL/MariaDB views, triggers, routines, events, sequences, system-versioned
    /// tables), so each test replays them.
    Replay,
}

impl Template {
    /// The template database's name, or its file's path; `None` for [`Template::Replay`].
    pub(crate) fn name(&self) -> Option<String> {
        match self {
            Template::Postgres(name) | Template::MySql(name, _) => Some(name.clone()),
            Template::Sqlite(path) => Some(path.display().to_string()),
            Template::Replay => None,
        }
    }
}

/// What a test database must be at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub(crate) backend: Backend,
    pub(crate) set: &'a MigrationSet,
    pub(crate) version: Version,
    pub(crate) config: &'a Config,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    server: Option<String>,
    digest: [u8; 32],
}

type Cell = Arc<tokio::sync::OnceCell<Template>>;

fn cache() -> &'static Mutex<HashMap<Key, Cell>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Cell>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The version a template for `target` would be at; `None` when a template does not apply
/// (no version, or one the set cannot reach on `backend`): those databases are replayed.
pub(crate) fn version_for(set: &MigrationSet, target: Target, backend: Backend) -> Option<Version> {
    if super::backend::unsupported(set, backend).is_some() {
        return None;
    }
    match target {
        Target::Latest => set.migrations().last().map(|m| m.version()),
        Target::Version(v) => set.get(v).map(|m| m.version()),
        Target::Empty => None,
    }
}

impl Request<'_> {
    fn key(&self) -> Key {
        Key {
            server: self.backend.server_url(),
            digest: self.digest(),
        }
    }

    /// The digest of everything that decides the template's content.
    fn digest(&self) -> [u8; 32] {
        let dialect = self.backend.dialect();
        let mut hash = Sha256::new();
        let mut field = |text: &str| {
            hash.update((text.len() as u64).to_le_bytes());
            hash.update(text.as_bytes());
        };
        field("migrate template 1");
        field(&dialect.to_string());
        field(&self.version.to_string());
        field(&format!("{:?}", self.config));
        for m in self
            .set
            .migrations()
            .iter()
            .take_while(|m| m.version() <= self.version)
        {
            field(&m.version().to_string());
            field(m.description());
            for direction in [Direction::Up, Direction::Down] {
                let checksum = m
                    .script(direction, dialect)
                    .map(|s| s.checksum().to_string());
                field(checksum.as_deref().unwrap_or("-"));
            }
        }
        hash.finalize().into()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The template for `request`, resolved once per process; `Ok(None)` when the server is
/// unreachable and not required (the skip was announced).
pub(crate) async fn obtain(request: &Request<'_>) -> Result<Option<Template>, Error> {
    let key = request.key();
    let cell = {
        let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(cache.entry(key.clone()).or_default())
    };
    if let Some(template) = cell.get() {
        return Ok(Some(template.clone()));
    }
    let Some(server) = &key.server else {
        let template = cell
            .get_or_try_init(|| sqlite::resolve(request, &key.digest))
            .await?;
        return Ok(Some(template.clone()));
    };
    // Connect outside the cell: an unreachable server is a skip, not a failed initialisation.
    let Some(admin) = Admin::reach(request.backend, server).await? else {
        return Ok(None);
    };
    let template = cell
        .get_or_try_init(|| resolve(admin, request, server, &key.digest))
        .await?;
    Ok(Some(template.clone()))
}

/// Forgets this process's template for `request`, after a copy of it failed (a sweep of
/// another run dropped it): the next [`obtain`] resolves it again.
pub(crate) fn forget(request: &Request<'_>) {
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    cache.remove(&request.key());
}

/// Resolves the template on a server, under the server-side lock of its digest.
async fn resolve(
    mut admin: Admin,
    request: &Request<'_>,
    server: &str,
    digest: &[u8; 32],
) -> Result<Template, Error> {
    let lock = lock_sql(&admin, digest);
    tokio::time::timeout(LOCK_WAIT, admin.query(&lock.0))
        .await
        .map_err(|_| {
            admin_error(
                "waiting for another process building the template",
                DriverError::other("timed out"),
            )
        })?
        .map_err(|e| admin_error("locking the template", e))?;
    let result = resolve_locked(&mut admin, request, server, digest).await;
    // Dropping the connection would release the lock too; this keeps it short.
    let _ = admin.query(&lock.1).await;
    result
}

/// The statements that take and release the lock of `digest`: `GET_LOCK` on MySQL/MariaDB, a
/// session-level advisory lock in its own two-key space on PostgreSQL (the runner's locks use
/// single 64-bit keys, so the two never collide).
fn lock_sql(admin: &Admin, digest: &[u8; 32]) -> (String, String) {
    match admin {
        Admin::MySql(_) => {
            let name = format!("{PREFIX}{}", hex(&digest[..16]));
            (
                format!(
                    "SELECT CAST(GET_LOCK('{name}', {}) AS CHAR)",
                    LOCK_WAIT.as_secs()
                ),
                format!("SELECT CAST(RELEASE_LOCK('{name}') AS CHAR)"),
            )
        }
        Admin::Postgres(_) => {
            let key = i32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
            (
                format!("SELECT pg_advisory_lock(1836347500, {key})::text"),
                format!("SELECT pg_advisory_unlock(1836347500, {key})::text"),
            )
        }
    }
}

async fn resolve_locked(
    admin: &mut Admin,
    request: &Request<'_>,
    server: &str,
    digest: &[u8; 32],
) -> Result<Template, Error> {
    let stem = format!("{PREFIX}{}_", hex(&digest[..8]));
    let list = crate::scratch_name::list_sql(admin.dialect(), &stem);
    let mut names = admin
        .column(&list)
        .await
        .map_err(|e| admin_error("listing templates", e))?;
    // Newest first: the creation time is the name's last part.
    names.sort_by_key(|name| std::cmp::Reverse(created_secs(name)));
    let now = now_secs();
    for name in names {
        let young =
            created_secs(&name).is_some_and(|c| now.saturating_sub(c) < REUSE_FOR.as_secs());
        if young {
            if let Some(template) = complete(admin, request, server, &name, digest).await? {
                return Ok(template);
            }
            // Incomplete: a build that was killed. Nobody else uses it (we hold the lock).
            admin
                .drop_database(&name)
                .await
                .map_err(|e| admin_error("dropping an incomplete template", e))?;
        }
    }
    build(admin, request, server, &format!("{stem}{now}"), digest).await
}

/// The template `name` if its build completed (see the module docs), else `None`.
async fn complete(
    admin: &mut Admin,
    request: &Request<'_>,
    server: &str,
    name: &str,
    digest: &[u8; 32],
) -> Result<Option<Template>, Error> {
    match admin {
        Admin::Postgres(_) => {
            let comments = admin
                .column(&format!(
                    "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '{name}' AND datistemplate"
                ))
                .await
                .map_err(|e| admin_error("reading a template's mark", e))?;
            Ok(comments
                .iter()
                .any(|c| *c == mark(digest))
                .then(|| Template::Postgres(name.to_owned())))
        }
        Admin::MySql(_) => {
            if !history_complete(request, &with_database(server, name)).await? {
                return Ok(None);
            }
            mysql::template(admin, name).await.map(Some)
        }
    }
}

/// The comment that marks a finished PostgreSQL template.
fn mark(digest: &[u8; 32]) -> String {
    format!("migrate template {}", hex(digest))
}

/// Whether the database at `url` holds every version of `request` up to its target, applied,
/// with the embedded checksums.
async fn history_complete(request: &Request<'_>, url: &str) -> Result<bool, Error> {
    let mut driver = AnyDriver::connect(url)
        .await
        .map_err(|e| admin_error("connecting to a template", e))?;
    let migrator = Migrator::with_config(request.set, request.config.clone());
    let Ok(applied) = migrator.history(&mut driver).await else {
        return Ok(false);
    };
    let dialect = request.backend.dialect();
    let expected: Vec<Version> = request
        .set
        .migrations()
        .iter()
        .map(|m| m.version())
        .take_while(|v| *v <= request.version)
        .collect();
    let versions: Vec<Version> = applied.iter().map(|r| r.version).collect();
    Ok(versions == expected
        && crate::plan::check_history(request.set, &applied, dialect).is_ok()
        && crate::plan::check_down_checksums(request.set, &applied, dialect).is_ok()
        && crate::plan::reject_failed(request.set, &applied, dialect).is_ok())
}

/// Builds the template `name` on a server: create, migrate, verify, mark.
async fn build(
    admin: &mut Admin,
    request: &Request<'_>,
    server: &str,
    name: &str,
    digest: &[u8; 32],
) -> Result<Template, Error> {
    admin
        .execute(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| admin_error("creating a template", e))?;
    let url = with_database(server, name);
    migrate(request, &url).await?;
    if !history_complete(request, &url).await? {
        return Err(admin_error(
            "building a template",
            DriverError::other("its history does not match the migrations after migrating"),
        ));
    }
    match admin {
        Admin::Postgres(_) => {
            let mark = crate::Dialect::Postgres.string_literal(&mark(digest));
            admin
                .execute_all(&[
                    &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"),
                    // The builder's sessions are closed, but a backend may still be exiting.
                    &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"),
                    &format!("COMMENT ON DATABASE {name} IS {mark}"),
                ])
                .await
                .map_err(|e| admin_error("marking a template complete", e))?;
            Ok(Template::Postgres(name.to_owned()))
        }
        Admin::MySql(_) => mysql::template(admin, name).await,
    }
}

/// Migrates the database at `url` to the request's version, with its configuration.
async fn migrate(request: &Request<'_>, url: &str) -> Result<(), Error> {
    let mut driver = AnyDriver::connect(url)
        .await
        .map_err(|e| admin_error("connecting to a template", e))?;
    Migrator::with_config(request.set, request.config.clone())
        .up(&mut driver, Target::Version(request.version))
        .await?;
    Ok(())
}

/// Creates the server database `name`, empty or as a copy of `template`.
pub(crate) async fn create(
    admin: &mut Admin,
    server: &str,
    name: &str,
    template: Option<&Template>,
) -> Result<(), DriverError> {
    match template {
        Some(Template::Postgres(source)) => {
            admin
                .execute(&format!("CREATE DATABASE {name} TEMPLATE {source}"))
                .await
        }
        Some(Template::MySql(_, copy)) => {
            admin.execute(&format!("CREATE DATABASE {name}")).await?;
            copy.run(admin, server, name).await
        }
        _ => admin.execute(&format!("CREATE DATABASE {name}")).await,
    }
}

/// When the template `name` was created, if it is a template's name.
fn created_secs(name: &str) -> Option<u64> {
    let (digest, created) = name.strip_prefix(PREFIX)?.split_once('_')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(digest) && digits(created)).then(|| created.parse().ok())?
}

/// Whether `name` is a template created more than a day before `now`.
pub(crate) fn is_stale(name: &str, now: u64) -> bool {
    created_secs(name).is_some_and(|c| now.saturating_sub(c) > STALE_AFTER.as_secs())
}

/// Forgets this process's templates on `backend`.
fn forget_all(backend: Backend) {
    let server = backend.server_url();
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|key, _| key.server != server);
}

/// Drops every template on `backend`'s server (whatever its age, even one another process is
/// using) and forgets this process's; returns their names.
pub(crate) async fn drop_all(admin: &mut Admin, backend: Backend) -> Result<Vec<String>, Error> {
    forget_all(backend);
    let list = crate::scratch_name::list_sql(admin.dialect(), PREFIX);
    let names = admin
        .column(&list)
        .await
        .map_err(|e| admin_error("listing templates", e))?;
    let mut dropped = Vec::new();
    for name in names.into_iter().filter(|n| created_secs(n).is_some()) {
        admin
            .drop_database(&name)
            .await
            .map_err(|e| admin_error("dropping a template", e))?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// Removes every SQLite template file and forgets this process's; returns their names.
pub(crate) fn drop_all_files() -> Result<Vec<String>, Error> {
    forget_all(Backend::Sqlite);
    let mut dropped = Vec::new();
    let Ok(entries) = std::fs::read_dir(sqlite::folder()) else {
        return Ok(dropped);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(".db") {
            std::fs::remove_file(entry.path())
                .map_err(|e| admin_error("removing a template file", DriverError::other(e)))?;
            dropped.push(name);
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_carry_their_creation_time() {
        assert_eq!(
            created_secs("migrate_tpl_0123abcd_1700000000"),
            Some(1_700_000_000)
        );
        for name in [
            "migrate_tpl_",
            "migrate_tpl_xyz_1",
            "migrate_tpl_ab_",
            "migrate_tpl_ab_1_2",
            "migrate_test_1_2_3",
        ] {
            assert_eq!(created_secs(name), None, "{name}");
        }
    }

    #[test]
    fn templates_are_stale_after_a_day() {
        let now = 10 * STALE_AFTER.as_secs();
        let name = |created: u64| format!("{PREFIX}ab_{created}");
        assert!(is_stale(&name(0), now));
        assert!(!is_stale(&name(now - 60), now));
        assert!(!is_stale(&name(now - STALE_AFTER.as_secs()), now));
        assert!(!is_stale("migrate_tpl_nothex_0", now));
    }
}
