//! Copying a MariaDB/MySQL template, which has no `CREATE DATABASE … TEMPLATE`: each table is
//! recreated from `SHOW CREATE TABLE` (columns, indexes, foreign keys, options, the
//! `AUTO_INCREMENT` counter) and its rows are copied with `INSERT … SELECT`, all in one batch.
//!
//! `CREATE TABLE … LIKE` would be shorter but drops foreign keys (adding them back is one
//! `ALTER TABLE` per table) and the counter. Views, triggers, routines and events would have to
//! be recreated from their definitions, which name their database and definer; sequences and
//! system-versioned tables cannot be filled by `INSERT … SELECT`. A template holding any of
//! those is not copied: its tests replay the migrations ([`Template::Replay`]).

use super::{admin_error, Admin, Template};
use crate::driver::DriverError;
use crate::{Dialect, Error};

/// The statements that copy a template's tables into the current database of the session,
/// reading from the template by its qualified name.
#[derive(Debug)]
pub(crate) struct Copy {
    /// `CREATE TABLE` statements, unqualified (they run after `USE` of the new database).
    tables: Vec<String>,
    /// `INSERT … SELECT` statements, for the tables that hold rows.
    rows: Vec<String>,
}

/// What to make of the template database `name`: a [`Copy`], or replay.
pub(crate) async fn template(admin: &mut Admin, name: &str) -> Result<Template, Error> {
    match inspect(admin, name).await {
        Ok(Some(copy)) => Ok(Template::MySql(std::sync::Arc::new(copy))),
        Ok(None) => Ok(Template::Replay),
        Err(e) => Err(admin_error("reading a template's tables", e)),
    }
}

/// The copy of `name`'s tables, or `None` when it holds objects a copy would not reproduce.
async fn inspect(admin: &mut Admin, name: &str) -> Result<Option<Copy>, DriverError> {
    let schema = Dialect::MySql.string_literal(name);
    let tables = admin
        .query(&format!(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {schema} ORDER BY TABLE_NAME"
        ))
        .await?;
    let mut names = Vec::new();
    for row in tables {
        let mut cells = row.into_iter();
        let (table, kind) = (cells.next().flatten(), cells.next().flatten());
        match (table, kind.as_deref()) {
            (Some(table), Some("BASE TABLE")) => names.push(table),
            _ => return Ok(None),
        }
    }
    let others = admin
        .column(&format!(
            "SELECT CAST((SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {schema}) \
             + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {schema}) \
             + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {schema}) AS CHAR)"
        ))
        .await?;
    if others.first().map(String::as_str) != Some("0") {
        return Ok(None);
    }
    let source = Dialect::MySql.quote_ident(name);
    let mut copy = Copy {
        tables: Vec::with_capacity(names.len()),
        rows: Vec::new(),
    };
    for table in &names {
        let quoted = Dialect::MySql.quote_ident(table);
        let row = admin
            .query(&format!("SHOW CREATE TABLE {source}.{quoted}"))
            .await?
            .into_iter()
            .next();
        let Some(Some(create)) = row.and_then(|r| r.into_iter().nth(1)) else {
            return Err(DriverError::other(format!(
                "SHOW CREATE TABLE returned nothing for {table}"
            )));
        };
        copy.tables.push(create);
    }
    copy.rows = row_copies(admin, name, &names).await?;
    Ok(Some(copy))
}

/// `INSERT … SELECT` for each of `tables` that holds rows, naming the stored columns (not the
/// generated ones, which the server computes).
async fn row_copies(
    admin: &mut Admin,
    name: &str,
    tables: &[String],
) -> Result<Vec<String>, DriverError> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let source = Dialect::MySql.quote_ident(name);
    let probe = tables
        .iter()
        .map(|t| {
            format!(
                "SELECT {}, CAST(EXISTS(SELECT 1 FROM {source}.{}) AS CHAR)",
                Dialect::MySql.string_literal(t),
                Dialect::MySql.quote_ident(t)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let filled: Vec<String> = admin
        .query(&probe)
        .await?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [Some(table), Some(flag)] if flag == "1" => Some(table.clone()),
            _ => None,
        })
        .collect();
    let schema = Dialect::MySql.string_literal(name);
    let columns = admin
        .query(&format!(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = {schema} AND EXTRA NOT LIKE '%GENERATED%' ORDER BY TABLE_NAME, ORDINAL_POSITION"
        ))
        .await?;
    Ok(filled
        .iter()
        .map(|table| {
            let list = columns
                .iter()
                .filter(|row| row.first().and_then(Option::as_deref) == Some(table.as_str()))
                .filter_map(|row| row.get(1).and_then(Option::as_deref))
                .map(|c| Dialect::MySql.quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ");
            let quoted = Dialect::MySql.quote_ident(table);
            format!("INSERT INTO {quoted} ({list}) SELECT {list} FROM {source}.{quoted}")
        })
        .collect())
}

impl Copy {
    /// Copies the template into the empty database `target`, in one batch on `admin`'s
    /// session (which it leaves using `target`, with foreign key checks on).
    pub(crate) async fn run(&self, admin: &mut Admin, target: &str) -> Result<(), DriverError> {
        let using = format!("USE {}", Dialect::MySql.quote_ident(target));
        let mut statements: Vec<&str> = vec![
            // Tables are created in name order, before the tables their keys reference.
            "SET SESSION foreign_key_checks = 0",
            &using,
        ];
        statements.extend(self.tables.iter().map(String::as_str));
        if !self.rows.is_empty() {
            // One commit for every row instead of one per table.
            statements.push("START TRANSACTION");
            statements.extend(self.rows.iter().map(String::as_str));
            statements.push("COMMIT");
        }
        statements.push("SET SESSION foreign_key_checks = 1");
        admin.execute_all(&statements).await
    }
}
