//! Pools of ready copies of each template, so that a test at version N pays for claiming a
//! copy, not for making one.
//!
//! Once a process has used a template, a background thread (with a runtime of its own: each
//! `#[tokio::test]` runtime dies with its test) keeps [`size`] copies of it ready on the server,
//! shared by every process using that template. A test claims one atomically — several threads
//! and processes claiming at once each get a different copy — and the refill starts again. When
//! the pool is empty the test copies the template itself, as without a pool.
//!
//! | backend | a ready copy | claimed by |
//! |---|---|---|
//! | PostgreSQL | the database `migrate_pool_<key>_…`, made by `CREATE DATABASE … TEMPLATE` (visible only once complete) | `ALTER DATABASE … RENAME TO migrate_test_…`: one claimer succeeds, the others find no such database |
//! | MySQL/MariaDB | the database `migrate_pool_<key>_…`, listed as `ready` in the `MEMORY` table `migrate_pool.copies` once copied | deleting its `ready` row (`ROW_COUNT()` says who did); the test keeps the database's name (there is no database rename) |
//! | SQLite | the file `migrate_pool_<key>_….db` beside the template, renamed into place once copied | `rename(2)` into the test's own folder |
//!
//! `<key>` is taken from the template's name, which names its digest: a copy of an outdated
//! template is never claimed, because an edited migration set has another template. Copies are
//! named like test databases (`{prefix}{pid}_{created}_{n}`), are claimed only while younger
//! than the templates' reuse age and are swept, like them, after a day; `drop_all_templates`
//! drops them all. A MariaDB copy whose builder died half-way (its `building` row's lock free)
//! is dropped by the next refill; the `MEMORY` table forgets its rows when the server restarts,
//! which only strands copies until the sweep.

mod copies;
mod files;
mod refill;
mod server;

use std::path::PathBuf;

pub(crate) use copies::{is_stale, size, Pool, PREFIX};
pub(crate) use files::drop_all as drop_all_files;
pub(crate) use refill::{forget, settled, stats, wake};
pub(crate) use server::drop_all;

use super::admin::Admin;
use crate::driver::DriverError;

/// A copy claimed for a test.
#[derive(Debug)]
pub(crate) enum Claimed {
    /// A server database, by its name now.
    Database(String),
    /// An SQLite file moved into a folder of the test's own.
    File(tempfile::TempDir, PathBuf),
}

/// Claims a ready copy of `pool`'s template for a test named `name` (PostgreSQL: the name the
/// copy takes; SQLite: its file's stem); `None` when the pool is empty or off. The claimer
/// wakes the refill either way.
pub(crate) async fn claim(
    admin: Option<&mut Admin>,
    pool: &Pool,
    name: &str,
) -> Result<Option<Claimed>, DriverError> {
    if size() == 0 {
        return Ok(None);
    }
    let claimed = match admin {
        Some(admin) => server::claim(admin, pool, name)
            .await?
            .map(Claimed::Database),
        None => files::claim(pool, name)?.map(|(dir, path)| Claimed::File(dir, path)),
    };
    wake(pool.clone());
    Ok(claimed)
}
