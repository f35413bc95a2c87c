//! Comparing two descriptions: [`SchemaDiff`], what was added, removed or changed.

use std::fmt;

use super::text::one_line;
use super::{ObjectKind, SchemaChange, SchemaDescription, SchemaObject};

impl SchemaDescription {
    /// What changed from `self` to `after`.
    pub fn diff(&self, after: &SchemaDescription) -> SchemaDiff {
        let mut diff = SchemaDiff::default();
        for ((kind, name), before) in &self.objects {
            let object = |definition: &String| SchemaObject {
                kind: *kind,
                name: name.clone(),
                definition: definition.clone(),
            };
            match after.objects.get(&(*kind, name.clone())) {
                None => diff.removed.push(object(before)),
                Some(now) if now != before => diff.changed.push(ChangedObject {
                    kind: *kind,
                    name: name.clone(),
                    before: before.clone(),
                    after: now.clone(),
                }),
                Some(_) => {}
            }
        }
        for ((kind, name), definition) in &after.objects {
            if !self.objects.contains_key(&(*kind, name.clone())) {
                diff.added.push(SchemaObject {
                    kind: *kind,
                    name: name.clone(),
                    definition: definition.clone(),
                });
            }
        }
        diff
    }
}

/// An object whose definition differs between two descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedObject {
    /// What it is.
    pub kind: ObjectKind,
    /// Its name.
    pub name: String,
    /// The definition before.
    pub before: String,
    /// The definition after.
    pub after: String,
}

/// What was added, removed or changed between two descriptions, each list sorted by kind and
/// name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaDiff {
    /// Objects only in the second description.
    pub added: Vec<SchemaObject>,
    /// Objects only in the first description.
    pub removed: Vec<SchemaObject>,
    /// Objects in both, with different definitions.
    pub changed: Vec<ChangedObject>,
}

impl SchemaDiff {
    /// Whether the two descriptions are equal.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The change that turns the first description into the second.
    pub fn to_change(&self) -> SchemaChange {
        SchemaChange {
            removed: self
                .removed
                .iter()
                .map(|o| (o.kind, o.name.clone()))
                .collect(),
            set: self
                .added
                .iter()
                .cloned()
                .chain(self.changed.iter().map(|c| SchemaObject {
                    kind: c.kind,
                    name: c.name.clone(),
                    definition: c.after.clone(),
                }))
                .collect(),
        }
    }
}

impl fmt::Display for SchemaDiff {
    /// One line per difference: `+ added`, `- removed`, `~ changed: before -> after`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "  (no differences)");
        }
        for object in &self.added {
            writeln!(f, "  + {object}")?;
        }
        for object in &self.removed {
            writeln!(f, "  - {object}")?;
        }
        for changed in &self.changed {
            writeln!(
                f,
                "  ~ {} {}: {} -> {}",
                changed.kind,
                changed.name,
                one_line(&changed.before),
                one_line(&changed.after)
            )?;
        }
        Ok(())
    }
}
