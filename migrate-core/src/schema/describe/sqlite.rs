//! SQLite: `sqlite_master` and the table-valued pragma functions (`pragma_table_list` needs
//! SQLite 3.37, `group_concat(… ORDER BY …)` 3.44; sqlx bundles 3.46).
//! <https://www.sqlite.org/pragma.html#pragfunc>
//!
//! SQLite exposes CHECK constraints, generation expressions and column collations through no
//! pragma, only inside the `CREATE TABLE` text, which is not parsed here: they are not
//! described. Nor are constraint names, which only that text holds.

use super::parts::{union_all, History};

pub(super) fn query(history: &History) -> String {
    let mut parts = vec![
        tables(history),
        columns(history),
        indexes(history),
        foreign_keys(history),
        triggers(history),
    ];
    if history.scope.is_none() {
        parts.push(views());
    }
    format!(
        "SELECT CAST(kind AS TEXT), CAST(name AS TEXT), CAST(definition AS TEXT), \
             CAST(text AS TEXT)\nFROM (\n{}\n) AS description",
        union_all(&parts)
    )
}

/// `t` (from `pragma_table_list`) is a user's table in `main`: not one of SQLite's own
/// (`sqlite_sequence`, `sqlite_stat1`…, whose names are reserved; `_` is escaped, it is a
/// LIKE wildcard), nor a shadow table of a virtual table, nor a history table.
fn user_table(history: &History) -> String {
    format!(
        "t.schema = 'main' AND t.type IN ('table', 'virtual') \
             AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND t.name NOT IN ({}){}",
        history.names,
        in_scope(history, "t.name")
    )
}

/// The tables a part reads, as `t`: `pragma_table_list`, which in a scoped query is asked
/// for each of the scope's names (`pragma_table_list(name)`, matched without regard to
/// case like every name in SQLite) instead of listing every table: a tenth of a
/// millisecond less per part on a hundred tables. A single name is passed as it is, which
/// SQLite prepares faster than a join with a list of one.
fn tables_from(history: &History) -> String {
    match &history.scope {
        Some(names) if names.len() == 1 => format!("pragma_table_list({}) t", names[0]),
        Some(names) => {
            let rows: Vec<String> = names.iter().map(|n| format!("({n})")).collect();
            format!(
                "(VALUES {}) s, pragma_table_list(s.column1) t",
                rows.join(", ")
            )
        }
        None => "pragma_table_list t".to_owned(),
    }
}

/// ` AND lower(column) IN (…)` in a scoped query: SQLite compares names without regard to
/// ASCII case, and the scope lists them in lower case.
fn in_scope(history: &History, column: &str) -> String {
    history.scoped(|list| format!("lower({column}) IN ({list})"))
}

/// WITHOUT ROWID and STRICT, or the text of a virtual table. Every part's fourth column
/// is the statement text SQLite keeps for the object, when its definition ends with it:
/// that text is appended as it is read, on one line with each run of spaces, tabs, CRs and
/// LFs made one space (SQLite keeps the text as it was written). Done in the query with
/// string functions, this made the query several times slower for SQLite to prepare.
fn tables(history: &History) -> String {
    format!(
        "SELECT 'table' AS kind, t.name AS name,
  CASE WHEN t.type = 'virtual' THEN ''
  ELSE CASE WHEN t.wr THEN 'WITHOUT ROWID' ELSE 'ROWID' END
    || CASE WHEN t.strict THEN ' STRICT' ELSE '' END END AS definition,
  CASE WHEN t.type = 'virtual'
    THEN (SELECT m.sql FROM sqlite_master m WHERE m.type = 'table' AND m.name = t.name) END
    AS text
FROM {}
WHERE {}",
        tables_from(history),
        user_table(history)
    )
}

/// `cid` is logical: DROP COLUMN rewrites the table. `dflt_value` is the default's text
/// (`'it''s'`, `NULL` for DEFAULT NULL, SQL NULL for none); `pk` the position in the
/// primary key; `hidden` marks generated columns (2 virtual, 3 stored).
fn columns(history: &History) -> String {
    format!(
        "SELECT 'column', t.name || '.' || c.name,
  '#' || (c.cid + 1) || CASE WHEN c.type = '' THEN '' ELSE ' ' || c.type END
    || CASE WHEN c.\"notnull\" THEN ' NOT NULL' ELSE ' NULL' END
    || ifnull(' DEFAULT ' || c.dflt_value, '')
    || CASE WHEN c.pk > 0 THEN ' PRIMARY KEY ' || c.pk ELSE '' END
    || CASE c.hidden WHEN 1 THEN ' HIDDEN' WHEN 2 THEN ' GENERATED VIRTUAL'
      WHEN 3 THEN ' GENERATED STORED' ELSE '' END,
  NULL
FROM {}, pragma_table_xinfo(t.name, 'main') c
WHERE {}",
        tables_from(history),
        user_table(history)
    )
}

/// One row per index, including those SQLite makes for PRIMARY KEY and UNIQUE
/// (`sqlite_autoindex_<table>_<n>`, stable names): key columns in order with direction
/// and collation. The WHERE clause of a partial index and the expressions of an index
/// exist only in its `CREATE INDEX` text, which is appended for those: looked up in
/// `sqlite_master` for those indexes only (a join would index the whole of
/// `sqlite_master` on every query, most of a scoped description's time).
fn indexes(history: &History) -> String {
    format!(
        "SELECT 'index', g.name,
  g.definition || CASE WHEN g.needs_sql THEN ': ' ELSE '' END,
  CASE WHEN g.needs_sql THEN
    (SELECT m.sql FROM sqlite_master m WHERE m.type = 'index' AND m.name = g.index_name) END
FROM (
SELECT t.name || '.' || il.name AS name, il.name AS index_name,
  CASE WHEN il.\"unique\" THEN 'UNIQUE ' ELSE '' END || 'INDEX ('
    || group_concat(ifnull(x.name, '<expression>') || CASE WHEN x.\"desc\" THEN ' DESC' ELSE '' END
      || CASE WHEN x.coll = 'BINARY' THEN '' ELSE ' COLLATE ' || x.coll END, ', '
      ORDER BY x.seqno) || ')'
    || CASE il.origin WHEN 'pk' THEN ' FOR PRIMARY KEY' WHEN 'u' THEN ' FOR UNIQUE' ELSE '' END
    AS definition,
  il.partial OR max(x.cid = -2) AS needs_sql
FROM {}, pragma_index_list(t.name, 'main') il, pragma_index_xinfo(il.name, 'main') x
WHERE x.key AND {}
GROUP BY t.name, il.name
) g",
        tables_from(history),
        user_table(history)
    )
}

/// Foreign keys, one row per key (`id`) with its columns in order. They have no name
/// outside the `CREATE TABLE` text, so they are named after their columns:
/// `orders.fk(app_id)`. A key to the parent's primary key written without columns has no
/// `to` columns.
fn foreign_keys(history: &History) -> String {
    format!(
            "SELECT 'constraint', t.name || '.fk(' || group_concat(f.\"from\", ', ' ORDER BY f.seq) || ')',
  'FOREIGN KEY (' || group_concat(f.\"from\", ', ' ORDER BY f.seq) || ') REFERENCES '
    || f.\"table\" || ifnull(' (' || group_concat(f.\"to\", ', ' ORDER BY f.seq) || ')', '')
    || ' ON UPDATE ' || f.on_update || ' ON DELETE ' || f.on_delete
    || CASE WHEN f.\"match\" = 'NONE' THEN '' ELSE ' MATCH ' || f.\"match\" END,
  NULL
FROM {}, pragma_foreign_key_list(t.name, 'main') f
WHERE {}
GROUP BY t.name, f.id",
            tables_from(history),
            user_table(history)
        )
}

fn views() -> String {
    "SELECT 'view', m.name, '', m.sql\nFROM sqlite_master m WHERE m.type = 'view'".to_owned()
}

/// Trigger names are unique in the schema; they are qualified by their table like the
/// other backends'.
fn triggers(history: &History) -> String {
    format!(
        "SELECT 'trigger', m.tbl_name || '.' || m.name, '', m.sql
FROM sqlite_master m WHERE m.type = 'trigger' AND m.tbl_name NOT IN ({}){}",
        history.names,
        in_scope(history, "m.tbl_name")
    )
}
