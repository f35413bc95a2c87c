//! What a pool's code shares, whatever the backend: how many copies a pool keeps ([`size`]),
//! whose copies they are and what they are called ([`Pool`], [`PREFIX`]), when one was made and
//! when it is stale, and in what order claimers try them ([`rotated`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

use crate::scratch_name::{now_secs, STALE_AFTER};
use crate::testing::backend::Backend;
use crate::testing::template::{Template, REUSE_FOR};

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
    pub(crate) fn stem(&self) -> String {
        format!("{PREFIX}{}_", self.key)
    }

    /// A new copy's name.
    pub(crate) fn new_name(&self) -> String {
        crate::scratch_name::new_name(&self.stem())
    }

    /// Whether `name` is one of this pool's copies, young enough to be claimed.
    pub(crate) fn claimable(&self, name: &str) -> bool {
        name.starts_with(&self.stem())
            && created_secs(name)
                .is_some_and(|c| now_secs().saturating_sub(c) < REUSE_FOR.as_secs())
    }

    /// Whether two pools are one (same server, same template).
    pub(crate) fn same(&self, other: &Pool) -> bool {
        self.backend == other.backend && self.template == other.template
    }
}

/// `names` from a point that differs per call, so that claimers racing for the same pool do
/// not all try the same copy first.
pub(crate) fn rotated(mut names: Vec<String>) -> Vec<String> {
    static TURN: AtomicUsize = AtomicUsize::new(0);
    if !names.is_empty() {
        let turn = TURN.fetch_add(1, Ordering::Relaxed) + std::process::id() as usize;
        let len = names.len();
        names.rotate_left(turn % len);
    }
    names
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
