//! The one query per dialect that describes a live schema as rows of (kind, name, definition).
//!
//! Each query is a `UNION ALL` of one `SELECT` per object kind, every column cast to text (the
//! drivers read every cell as text): on MySQL/MariaDB in each part, elsewhere in an outer
//! `SELECT`. SQLite's rows have a fourth column, text appended to the definition on one line.
//! Names are those of [`super::ObjectKind`]: columns, indexes, constraints and triggers are
//! qualified by their table (`orders.app_id`); PostgreSQL routines carry their argument types
//! (`f(integer)`) because PostgreSQL overloads them.
//!
//! A definition is the server's own normalised text for the object, and leaves out whatever
//! depends on the database's name, on object ids, on creation times or on data: the current
//! schema's qualifier is removed, auto-increment counters, sequence positions, row counts,
//! definers and timestamps are never read.
//!
//! The history table and its log are left out by exact name (`NOT IN (…)`, never a `LIKE`
//! prefix, so that a user table `schema_history_extra` is described), together with
//! everything that belongs to them.

mod mysql;
mod postgres;
mod sqlite;

use super::Scope;
use crate::history::HistoryTable;
use crate::Dialect;

/// The describe query for `dialect`, leaving out `table` and its log table; with `scope`, only
/// what it covers (see [`super::Scope`]).
pub(super) fn query(dialect: Dialect, table: &HistoryTable, scope: Option<&Scope>) -> String {
    let literal = |n: &str| dialect.string_literal(n);
    // A scope lists each table once, on SQLite in lower case (see `Scope`).
    let history = History {
        names: [table.name(), table.log_name().as_str()]
            .map(literal)
            .join(", "),
        scope: scope.map(|scope| scope.names.iter().map(|n| literal(n)).collect()),
        triggers: scope.is_none_or(|scope| scope.triggers),
    };
    match dialect {
        Dialect::MySql => mysql::query(&history),
        Dialect::Postgres => postgres::query(&history),
        Dialect::Sqlite => sqlite::query(&history),
    }
}

/// The PostgreSQL setting that holds a scoped query's table names, as an array literal.
const PG_SCOPE_SETTING: &str = "migrate.describe_scope";

/// The statement that sets the names a scoped PostgreSQL query describes, for the session
/// (a scoped description may be taken outside a transaction).
pub(super) fn set_scope(names: &[String]) -> String {
    let elements: Vec<String> = names
        .iter()
        .map(|n| format!("\"{}\"", n.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!(
        "SELECT set_config('{PG_SCOPE_SETTING}', {}, false)",
        Dialect::Postgres.string_literal(&format!("{{{}}}", elements.join(",")))
    )
}

/// The names of the history table and its log, as string literals for `NOT IN (…)`, and those
/// of the tables a scoped query describes, for `IN (…)`.
struct History {
    names: String,
    /// The scope's names, as string literals.
    scope: Option<Vec<String>>,
    /// Whether triggers are described (always, unless the scope says otherwise).
    triggers: bool,
}

impl History {
    /// ` AND {column} IN (…)` when the query is scoped, written by `cond`; else nothing.
    fn scoped(&self, cond: impl Fn(&str) -> String) -> String {
        self.scope
            .as_ref()
            .map(|names| format!(" AND {}", cond(&names.join(", "))))
            .unwrap_or_default()
    }
}

/// The parts of one query, one per object kind, as one `UNION ALL`.
fn union_all(parts: &[String]) -> String {
    parts.join("\nUNION ALL\n")
}
