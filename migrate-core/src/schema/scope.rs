//! Scoped descriptions: which tables a version's statements can change ([`Scope`]), chosen
//! from their [`Reach`](super::reach::Reach) and the live schema, and how a description of
//! only those tables is merged into the whole one.
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

use super::{ObjectKind, SchemaChange, SchemaDescription, SchemaObject};
use crate::Dialect;

/// The tables a scoped description covers, each name once, as the server may have stored it
/// ([`Name::stored`](super::reach::Name::stored)); on SQLite in lower case, matched without regard to ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub(super) names: Vec<String>,
    pub(super) dialect: Dialect,
    /// Whether the tables' triggers are described. On MySQL/MariaDB only statements that drop
    /// a table change its triggers (`CREATE TABLE` makes a table without any, `ALTER TABLE`
    /// and the index statements leave them as they are): elsewhere they always are, since
    /// PostgreSQL's `ALTER TABLE` enables and disables triggers and a partition takes its
    /// parent's.
    pub(super) triggers: bool,
}

impl Scope {
    fn has_table(&self, table: &str) -> bool {
        match self.dialect {
            Dialect::Sqlite => self.names.iter().any(|n| n.eq_ignore_ascii_case(table)),
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
            ObjectKind::Sequence => self.dialect == Dialect::Postgres || self.has_table(name),
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
    /// the [`SchemaDiff::to_change`](super::SchemaDiff::to_change) of the diff from this description to the new one, found
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
