//! Copying a MariaDB/MySQL template, which has no `CREATE DATABASE … TEMPLATE`: each table is
//! recreated from `SHOW CREATE TABLE` (columns, indexes, foreign keys, options, the
//! `AUTO_INCREMENT` counter) and its rows are copied with `INSERT … SELECT`, all in one batch.
//!
//! `CREATE TABLE … LIKE` would be shorter but drops foreign keys (adding them back is one
//! `ALTER TABLE` per table) and the counter. Views, triggers, routines and events would have to
//! be recreated from their definitions, which name their database and definer; sequences and
//! system-versioned tables cannot be filled by `INSERT … SELECT`. A template holding any of
//! those is not copied: its tests replay the migrations
//! ([`Template::Replay`](super::Template::Replay)).

use std::collections::HashMap;

use crate::driver::DriverError;
use crate::testing::admin::Admin;
use crate::testing::backend::Backend;
use crate::Dialect;

/// How many tables one session copies, at least, before another session joins in.
const TABLES_PER_SESSION: usize = 16;
/// How many sessions copy one database at most.
const MAX_SESSIONS: usize = 4;

/// The statements that copy a template's tables into the current database of a session,
/// reading from the template by its qualified name.
#[derive(Debug)]
pub(crate) struct Copy {
    /// Per table: `CREATE TABLE`, unqualified (it runs after `USE` of the new database), and
    /// `INSERT … SELECT` when the table holds rows.
    tables: Vec<(String, Option<String>)>,
}

/// The copy of `name`'s tables, or `None` when it holds objects a copy would not reproduce.
pub(crate) async fn inspect(admin: &mut Admin, name: &str) -> Result<Option<Copy>, DriverError> {
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
    let mut creates = Vec::with_capacity(names.len());
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
        creates.push(create);
    }
    let mut rows = row_copies(admin, name, &names).await?;
    let tables = names
        .iter()
        .zip(creates)
        .map(|(table, create)| (create, rows.remove(table)))
        .collect();
    Ok(Some(Copy { tables }))
}

/// `INSERT … SELECT` for each of `tables` that holds rows, naming the stored columns (not the
/// generated ones, which the server computes).
async fn row_copies(
    admin: &mut Admin,
    name: &str,
    tables: &[String],
) -> Result<HashMap<String, String>, DriverError> {
    if tables.is_empty() {
        return Ok(HashMap::new());
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
        .into_iter()
        .map(|table| {
            let list = columns
                .iter()
                .filter(|row| row.first().and_then(Option::as_deref) == Some(table.as_str()))
                .filter_map(|row| row.get(1).and_then(Option::as_deref))
                .map(|c| Dialect::MySql.quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ");
            let quoted = Dialect::MySql.quote_ident(&table);
            let insert =
                format!("INSERT INTO {quoted} ({list}) SELECT {list} FROM {source}.{quoted}");
            (table, insert)
        })
        .collect())
}

impl Copy {
    /// Copies the template into the empty database `target`: `admin`'s session and up to
    /// [`MAX_SESSIONS`]` - 1` more to `server` each copy a share of the tables in one batch.
    pub(crate) async fn run(
        &self,
        admin: &mut Admin,
        server: &str,
        target: &str,
    ) -> Result<(), DriverError> {
        let sessions = self
            .tables
            .len()
            .div_ceil(TABLES_PER_SESSION)
            .clamp(1, MAX_SESSIONS);
        let using = format!("USE {}", Dialect::MySql.quote_ident(target));
        let shares: Vec<Vec<&str>> = (0..sessions)
            .map(|i| self.statements(&using, i, sessions))
            .collect();
        let mut extra = Vec::with_capacity(sessions - 1);
        for _ in 1..sessions {
            extra.push(Admin::connect(Backend::MySql, server).await?);
        }
        let Some((first, rest)) = shares.split_first() else {
            return Ok(()); // no table at all
        };
        let others = extra
            .iter_mut()
            .zip(rest)
            .map(|(session, share)| session.execute_all(share));
        let (mine, theirs) = futures_util::future::join(
            admin.execute_all(first),
            futures_util::future::join_all(others),
        )
        .await;
        theirs.into_iter().try_for_each(|r| r)?;
        mine
    }

    /// The batch of session `index` of `sessions` (every `sessions`-th table from `index`),
    /// after `using` (the `USE` of the new database).
    fn statements<'a>(&'a self, using: &'a str, index: usize, sessions: usize) -> Vec<&'a str> {
        let mine: Vec<&(String, Option<String>)> =
            self.tables.iter().skip(index).step_by(sessions).collect();
        // With the checks off a key may name a table that another session creates later.
        let mut statements = vec!["SET SESSION foreign_key_checks = 0", using];
        statements.extend(mine.iter().map(|(create, _)| create.as_str()));
        let rows: Vec<&str> = mine
            .iter()
            .filter_map(|(_, rows)| rows.as_deref())
            .collect();
        if !rows.is_empty() {
            // One commit for every row instead of one per table.
            statements.push("START TRANSACTION");
            statements.extend(rows);
            statements.push("COMMIT");
        }
        statements.push("SET SESSION foreign_key_checks = 1");
        statements
    }
}
