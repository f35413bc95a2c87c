//! Where a database stands: the newest version its history records, the versions pending,
//! and the one line that says so.

use crate::history::AppliedMigration;
use crate::status::{VersionState, VersionStatus};
use crate::Version;

/// The versions `lines` shows as pending.
pub(super) fn pending(lines: &[VersionStatus]) -> Vec<u32> {
    lines
        .iter()
        .filter(|l| l.state == VersionState::Pending)
        .map(|l| l.version.get())
        .collect()
}

/// The newest version the history records.
pub(in crate::cli) fn current(applied: &[AppliedMigration]) -> Option<Version> {
    applied.iter().map(|r| r.version).max()
}

/// `at version 2 of 3; pending: 3`.
pub(in crate::cli) fn standing(
    current: Option<Version>,
    latest: Option<Version>,
    pending: &[u32],
) -> String {
    let at = current.map_or("empty (no version applied)".to_owned(), |v| {
        format!("at version {v}")
    });
    let latest = latest.map_or("no version is known here".to_owned(), |v| {
        format!("the newest known here is {v}")
    });
    if pending.is_empty() {
        format!("database {at}; {latest}; nothing pending")
    } else {
        let list: Vec<String> = pending.iter().map(u32::to_string).collect();
        format!(
            "database {at}; {latest}; pending: {} (run `up`)",
            list.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_names_pending_versions_and_the_action() {
        let v = |n| Version::new(n);
        assert_eq!(
            standing(v(1), v(3), &[2, 3]),
            "database at version 1; the newest known here is 3; pending: 2, 3 (run `up`)"
        );
        assert_eq!(
            standing(None, v(1), &[1]),
            "database empty (no version applied); the newest known here is 1; pending: 1 (run `up`)"
        );
        assert_eq!(
            standing(v(2), v(2), &[]),
            "database at version 2; the newest known here is 2; nothing pending"
        );
    }
}
