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

use super::reach::Name;
use super::{ObjectKind, SchemaChange, SchemaDescription, SchemaObject};
use crate::Dialect;

/// The tables a scoped description covers, each name once, as the server may have stored it
/// ([`Name::stored`]); on SQLite in lower case, matched without regard to ASCII case.
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
    /// The scope of the tables `reached` names, unless those names may not be the tables the
    /// server changes ([`names_are_exact`]).
    pub(super) fn of_tables(
        reached: Reached,
        dialect: Dialect,
        live: &SchemaDescription,
    ) -> Option<Scope> {
        let Reached { mut names, drops } = reached;
        if !names_are_exact(&names, dialect, live) {
            return None;
        }
        names.sort();
        names.dedup();
        Some(Scope {
            names,
            dialect,
            triggers: drops || !dialect.triggers_survive_alter(),
        })
    }

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
            ObjectKind::Sequence => self.dialect.column_sequences() || self.has_table(name),
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

/// The tables a version's statements name, as the server may have stored them
/// ([`Name::stored`]), and whether a statement drops one.
#[derive(Debug, Default)]
pub(super) struct Reached {
    /// The tables' names, possibly more than once.
    pub(super) names: Vec<String>,
    /// Whether a statement drops one of them, and with it its triggers.
    pub(super) drops: bool,
}

/// The tables of `live` that have an index named `index`: `DROP INDEX` names no table on
/// PostgreSQL and SQLite, so the live schema says whose index it drops. On SQLite the names
/// are in lower case, like those [`Name::stored`] gives.
pub(super) fn index_tables(
    live: &SchemaDescription,
    index: &Name,
    dialect: Dialect,
) -> Vec<String> {
    let stored = index.stored(dialect);
    let matches = |name: &str| match dialect {
        Dialect::Sqlite => stored.iter().any(|s| s.eq_ignore_ascii_case(name)),
        _ => stored.iter().any(|s| s == name),
    };
    live.objects
        .keys()
        .filter(|(kind, _)| *kind == ObjectKind::Index)
        .filter_map(|(_, name)| name.split_once('.'))
        .filter(|(_, index)| matches(index))
        .map(|(table, _)| match dialect {
            Dialect::Sqlite => table.to_ascii_lowercase(),
            _ => table.to_owned(),
        })
        .collect()
}

/// Whether `names` are sure to be the tables of `live` that the statements change. Objects are
/// named `table.object`: a table name holding a dot would make them ambiguous. A table whose
/// name differs from one of `names` in case only (MySQL's `lower_case_table_names = 2`) may be
/// the one a statement meant, and MySQL may fold non-ASCII names (`lower_case_table_names`)
/// as this judgement does not.
fn names_are_exact(names: &[String], dialect: Dialect, live: &SchemaDescription) -> bool {
    let by_setting = dialect.table_case_by_setting();
    let ambiguous = live.tables().any(|(table, _)| {
        table.contains('.')
            || (by_setting
                && !names.iter().any(|n| n == table)
                && names.iter().any(|n| n.eq_ignore_ascii_case(table)))
    });
    let unfolded = by_setting && names.iter().any(|n| !n.is_ascii());
    !(ambiguous || unfolded || names.iter().any(|n| n.contains('.')))
}
