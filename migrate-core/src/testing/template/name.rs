//! Where templates live and what they are called: the prefix of their names, the folder of
//! SQLite template files, the creation time a server template's name carries, and the ages that
//! decide when a template is reused and when it is swept.

use std::path::PathBuf;
use std::time::Duration;

use crate::scratch_name::STALE_AFTER;

/// The prefix of every template database's name.
pub(crate) const PREFIX: &str = "migrate_tpl_";

/// How long after its creation a template is still taken for new test databases. Half the
/// sweep's age, so that no run starts cloning a template that a sweep may drop meanwhile.
pub(crate) const REUSE_FOR: Duration = Duration::from_secs(STALE_AFTER.as_secs() / 2);

/// The folder of SQLite templates.
pub(crate) fn folder() -> PathBuf {
    std::env::temp_dir().join("migrate_templates")
}

/// `bytes` as lowercase hexadecimal digits: how a digest appears in names and marks.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// When the template `name` was created, if it is a template's name.
pub(crate) fn created_secs(name: &str) -> Option<u64> {
    let (digest, created) = name.strip_prefix(PREFIX)?.split_once('_')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(digest) && digits(created)).then(|| created.parse().ok())?
}

/// Whether `name` is a template created more than a day before `now`.
pub(crate) fn is_stale(name: &str, now: u64) -> bool {
    created_secs(name).is_some_and(|c| now.saturating_sub(c) > STALE_AFTER.as_secs())
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
