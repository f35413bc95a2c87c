//! Schema fingerprints: a canonical description of a database's live schema, its SHA-256, and
//! readable differences between two descriptions.
//!
//! [`describe`] reads the schema of the database a driver is connected to — tables, columns
//! (type, nullability, default), indexes, constraints (primary, unique, foreign keys, checks),
//! views, triggers, routines, and on PostgreSQL sequences and types — in one query, leaving out
//! the history and log tables. The result is a [`SchemaDescription`]: a sorted set of
//! [`SchemaObject`]s, each a kind, a name and a definition in the server's own normalised words.
//! Nothing in it depends on the database's name, on object ids, on creation times or on data
//! (auto-increment counters, sequence positions), so the same scripts run on two databases of
//! the same server version describe the same way.
//!
//! [`SchemaDescription::fingerprint`] is the SHA-256 of the description's canonical text
//! ([`SchemaDescription::canonical_text`]), written `sha256:<hex>` like a checksum.
//! [`SchemaDescription::diff`] says what was added, removed or changed between two
//! descriptions.
//!
//! The runner records the fingerprint after each applied migration in its history row, along
//! with the [`SchemaChange`] from the expected schema before it, so that the expected schema at
//! the last applied version can be rebuilt and compared with the live one ([`Drift`]).
//!
//! # Scoped descriptions
//!
//! Describing the whole schema after every version of a long run would cost a query that
//! grows with the schema each time. The runner judges from each version's statements what they
//! can change, and describes only that:
//!
//! - nothing, for data statements (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`; MySQL's
//!   `TRUNCATE`) on MySQL/MariaDB and SQLite, where triggers and stored functions may not run
//!   DDL, and on PostgreSQL (also `MERGE`, `TRUNCATE`) when the database has no function
//!   outside `pg_catalog` that a trigger, default or rule could run;
//! - the objects of the tables they name — the table, its columns, indexes, constraints and
//!   triggers (on MySQL/MariaDB only for statements that drop a table: nothing else there
//!   changes a table's triggers), and PostgreSQL's sequences — for `CREATE TABLE`,
//!   `ALTER TABLE` (unless it renames, cascades, or moves partitions, inheritance or
//!   schemas), `CREATE INDEX … ON t`, `DROP INDEX` and `DROP TABLE t, …` (without
//!   `CASCADE`), on unqualified names (a MySQL executable comment is read as SQL);
//! - the whole schema for anything else: views, routines, types, sequences, renames, a
//!   schema-qualified name, a PostgreSQL dollar-quoted body; on
//!   PostgreSQL also when an event trigger exists, when a table of the scope has a parent or
//!   partitions, or when a partitioned table is dropped.
//!
//! The judgement is meant to err only towards describing more. What it does not follow is DDL
//! run by a user function that the DDL itself calls (a PostgreSQL column default evaluated by
//! `ADD COLUMN`, an index expression). As a check, when the last version of a run is itself
//! scoped or known after scoped descriptions, it is described whole and compared with what
//! they predicted; a difference is logged as a warning (the fingerprints recorded earlier in
//! the run stay as they were). A run that stops on a failed version, or whose last version is
//! described whole anyway, is not compared.

mod describe;
pub(crate) mod drift;
pub(crate) mod reach;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

pub use crate::digest::Fingerprint;
use crate::driver::{Driver, Row};
use crate::history::HistoryTable;
use crate::Error;

pub use drift::{Drift, SchemaCheck};

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

    fn from_word(word: &str) -> Option<ObjectKind> {
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
    objects: BTreeMap<(ObjectKind, String), String>,
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

    /// Reads the rows of the describe query: kind, name, definition, and on SQLite the text
    /// that ends the definition, to be put on one line ([`append_one_line`]).
    pub(crate) fn from_rows(rows: Vec<Row>) -> Result<SchemaDescription, Error> {
        let mut objects = BTreeMap::new();
        for row in rows {
            let mut cells = row.into_iter();
            let (Some(Some(kind)), Some(Some(name)), Some(mut definition)) =
                (cells.next(), cells.next(), cells.next())
            else {
                return Err(Error::SchemaQuery {
                    detail: "a row without kind or name".to_owned(),
                });
            };
            if let Some(Some(text)) = cells.next() {
                append_one_line(definition.get_or_insert_with(String::new), &text);
            }
            let kind = ObjectKind::from_word(&kind).ok_or_else(|| Error::SchemaQuery {
                detail: format!("unknown object kind `{kind}`"),
            })?;
            if let Some(first) =
                objects.insert((kind, name.clone()), definition.unwrap_or_default())
            {
                // The queries name objects uniquely; a clash would silently hide an object.
                return Err(Error::SchemaQuery {
                    detail: format!("two objects named {kind} {name} (the first: {first})"),
                });
            }
        }
        Ok(SchemaDescription { objects })
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

/// The live schema of the database `driver` is connected to, without the history table
/// `table` and its log: one query.
pub async fn describe<D: Driver>(
    driver: &mut D,
    table: &HistoryTable,
) -> Result<SchemaDescription, Error> {
    let sql = describe::query(driver.dialect(), table, None);
    let rows = driver
        .query_repeated(&sql)
        .await
        .map_err(|source| Error::Driver {
            doing: "describing the schema",
            source,
        })?;
    SchemaDescription::from_rows(rows)
}

/// The tables a scoped description covers, each name once, as the server may have stored it
/// ([`reach::Name::stored`]); on SQLite in lower case, matched without regard to ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    names: Vec<String>,
    dialect: crate::Dialect,
    /// Whether the tables' triggers are described. On MySQL/MariaDB only statements that drop
    /// a table change its triggers (`CREATE TABLE` makes a table without any, `ALTER TABLE`
    /// and the index statements leave them as they are): elsewhere they always are, since
    /// PostgreSQL's `ALTER TABLE` enables and disables triggers and a partition takes its
    /// parent's.
    triggers: bool,
}

impl Scope {
    fn has_table(&self, table: &str) -> bool {
        match self.dialect {
            crate::Dialect::Sqlite => self.names.iter().any(|n| n.eq_ignore_ascii_case(table)),
            _ => self.names.iter().any(|n| n == table),
        }
    }

    /// Whether a scoped description describes the object `kind` `name`: the scope's tables
    /// and what is named after them (triggers only when `triggers` says so); on MySQL/MariaDB
    /// sequences of those names (`DROP TABLE` drops one); on PostgreSQL every sequence (a
    /// table's identity and serial columns make theirs, named otherwise).
    fn covers(&self, kind: ObjectKind, name: &str) -> bool {
        match kind {
            ObjectKind::Table => self.has_table(name),
            ObjectKind::Sequence => {
                self.dialect == crate::Dialect::Postgres || self.has_table(name)
            }
            ObjectKind::Trigger if !self.triggers => false,
            ObjectKind::Column
            | ObjectKind::Index
            | ObjectKind::Constraint
            | ObjectKind::Trigger => name
                .split_once('.')
                .is_some_and(|(table, _)| self.has_table(table)),
            ObjectKind::View | ObjectKind::Routine | ObjectKind::Type => false,
        }
    }
}

impl SchemaDescription {
    /// This description with what `scope` covers replaced by `scoped`, a description of the
    /// same database taken with that scope.
    pub(crate) fn with_scope(
        mut self,
        scope: &Scope,
        scoped: SchemaDescription,
    ) -> SchemaDescription {
        self.objects
            .retain(|(kind, name), _| !scope.covers(*kind, name));
        self.objects.extend(scoped.objects);
        self
    }

    /// [`SchemaDescription::with_scope`] in place, returning the change it made: the same as
    /// the [`SchemaDiff::to_change`] of the diff from this description to the new one, found
    /// without copying the objects the scope does not cover or comparing their definitions
    /// (each name is still checked against the scope).
    pub(crate) fn replace_scope(
        &mut self,
        scope: &Scope,
        scoped: SchemaDescription,
    ) -> SchemaChange {
        let removed: Vec<(ObjectKind, String)> = self
            .objects
            .keys()
            .filter(|key| scope.covers(key.0, &key.1) && !scoped.objects.contains_key(*key))
            .cloned()
            .collect();
        let mut added = Vec::new();
        let mut changed = Vec::new();
        for (key, definition) in scoped.objects {
            let list = match self.objects.get(&key) {
                Some(before) if *before == definition => continue,
                Some(_) => &mut changed,
                None => &mut added,
            };
            list.push(SchemaObject {
                kind: key.0,
                name: key.1,
                definition,
            });
        }
        for key in &removed {
            self.objects.remove(key);
        }
        added.append(&mut changed);
        for object in &added {
            self.objects.insert(
                (object.kind, object.name.clone()),
                object.definition.clone(),
            );
        }
        SchemaChange {
            removed,
            set: added,
        }
    }
}

/// Describes only what `scope` covers: one query (two on PostgreSQL, which first sets the
/// scope's names). `None` when the server says the statements may have reached further: a
/// PostgreSQL table of the scope has a parent or children.
pub(crate) async fn describe_scoped<D: Driver>(
    driver: &mut D,
    table: &HistoryTable,
    scope: &Scope,
) -> Result<Option<SchemaDescription>, Error> {
    let dialect = driver.dialect();
    let failed = |source| Error::Driver {
        doing: "describing the tables a migration changed",
        source,
    };
    if dialect == crate::Dialect::Postgres {
        driver
            .execute(&describe::set_scope(&scope.names))
            .await
            .map_err(failed)?;
    }
    let sql = describe::query(dialect, table, Some(scope));
    let rows = driver.query_repeated(&sql).await.map_err(failed)?;
    if rows
        .iter()
        .any(|row| row.first().and_then(Option::as_deref) == Some("~inherits"))
    {
        return Ok(None);
    }
    SchemaDescription::from_rows(rows).map(Some)
}

/// What a PostgreSQL database holds that lets statements reach beyond what they name: user
/// functions (any not made by `initdb`, whose objects have oids below 16384; extensions'
/// included, wherever installed), which
/// triggers, defaults and rules may run from a data statement, and event triggers, which run
/// on DDL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Functions {
    user_functions: bool,
    event_triggers: bool,
}

/// Asks a PostgreSQL server for [`Functions`]: one query.
pub(crate) async fn functions<D: Driver>(driver: &mut D) -> Result<Functions, Error> {
    let rows = driver
        .query(
            "SELECT EXISTS (SELECT FROM pg_proc WHERE oid >= 16384)::text, \
             EXISTS (SELECT FROM pg_event_trigger)::text",
        )
        .await
        .map_err(|source| Error::Driver {
            doing: "looking for functions that statements may run",
            source,
        })?;
    let cell = |i: usize| {
        rows.first()
            .and_then(|row| row.get(i))
            .and_then(Option::as_deref)
            != Some("false")
    };
    Ok(Functions {
        user_functions: cell(0),
        event_triggers: cell(1),
    })
}

/// How the schema after a version is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Describe {
    /// Its statements cannot change it: the live schema as last described.
    Known,
    /// Its statements change only the objects of some tables: those are described.
    Scoped(Scope),
    /// The whole schema is described.
    Full,
    /// The whole schema is described, and compared with what the inner way would have found:
    /// the last version a command applies after scoped descriptions, so that a scoped
    /// description that missed something shows in the log.
    Check(Box<Describe>),
}

/// `text` with backslash, tab, CR and LF escaped.
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest
        .bytes()
        .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            _ => "\\r",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
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

/// The inverse of [`escape_into`]; `None` on a dangling or unknown escape.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

/// Appends `text` on one line: each run of spaces, tabs, CRs and LFs becomes one space, none
/// at either end.
fn append_one_line(out: &mut String, text: &str) {
    let mut words = text
        .split([' ', '\t', '\n', '\r'])
        .filter(|word| !word.is_empty());
    if let Some(first) = words.next() {
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
}

/// A definition on one line for a diff: runs of whitespace become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// The schema the history says the database has, kept up to date while a command runs:
/// rebuilt from the rows' stored changes, replaced by the live description after each applied
/// version. It also keeps the live schema as last described during the command, while no
/// statement that could change it has run since, and decides how the schema after each
/// version is found ([`ExpectedSchema::how`]).
#[derive(Debug, Default)]
pub(crate) struct ExpectedSchema {
    changes: BTreeMap<crate::Version, SchemaChange>,
    current: Option<SchemaDescription>,
    live: Live,
    /// What the PostgreSQL database holds, while no statement that could change it has run.
    functions: Option<Functions>,
    /// Whether `live` was built from a scoped description since the whole schema was last
    /// described.
    scoped: bool,
    /// The last version the command applies: its schema is described whole when `scoped`.
    last_up: Option<crate::Version>,
    /// Drift found before the command applied anything, kept out of what it records
    /// ([`drift::without`]).
    drift: Option<SchemaDiff>,
}

impl ExpectedSchema {
    /// From the stored changes (rows without one contribute nothing).
    pub(crate) fn new(changes: Vec<(crate::Version, Option<SchemaChange>)>) -> ExpectedSchema {
        ExpectedSchema {
            changes: changes
                .into_iter()
                .filter_map(|(v, c)| c.map(|c| (v, c)))
                .collect(),
            current: None,
            live: Live::Unknown,
            functions: None,
            scoped: false,
            last_up: None,
            drift: None,
        }
    }

    /// Keeps `drift`, from the expected schema to the live one, out of the schemas recorded
    /// after the versions this command applies.
    pub(crate) fn keep_out(&mut self, drift: SchemaDiff) {
        self.drift = Some(drift);
    }

    /// Records the live schema, just described whole.
    pub(crate) fn observed(&mut self, live: SchemaDescription) {
        self.live = if self.description() == &live {
            Live::Current
        } else {
            Live::Own(live)
        };
        self.scoped = false;
    }

    /// Records the last version the command applies.
    pub(crate) fn last_up(&mut self, version: Option<crate::Version>) {
        self.last_up = version;
    }

    /// Whether [`ExpectedSchema::how`] needs [`Functions`] it does not have for `reaches`.
    pub(crate) fn needs_functions(
        &self,
        reaches: &[reach::Reach],
        dialect: crate::Dialect,
    ) -> bool {
        use reach::Reach;
        dialect == crate::Dialect::Postgres
            && self.functions.is_none()
            && self.live().is_some()
            && !reaches.contains(&Reach::Anything)
            && reaches.iter().any(|r| r != &Reach::Nothing)
    }

    /// Records what the PostgreSQL database holds.
    pub(crate) fn set_functions(&mut self, functions: Functions) {
        self.functions = Some(functions);
    }

    /// How the schema after `version`, whose statements reach `reaches`, is found: known when
    /// they cannot change it, scoped to the tables they name when that is all they can change
    /// (PostgreSQL: when no event trigger could take them further; a data statement changes
    /// nothing there only when no user function exists), else
    /// described whole. The last version a command applies after a scoped description is
    /// described whole, so that what the command leaves is checked against the server.
    pub(crate) fn how(
        &self,
        version: crate::Version,
        reaches: &[reach::Reach],
        dialect: crate::Dialect,
    ) -> Describe {
        let how = self.how_alone(reaches, dialect);
        match how {
            Describe::Known | Describe::Scoped(_)
                if self.last_up == Some(version)
                    && (self.scoped || matches!(how, Describe::Scoped(_))) =>
            {
                Describe::Check(Box::new(how))
            }
            how => how,
        }
    }

    /// [`ExpectedSchema::how`], leaving out the last version's check.
    fn how_alone(&self, reaches: &[reach::Reach], dialect: crate::Dialect) -> Describe {
        use reach::Reach;
        let Some(live) = self.live() else {
            return Describe::Full;
        };
        let postgres = dialect == crate::Dialect::Postgres;
        let mut names: Vec<String> = Vec::new();
        let mut drops = false;
        for reach in reaches {
            match reach {
                Reach::Nothing => {}
                Reach::Functions => {
                    if !postgres {
                        continue;
                    }
                    match self.functions {
                        Some(f) if !f.user_functions => {}
                        _ => return Describe::Full,
                    }
                }
                Reach::Tables { names: n, drop } => {
                    names.extend(n.iter().flat_map(|n| n.stored(dialect)));
                    drops |= drop;
                }
                Reach::Indexes(indexes) => {
                    for index in indexes {
                        let stored = index.stored(dialect);
                        let matches = |name: &str| match dialect {
                            crate::Dialect::Sqlite => {
                                stored.iter().any(|s| s.eq_ignore_ascii_case(name))
                            }
                            _ => stored.iter().any(|s| s == name),
                        };
                        let tables: Vec<String> = live
                            .objects
                            .keys()
                            .filter(|(kind, _)| *kind == ObjectKind::Index)
                            .filter_map(|(_, name)| name.split_once('.'))
                            .filter(|(_, index)| matches(index))
                            // A scope's names are in lower case on SQLite, like those
                            // `Name::stored` gives.
                            .map(|(table, _)| match dialect {
                                crate::Dialect::Sqlite => table.to_ascii_lowercase(),
                                _ => table.to_owned(),
                            })
                            .collect();
                        if tables.is_empty() {
                            return Describe::Full;
                        }
                        names.extend(tables);
                    }
                }
                Reach::Anything => return Describe::Full,
            }
        }
        if names.is_empty() {
            return Describe::Known;
        }
        let tables = || {
            live.objects
                .iter()
                .filter(|((kind, _), _)| *kind == ObjectKind::Table)
        };
        if postgres {
            // An event trigger runs on DDL; dropping a partitioned table drops its partitions.
            match self.functions {
                Some(f) if !f.event_triggers => {}
                _ => return Describe::Full,
            }
            if drops && tables().any(|(_, definition)| definition.contains("PARTITION OF")) {
                return Describe::Full;
            }
        }
        // Objects are named `table.object`: a table name holding a dot would make them
        // ambiguous. A table whose name differs from one of the scope's in case only (MySQL's
        // `lower_case_table_names = 2`) may be the one a statement meant.
        let ambiguous = tables().any(|((_, table), _)| {
            table.contains('.')
                || (dialect == crate::Dialect::MySql
                    && !names.contains(table)
                    && names.iter().any(|n| n.eq_ignore_ascii_case(table)))
        });
        // MySQL may fold non-ASCII names (`lower_case_table_names`) as this judgement does not.
        let unfolded = dialect == crate::Dialect::MySql && names.iter().any(|n| !n.is_ascii());
        if ambiguous || unfolded || names.iter().any(|n| n.contains('.')) {
            return Describe::Full;
        }
        names.sort();
        names.dedup();
        Describe::Scoped(Scope {
            names,
            dialect,
            triggers: drops || dialect != crate::Dialect::MySql,
        })
    }

    /// The live schema as last described, unless a statement that could change it has run
    /// since (a version applied without a description, or any version reverted).
    pub(crate) fn live(&self) -> Option<&SchemaDescription> {
        match &self.live {
            Live::Unknown => None,
            Live::Current => self.current.as_ref(),
            Live::Own(live) => Some(live),
        }
    }

    /// Records how the schema after the version about to be recorded was found: after a
    /// whole description the database's functions must be asked again (its statements may
    /// have made some).
    pub(crate) fn found(&mut self, how: &Describe) {
        match how {
            Describe::Known => {}
            Describe::Scoped(_) => self.scoped = true,
            Describe::Full | Describe::Check(_) => {
                self.scoped = false;
                self.functions = None;
            }
        }
    }

    /// The expected schema now.
    pub(crate) fn description(&mut self) -> &SchemaDescription {
        self.current
            .get_or_insert_with(|| rebuild(self.changes.values()))
    }

    /// Records that `version` was applied and left the schema as `found` says: returns its
    /// fingerprint and the change from the expected schema without it. While the expected
    /// schema is the live one as last described, a scoped or known schema is found in place:
    /// only the objects the scope covers are compared and replaced.
    pub(crate) fn applied(
        &mut self,
        version: crate::Version,
        found: Found,
    ) -> (Fingerprint, SchemaChange) {
        if self.changes.remove(&version).is_some() {
            self.forget_current();
        }
        let mut live = Live::Current;
        let change = match (found, &self.live) {
            (Found::Known, Live::Current) => SchemaChange::default(),
            (Found::Scoped(scope, scoped), Live::Current) => {
                let current = self
                    .current
                    .as_mut()
                    .expect("the live schema is the current one");
                current.replace_scope(&scope, scoped)
            }
            (found, _) => {
                let mut after = match (found, std::mem::take(&mut self.live)) {
                    (Found::Whole(after), _) => after,
                    (Found::Known, Live::Own(live)) => live,
                    (Found::Scoped(scope, scoped), Live::Own(live)) => {
                        live.with_scope(&scope, scoped)
                    }
                    (Found::Known | Found::Scoped(..), _) => {
                        unreachable!("a known or scoped schema needs the live one")
                    }
                };
                if let Some(recorded) = self.drift.as_ref().map(|d| drift::without(&after, d)) {
                    if recorded != after {
                        live = Live::Own(std::mem::replace(&mut after, recorded));
                    }
                }
                let change = self.description().diff(&after).to_change();
                self.current = Some(after);
                change
            }
        };
        self.live = live;
        let current = self.current.as_ref().expect("the schema was just recorded");
        let fingerprint = current.fingerprint();
        self.changes.insert(version, change.clone());
        (fingerprint, change)
    }

    /// The whole schema `found` stands for.
    pub(crate) fn whole(&self, found: Found) -> SchemaDescription {
        match (found, self.live()) {
            (Found::Whole(whole), _) => whole,
            (Found::Known, Some(live)) => live.clone(),
            (Found::Scoped(scope, scoped), Some(live)) => live.clone().with_scope(&scope, scoped),
            (Found::Known | Found::Scoped(..), None) => {
                unreachable!("a known or scoped schema needs the live one")
            }
        }
    }

    /// Drops the expected schema (to be rebuilt from the stored changes), keeping the live
    /// one as last described.
    fn forget_current(&mut self) {
        match self.live {
            Live::Current => self.live = self.current.take().map_or(Live::Unknown, Live::Own),
            _ => self.current = None,
        }
    }

    /// Records that `version` was reverted.
    pub(crate) fn reverted(&mut self, version: crate::Version) {
        self.live = Live::Unknown;
        self.functions = None;
        if self.changes.remove(&version).is_some() {
            self.current = None;
        }
    }
}

/// The live schema as last described, while no statement that could change it has run since.
#[derive(Debug, Default)]
enum Live {
    /// Unknown: described again before it is relied on.
    #[default]
    Unknown,
    /// The expected schema ([`ExpectedSchema::current`]): no copy is kept.
    Current,
    /// A description that differs from the expected schema.
    Own(SchemaDescription),
}

/// The schema after a version, as found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Described whole.
    Whole(SchemaDescription),
    /// The live schema as last described: the version's statements cannot change it.
    Known,
    /// The live schema as last described with what the scope covers replaced by a scoped
    /// description.
    Scoped(Scope, SchemaDescription),
}
