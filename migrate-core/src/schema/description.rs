//! The schema description model: [`ObjectKind`], [`SchemaObject`] and
//! [`SchemaDescription`], a sorted set of objects, with its canonical text and fingerprint.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};

use super::text::{escape_into, one_line};
use super::Fingerprint;

/// What kind of schema object a [`SchemaObject`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A table (its options, such as MySQL's engine and collation).
    Table,
    /// A column of a table, named `table.column`.
    Column,
    /// An index, named `table.index`.
    Index,
    /// A primary key, unique, foreign key or check constraint, named `table.constraint`.
    Constraint,
    /// A view.
    View,
    /// A trigger, named `table.trigger` (PostgreSQL trigger names are unique per table only).
    Trigger,
    /// A stored function or procedure: `procedure p` / `function f` on MySQL/MariaDB (which
    /// let the two share a name), `f(integer)` with its argument types on PostgreSQL.
    Routine,
    /// A sequence (PostgreSQL, MariaDB).
    Sequence,
    /// A user-defined type: an enum, a domain, a composite (PostgreSQL).
    Type,
}

impl ObjectKind {
    /// Every kind, in description order.
    pub const ALL: [ObjectKind; 9] = [
        ObjectKind::Table,
        ObjectKind::Column,
        ObjectKind::Index,
        ObjectKind::Constraint,
        ObjectKind::View,
        ObjectKind::Trigger,
        ObjectKind::Routine,
        ObjectKind::Sequence,
        ObjectKind::Type,
    ];

    /// The word used in descriptions and diffs (`table`, `column`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Index => "index",
            ObjectKind::Constraint => "constraint",
            ObjectKind::View => "view",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Routine => "routine",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Type => "type",
        }
    }

    pub(super) fn from_word(word: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object of a schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaObject {
    /// What it is.
    pub kind: ObjectKind,
    /// Its name; columns, indexes and constraints are qualified by their table (`apps.name`).
    pub name: String,
    /// Its definition, as the server normalises it (`varchar(255) NOT NULL DEFAULT NULL`).
    pub definition: String,
}

impl fmt::Display for SchemaObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.kind,
            self.name,
            one_line(&self.definition)
        )
    }
}

/// A canonical description of a schema: its objects, sorted by kind and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaDescription {
    pub(super) objects: BTreeMap<(ObjectKind, String), String>,
}

impl SchemaDescription {
    /// A description holding `objects`; a later object replaces an earlier one of the same
    /// kind and name.
    pub fn from_objects(objects: impl IntoIterator<Item = SchemaObject>) -> SchemaDescription {
        SchemaDescription {
            objects: objects
                .into_iter()
                .map(|o| ((o.kind, o.name), o.definition))
                .collect(),
        }
    }

    /// The objects, sorted by kind and name.
    pub fn objects(&self) -> impl Iterator<Item = SchemaObject> + '_ {
        self.objects
            .iter()
            .map(|((kind, name), definition)| SchemaObject {
                kind: *kind,
                name: name.clone(),
                definition: definition.clone(),
            })
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the schema has no objects at all.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The definition of the object of `kind` named `name`, if there is one.
    pub fn get(&self, kind: ObjectKind, name: &str) -> Option<&str> {
        self.objects
            .get(&(kind, name.to_owned()))
            .map(String::as_str)
    }

    /// The tables, by name, with their definitions.
    pub(super) fn tables(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.objects
            .iter()
            .filter(|((kind, _), _)| *kind == ObjectKind::Table)
            .map(|((_, name), definition)| (name.as_str(), definition.as_str()))
    }

    /// The canonical text the fingerprint is taken over: one line per object, `kind`, name and
    /// definition separated by tabs, with backslash, tab, CR and LF escaped as `\\`, `\t`,
    /// `\r`, `\n`.
    pub fn canonical_text(&self) -> String {
        let mut text = String::new();
        for ((kind, name), definition) in &self.objects {
            canonical_line(&mut text, *kind, name, definition);
        }
        text
    }

    /// The SHA-256 of [`SchemaDescription::canonical_text`], hashed as it is written, a few
    /// kilobytes at a time.
    pub fn fingerprint(&self) -> Fingerprint {
        const CHUNK: usize = 16 * 1024;
        let mut hasher = Sha256::new();
        let mut text = String::with_capacity(CHUNK + 256);
        for ((kind, name), definition) in &self.objects {
            canonical_line(&mut text, *kind, name, definition);
            if text.len() >= CHUNK {
                hasher.update(text.as_bytes());
                text.clear();
            }
        }
        hasher.update(text.as_bytes());
        Fingerprint::from_digest(hasher.finalize().into())
    }
}

impl fmt::Display for SchemaDescription {
    /// One object per line, `kind name: definition`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for object in self.objects() {
            writeln!(f, "{object}")?;
        }
        Ok(())
    }
}

/// Appends one line of the canonical text: kind, name and definition separated by tabs.
fn canonical_line(out: &mut String, kind: ObjectKind, name: &str, definition: &str) {
    out.push_str(kind.as_str());
    out.push('\t');
    escape_into(out, name);
    out.push('\t');
    escape_into(out, definition);
    out.push('\n');
}
