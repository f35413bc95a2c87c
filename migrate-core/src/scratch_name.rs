//! Names of the databases that exist only for a while — `verify`'s scratch databases and the
//! test databases of `testing` — and the rule that decides when a left-over one is stale.
//!
//! A name is `{prefix}{pid}_{created}_{n}`: the prefix marks what made it, `pid` the process,
//! `created` the creation time in seconds since the Unix epoch, `n` a per-process counter. A
//! database is stale when it was created more than [`STALE_AFTER`] ago. The age is the only
//! test: a process id says nothing about a process on another machine (or in another container)
//! sharing the server, whose databases must survive a sweep while it runs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How old a left-over database must be before a sweep drops it: longer than any run of
/// `verify` or of a test suite.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A new name with `prefix`, unique within the process and stamped with the current time.
pub(crate) fn new_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}_{}_{n}", std::process::id(), now_secs())
}

/// When the database `name` was created, if it is a name [`new_name`] made with `prefix`.
pub(crate) fn created_secs(prefix: &str, name: &str) -> Option<u64> {
    let mut parts = name.strip_prefix(prefix)?.split('_');
    let (pid, created, n) = (parts.next()?, parts.next()?, parts.next()?);
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !number(pid) || !number(n) || !number(created) {
        return None;
    }
    created.parse().ok()
}

/// Whether `name` is one of ours (made with `prefix`) created more than [`STALE_AFTER`] before
/// `now` (seconds since the epoch). Names of another shape are never stale: not ours to drop.
pub(crate) fn is_stale(prefix: &str, name: &str, now: u64) -> bool {
    created_secs(prefix, name)
        .is_some_and(|created| now.saturating_sub(created) > STALE_AFTER.as_secs())
}

/// The SQL that lists the databases whose name starts with `prefix` (a literal of letters and
/// `_`; `_` also matches any character in `LIKE`, which [`is_stale`] makes harmless).
pub(crate) fn list_sql(dialect: crate::Dialect, prefix: &str) -> String {
    match dialect {
        crate::Dialect::MySql => format!(
            "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}%'"
        ),
        _ => format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{prefix}%'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "migrate_verify_";
    const DAY: u64 = 24 * 60 * 60;

    #[test]
    fn new_names_carry_prefix_pid_time_and_differ() {
        let (a, b) = (new_name(P), new_name(P));
        assert_ne!(a, b);
        let created = created_secs(P, &a).expect("parses");
        assert!(now_secs() - created < 5);
        assert!(a.starts_with(&format!("{P}{}_", std::process::id())));
    }

    #[test]
    fn stale_only_after_a_day() {
        let now = 10 * DAY;
        let name = |created: u64| format!("{P}4294967290_{created}_0");
        assert!(is_stale(P, &name(0), now));
        assert!(is_stale(P, &name(now - DAY - 1), now));
        assert!(!is_stale(P, &name(now - DAY), now));
        assert!(!is_stale(P, &name(now - 60), now));
        // A clock behind the creator's: not stale.
        assert!(!is_stale(P, &name(now + 60), now));
    }

    #[test]
    fn names_of_another_shape_are_never_stale() {
        for name in [
            "migrate_verify_",
            "migrate_verify_1_2",
            "migrate_verify_1_2_3_4",
            "migrate_verify_a_0_0",
            "migrate_verifyX1_0_0",
            "migrate_test_1_0_0",
            "app",
        ] {
            assert!(!is_stale(P, name, 10 * DAY), "{name}");
        }
    }
}
