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

mod files;
mod refill;
mod server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

pub(crate) use refill::{forget, settled, stats, wake};
pub(crate) use server::drop_all;

use super::admin::Admin;
use super::backend::Backend;
use super::template::{Template, REUSE_FOR};
use crate::driver::DriverError;
use crate::scratch_name::{now_secs, STALE_AFTER};

/// The prefix of every pooled copy's name.
pub(crate) const PREFIX: &str = "migrate_pool_";

/// Ready copies kept per template when `MIGRATE_TEST_POOL` does not say otherwise.
const DEFAULT_SIZE: usize = 2;
/// The most `MIGRATE_TEST_POOL` may ask for.
const MAX_SIZE: usize = 8;

/// How many ready copies are kept per template: `MIGRATE_TEST_POOL` (0 turns pools off, at most
/// [`MAX_SIZE`]), else [`DEFAULT_SIZE`].
pub(crate) fn size() -> usize {
    std::env::var("MIGRATE_TEST_POOL")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(DEFAULT_SIZE, |n| n.min(MAX_SIZE))
}

/// The pool of one template.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub(crate) backend: Backend,
    /// The template's database name, or its file's path on SQLite.
    pub(crate) template: String,
    /// The template itself (MariaDB: with the statements that copy it).
    pub(crate) source: Template,
    /// The part of the copies' names that says whose copies they are.
    key: String,
}

impl Pool {
    /// The pool of `template`, or `None` when there is nothing to copy.
    pub(crate) fn of(backend: Backend, template: &Template) -> Option<Pool> {
        let name = template.name()?;
        let digest = Sha256::digest(name.as_bytes());
        let key = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Some(Pool {
            backend,
            template: name,
            source: template.clone(),
            key,
        })
    }

    /// The start of every copy's name.
    fn stem(&self) -> String {
        format!("{PREFIX}{}_", self.key)
    }

    /// A new copy's name.
    fn new_name(&self) -> String {
        crate::scratch_name::new_name(&self.stem())
    }

    /// Whether `name` is one of this pool's copies, young enough to be claimed.
    fn claimable(&self, name: &str) -> bool {
        name.starts_with(&self.stem())
            && created_secs(name)
                .is_some_and(|c| now_secs().saturating_sub(c) < REUSE_FOR.as_secs())
    }

    /// Whether two pools are one (same server, same template).
    fn same(&self, other: &Pool) -> bool {
        self.backend == other.backend && self.template == other.template
    }
}

/// `names` from a point that differs per call, so that claimers racing for the same pool do
/// not all try the same copy first.
fn rotated(mut names: Vec<String>) -> Vec<String> {
    static TURN: AtomicUsize = AtomicUsize::new(0);
    if !names.is_empty() {
        let turn = TURN.fetch_add(1, Ordering::Relaxed) + std::process::id() as usize;
        let len = names.len();
        names.rotate_left(turn % len);
    }
    names
}

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

/// When the copy `name` was made, if it is a pooled copy's name.
pub(crate) fn created_secs(name: &str) -> Option<u64> {
    let (key, rest) = name.strip_prefix(PREFIX)?.split_once('_')?;
    if key.len() != 16 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    crate::scratch_name::created_secs("", rest)
}

/// Whether `name` is a pooled copy made more than a day before `now`.
pub(crate) fn is_stale(name: &str, now: u64) -> bool {
    created_secs(name).is_some_and(|c| now.saturating_sub(c) > STALE_AFTER.as_secs())
}

pub(crate) use files::drop_all as drop_all_files;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_named_after_their_template_and_time() {
        let pool = Pool::of(
            Backend::Postgres,
            &Template::Postgres("migrate_tpl_ab_1".into()),
        )
        .expect("a pool");
        let name = pool.new_name();
        assert!(name.starts_with(&pool.stem()), "{name}");
        assert!(name.len() <= 63, "{name}");
        assert!(pool.claimable(&name));
        assert!(now_secs() - created_secs(&name).expect("parses") < 5);
        let other = Pool::of(
            Backend::Postgres,
            &Template::Postgres("migrate_tpl_ab_2".into()),
        )
        .expect("a pool");
        assert!(!other.claimable(&name), "another template's copy");
    }

    #[test]
    fn copies_are_stale_after_a_day_and_other_names_never() {
        let day = STALE_AFTER.as_secs();
        let now = 10 * day;
        let name = |created: u64| format!("{PREFIX}0123456789abcdef_42_{created}_0");
        assert!(is_stale(&name(0), now));
        assert!(!is_stale(&name(now - 60), now));
        for other in [
            "migrate_pool",
            "migrate_pool_0123_42_0_0",
            "migrate_pool_0123456789abcdef_42_0",
            "migrate_test_42_0_0",
        ] {
            assert!(!is_stale(other, now), "{other}");
        }
    }

    #[test]
    fn rotation_keeps_every_name() {
        let names: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        let mut turned = rotated(names.clone());
        turned.sort();
        assert_eq!(turned, names);
        assert!(rotated(Vec::new()).is_empty());
    }
}
