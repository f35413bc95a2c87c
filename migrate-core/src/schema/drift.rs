//! Drift: the live schema against the one the history records for the last applied version.
//!
//! [`SchemaCheck`] is what `status` and `validate` report. While a command runs, the runner
//! compares before an `up` (a difference found then is kept out of the fingerprints the
//! versions it applies record, so that it stays reported until `accept-schema` records it), after
//! a revert and after a `repair` (what the failed version left behind). A `resume` does not
//! compare: its version stopped part-way, so the schema is between two versions.
//!
//! The fingerprint compared with is always that of the newest applied row ([`super::recorded::last_applied`]).
//! With fingerprints per run (the default) the versions a run applies before its last have
//! none, and need none: the last one's covers them, and its stored change is the whole run's,
//! so the stored changes still rebuild the recorded schema. When the newest row has none (a
//! run cut off before it recorded one, or one with fingerprints off), nothing is compared
//! ([`SchemaCheck::NotRecorded`]): an older fingerprint would report the changes of the
//! versions applied since as drift.

use std::fmt;

use super::Fingerprint;
use super::{ObjectKind, SchemaDescription, SchemaDiff};

/// The live schema differs from the one recorded for the last applied version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The last applied version, whose recorded fingerprint the live schema was compared with.
    pub version: crate::Version,
    /// The fingerprint recorded after it was applied.
    pub recorded: Fingerprint,
    /// The live schema's fingerprint.
    pub live: Fingerprint,
    /// What differs from the recorded schema to the live one; `None` when the history's stored
    /// changes do not rebuild the recorded schema (rows written without them), so only the
    /// fingerprints can be compared.
    pub diff: Option<SchemaDiff>,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the live schema differs from the one recorded after version {} (recorded {}, live {})",
            self.version, self.recorded, self.live
        )?;
        match &self.diff {
            Some(diff) => write!(f, "{diff}"),
            None => writeln!(
                f,
                "  (the history holds no description to compare with, only the fingerprint)"
            ),
        }
    }
}

impl Drift {
    /// The drift of `live` from the schema recorded after `version` (`recorded`), with a diff
    /// when `expected`, the schema the history's stored changes rebuild, is that schema.
    pub(crate) fn new(
        version: crate::Version,
        recorded: Fingerprint,
        expected: &SchemaDescription,
        live: &SchemaDescription,
    ) -> Drift {
        Drift {
            version,
            recorded,
            live: live.fingerprint(),
            diff: (expected.fingerprint() == recorded).then(|| expected.diff(live)),
        }
    }
}

/// `after`, the live schema after some versions were applied on a schema that had drifted by
/// `drift`, with every drifted object those versions left as it was put back as recorded: the
/// schema the history records, which keeps the drift reported. An object the versions
/// changed, or whose table they dropped, stays as they left it.
pub(crate) fn without(after: &SchemaDescription, drift: &SchemaDiff) -> SchemaDescription {
    let mut recorded = after.clone();
    let now = |kind: ObjectKind, name: &str| after.get(kind, name);
    let table_kept = |kind: ObjectKind, name: &str| match kind {
        ObjectKind::Column | ObjectKind::Index | ObjectKind::Constraint | ObjectKind::Trigger => {
            name.split_once('.')
                .is_some_and(|(table, _)| now(ObjectKind::Table, table).is_some())
        }
        _ => true,
    };
    for object in &drift.added {
        if now(object.kind, &object.name) == Some(object.definition.as_str()) {
            recorded.objects.remove(&(object.kind, object.name.clone()));
        }
    }
    for object in &drift.removed {
        if now(object.kind, &object.name).is_none() && table_kept(object.kind, &object.name) {
            recorded.objects.insert(
                (object.kind, object.name.clone()),
                object.definition.clone(),
            );
        }
    }
    for changed in &drift.changed {
        if now(changed.kind, &changed.name) == Some(changed.after.as_str()) {
            recorded
                .objects
                .insert((changed.kind, changed.name.clone()), changed.before.clone());
        }
    }
    recorded
}

/// What comparing the live schema with the history found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaCheck {
    /// No version is applied, so there is nothing to compare with.
    NothingApplied,
    /// The last applied version has no recorded fingerprint: a run stopped (a crash, a lost
    /// connection, a journaled version that failed after changing the schema) before it
    /// recorded one for the versions it applied, fingerprints were off, or the history was
    /// written before fingerprints were recorded. The next run that applies or reverts
    /// records one (or `accept-schema`).
    NotRecorded {
        /// The last applied version.
        version: crate::Version,
    },
    /// An operation on `version` stopped part-way, so the schema is between two versions; see
    /// `status`.
    Interrupted {
        /// The version of the failed row.
        version: crate::Version,
    },
    /// The live schema is the one recorded after the last applied version.
    Matches {
        /// The last applied version.
        version: crate::Version,
        /// Its fingerprint, and the live schema's.
        fingerprint: Fingerprint,
    },
    /// The live schema differs from the one recorded.
    Drifted(Drift),
}

impl fmt::Display for SchemaCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaCheck::NothingApplied => writeln!(f, "schema: no version applied"),
            SchemaCheck::NotRecorded { version } => writeln!(
                f,
                "schema: not checked, no fingerprint was recorded for version {version}"
            ),
            SchemaCheck::Interrupted { version } => {
                writeln!(f, "schema: not checked, version {version} stopped part-way")
            }
            SchemaCheck::Matches {
                version,
                fingerprint,
            } => writeln!(f, "schema: matches version {version} ({fingerprint})"),
            SchemaCheck::Drifted(drift) => writeln!(
                f,
                "schema: DRIFT: {drift}  make the change a migration, undo it by hand, or record \
                 it with `accept-schema` if it is intended"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaObject;

    fn description(objects: &[(ObjectKind, &str, &str)]) -> SchemaDescription {
        SchemaDescription::from_objects(objects.iter().map(|(kind, name, definition)| {
            SchemaObject {
                kind: *kind,
                name: (*name).to_owned(),
                definition: (*definition).to_owned(),
            }
        }))
    }

    const T: ObjectKind = ObjectKind::Table;
    const C: ObjectKind = ObjectKind::Column;

    /// Recorded: t(a INT). By hand: t.a changed, t.hotfix added, table gone removed.
    fn drift() -> SchemaDiff {
        let expected = description(&[(T, "t", ""), (C, "t.a", "#1 int"), (T, "gone", "")]);
        let live = description(&[
            (T, "t", ""),
            (C, "t.a", "#1 bigint"),
            (C, "t.hotfix", "#2 int"),
        ]);
        expected.diff(&live)
    }

    #[test]
    fn drift_a_version_left_alone_is_kept_out() {
        let after = description(&[
            (T, "t", ""),
            (C, "t.a", "#1 bigint"),
            (C, "t.hotfix", "#2 int"),
            (T, "new", ""),
        ]);
        let recorded = without(&after, &drift());
        assert_eq!(
            recorded,
            description(&[
                (T, "t", ""),
                (C, "t.a", "#1 int"),
                (T, "gone", ""),
                (T, "new", "")
            ])
        );
    }

    #[test]
    fn drifted_objects_a_version_changed_stay_as_it_left_them() {
        // The version dropped the drifted column and changed the other one again.
        let after = description(&[(T, "t", ""), (C, "t.a", "#1 text")]);
        let recorded = without(&after, &drift());
        assert_eq!(
            recorded,
            description(&[(T, "t", ""), (C, "t.a", "#1 text"), (T, "gone", "")])
        );
    }

    #[test]
    fn removed_objects_of_a_dropped_table_are_not_put_back() {
        let expected = description(&[(T, "t", ""), (C, "t.a", "#1 int"), (C, "t.b", "#2 int")]);
        let live = description(&[(T, "t", ""), (C, "t.a", "#1 int")]);
        let recorded = without(&SchemaDescription::default(), &expected.diff(&live));
        assert!(recorded.is_empty(), "{recorded}");
    }
}
