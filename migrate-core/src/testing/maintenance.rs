//! Work on a test server outside any test: dropping the stale test databases or every
//! template, and waiting for or measuring the pools' background refill. For benchmarks, and
//! for clearing a shared server by hand.

use super::admin::{admin_error, Admin};
use super::backend::Backend;
use super::database::drop_stale;
use super::pool;
use super::skip::servers_required;
use super::template;
use crate::Error;

/// Drops the test databases, templates and pooled copies on `backend`'s server created more
/// than a day ago (what [`TestDatabase::create`](super::TestDatabase::create) does once per
/// process); `Ok(None)` when the server is unreachable and not required. Returns the names
/// dropped.
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
/// the next [`TestDatabase::at`](super::TestDatabase::at) of a template this process used
/// claims a copy made ahead. For benchmarks; tests never need to wait (an empty pool only means
/// a copy made on the spot).
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
