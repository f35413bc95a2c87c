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

mod copying;
mod mysql;
mod name;
mod request;
mod sqlite;

pub(crate) use copying::{create, Template};
pub(crate) use name::{folder as templates_folder, is_stale, PREFIX, REUSE_FOR};
pub(crate) use request::Request;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::admin::{admin_error, Admin};
use super::backend::Backend;
use crate::driver::{with_database, DriverError};
use crate::scratch_name::now_secs;
use crate::{Error, MigrationSet, Target, Version};
use name::{created_secs, hex};
use request::{history_complete, migrate, Key};

/// How long a process waits for another one building the same template.
const LOCK_WAIT: Duration = Duration::from_secs(600);

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
            copying::mysql_template(admin, name).await.map(Some)
        }
    }
}

/// The comment that marks a finished PostgreSQL template.
fn mark(digest: &[u8; 32]) -> String {
    format!("migrate template {}", hex(digest))
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
        Admin::MySql(_) => copying::mysql_template(admin, name).await,
    }
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
    let Ok(entries) = std::fs::read_dir(name::folder()) else {
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
