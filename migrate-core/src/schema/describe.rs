//! Reading the live schema from the server: [`describe`] (the whole schema),
//! [`describe_scoped`] (what a [`Scope`] covers) and, on PostgreSQL, [`functions`] (what lets
//! statements reach beyond what they name). Everything this module asks a server goes
//! through here.
//!
//! A description is one query per dialect (written in `mysql`, `postgres` and `sqlite`) that
//! returns rows of (kind, name, definition).
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
mod parts;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;

use self::parts::History;
use super::text::append_one_line;
use super::{ObjectKind, SchemaDescription, Scope};
use crate::driver::{Driver, Row};
use crate::history::HistoryTable;
use crate::{Dialect, Error};

/// The live schema of the database `driver` is connected to, without the history table
/// `table` and its log: one query.
pub async fn describe<D: Driver>(
    driver: &mut D,
    table: &HistoryTable,
) -> Result<SchemaDescription, Error> {
    let sql = query(driver.dialect(), table, None);
    let rows = driver
        .query_repeated(&sql)
        .await
        .map_err(|source| Error::Driver {
            doing: "describing the schema",
            source,
        })?;
    SchemaDescription::from_rows(rows)
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
    if dialect.scope_in_setting() {
        driver
            .execute(&postgres::set_scope(&scope.names))
            .await
            .map_err(failed)?;
    }
    let sql = query(dialect, table, Some(scope));
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
    pub(super) user_functions: bool,
    pub(super) event_triggers: bool,
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

impl SchemaDescription {
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

/// The describe query for `dialect`, leaving out `table`, its log table and its lock table
/// (Galera); with `scope`, only what it covers (see [`super::Scope`]).
fn query(dialect: Dialect, table: &HistoryTable, scope: Option<&Scope>) -> String {
    let literal = |n: &str| dialect.string_literal(n);
    // A scope lists each table once, on SQLite in lower case (see `Scope`).
    let history = History {
        names: [table.name(), &table.log_name(), &table.lock_name()]
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
