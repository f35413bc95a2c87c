//! The change one migration made to the schema, [`SchemaChange`]: its text form as stored in
//! the history row, and the expected schema rebuilt from the stored changes.

use std::fmt;
use std::str::FromStr;

use super::text::{escape_into, unescape};
use super::{ObjectKind, SchemaDescription, SchemaObject};

/// The objects one migration removed and set (added or changed), as stored in its history row
/// so that the expected schema can be rebuilt from the rows.
///
/// Text form, one object per line: `-kind<TAB>name` for a removal, `+kind<TAB>name<TAB>definition`
/// for an object added or changed, escaped like [`SchemaDescription::canonical_text`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaChange {
    /// The objects removed, by kind and name.
    pub removed: Vec<(ObjectKind, String)>,
    /// The objects added or changed, with their new definitions.
    pub set: Vec<SchemaObject>,
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        for (kind, name) in &self.removed {
            line.clear();
            line.push('-');
            line.push_str(kind.as_str());
            line.push('\t');
            escape_into(&mut line, name);
            writeln!(f, "{line}")?;
        }
        for object in &self.set {
            line.clear();
            line.push('+');
            line.push_str(object.kind.as_str());
            line.push('\t');
            escape_into(&mut line, &object.name);
            line.push('\t');
            escape_into(&mut line, &object.definition);
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// A stored [`SchemaChange`] that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable schema change at line {line}: {reason}")]
pub struct ParseSchemaChangeError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for SchemaChange {
    type Err = ParseSchemaChangeError;

    fn from_str(text: &str) -> Result<SchemaChange, ParseSchemaChangeError> {
        let mut change = SchemaChange::default();
        for (index, line) in text.lines().enumerate() {
            let fail = |reason| ParseSchemaChangeError {
                line: index + 1,
                reason,
            };
            if line.is_empty() {
                continue;
            }
            let (sign, rest) = line.split_at(1);
            let mut fields = rest.split('\t');
            let kind = fields
                .next()
                .and_then(ObjectKind::from_word)
                .ok_or_else(|| fail("unknown object kind"))?;
            let name = unescape(fields.next().ok_or_else(|| fail("no name"))?)
                .ok_or_else(|| fail("bad escape in the name"))?;
            match sign {
                "-" => change.removed.push((kind, name)),
                "+" => {
                    let definition = unescape(fields.next().ok_or_else(|| fail("no definition"))?)
                        .ok_or_else(|| fail("bad escape in the definition"))?;
                    change.set.push(SchemaObject {
                        kind,
                        name,
                        definition,
                    });
                }
                _ => return Err(fail("a line must start with + or -")),
            }
            if fields.next().is_some() {
                return Err(fail("too many fields"));
            }
        }
        Ok(change)
    }
}

impl SchemaDescription {
    /// This description with `change` applied.
    pub fn apply(&mut self, change: &SchemaChange) {
        for (kind, name) in &change.removed {
            self.objects.remove(&(*kind, name.clone()));
        }
        for object in &change.set {
            self.objects.insert(
                (object.kind, object.name.clone()),
                object.definition.clone(),
            );
        }
    }
}

/// The description the stored changes build, applied in order to an empty schema.
pub(crate) fn rebuild<'a>(
    changes: impl IntoIterator<Item = &'a SchemaChange>,
) -> SchemaDescription {
    let mut description = SchemaDescription::default();
    for change in changes {
        description.apply(change);
    }
    description
}
