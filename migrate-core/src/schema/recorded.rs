//! The live schema against the history's rows: which row's fingerprint to compare with, and
//! what the comparison found. Apart from [`super::drift`], so that the drift report the error
//! enum carries does not depend on the history model.

use super::drift::{Drift, SchemaCheck};
use super::{rebuild, SchemaChange, SchemaDescription};
use crate::history::{AppliedMigration, State};

/// The row whose recorded fingerprint the live schema is compared with: the last applied by
/// time (with out-of-order versions the newest row is not always the highest version). A run
/// records the fingerprint of the version it ends at, so this row has the last one recorded,
/// unless the run was cut off before recording it.
pub(crate) fn last_applied<'a>(
    rows: impl IntoIterator<Item = &'a AppliedMigration>,
) -> Option<&'a AppliedMigration> {
    rows.into_iter()
        .filter(|r| r.state == State::Applied)
        .max_by(|a, b| (&a.applied_at, a.version).cmp(&(&b.applied_at, b.version)))
}

/// How `live` drifted from the schema recorded for the last applied of `rows`; `None` when it
/// matches, or when nothing was recorded to compare with. `expected` is the schema the
/// history's stored changes rebuild.
pub(crate) fn find<'a>(
    rows: impl IntoIterator<Item = &'a AppliedMigration>,
    expected: &SchemaDescription,
    live: &SchemaDescription,
) -> Option<Drift> {
    let last = last_applied(rows)?;
    let recorded = last.fingerprint?;
    (live.fingerprint() != recorded).then(|| Drift::new(last.version, recorded, expected, live))
}

impl SchemaCheck {
    /// Compares `live` with the history: `applied` (the history rows) and `changes` (each row's
    /// stored change, in version order).
    pub(crate) fn compare(
        applied: &[AppliedMigration],
        changes: &[(crate::Version, Option<SchemaChange>)],
        live: &SchemaDescription,
    ) -> SchemaCheck {
        if let Some(failed) = applied.iter().find(|r| r.state == State::Failed) {
            return SchemaCheck::Interrupted {
                version: failed.version,
            };
        }
        let Some(last) = last_applied(applied) else {
            return SchemaCheck::NothingApplied;
        };
        let Some(recorded) = last.fingerprint else {
            return SchemaCheck::NotRecorded {
                version: last.version,
            };
        };
        let fingerprint = live.fingerprint();
        if fingerprint == recorded {
            return SchemaCheck::Matches {
                version: last.version,
                fingerprint,
            };
        }
        let expected = rebuild(changes.iter().filter_map(|(_, c)| c.as_ref()));
        SchemaCheck::Drifted(Drift::new(last.version, recorded, &expected, live))
    }
}
