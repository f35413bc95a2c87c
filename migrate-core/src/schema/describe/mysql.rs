//! MySQL and MariaDB: `information_schema`, every table of it filtered on this schema
//! (`TABLE_SCHEMA = DATABASE()` or its like) in a WHERE clause, so that the server opens the
//! tables of this schema only (EXPLAIN: "Scanned 1 database", not "all databases").
//! <https://dev.mysql.com/doc/refman/5.7/en/information-schema-optimization.html>

use super::parts::{union_all, History};

pub(super) fn query(history: &History) -> String {
    let mut parts = vec![
        tables(history),
        sequences(history),
        columns(history),
        indexes(history),
        keys(history),
        foreign_keys(history),
        checks(history),
    ];
    if history.triggers {
        parts.push(triggers(history));
    }
    if history.scope.is_none() {
        parts.extend([views(), routines()]);
    }
    // GROUP_CONCAT truncates silently at `group_concat_max_len` (1 MiB by default on
    // MariaDB, 1024 bytes on MySQL 8): the limit is raised for this one statement, in the
    // syntax of each server, since the query must stay one round trip. MariaDB runs its
    // executable comment `/*M! … */` (MySQL reads a comment) and ignores `/*+ … */`;
    // MySQL applies the SET_VAR hint, which must follow the statement's first SELECT.
    // <https://mariadb.com/kb/en/set-statement/>
    // <https://dev.mysql.com/doc/refman/8.0/en/optimizer-hints.html#optimizer-hints-set-var>
    // Every part casts its cells `AS CHAR`, the non-binary strings the drivers decode, in
    // its own select list: an outer SELECT over the union would make MariaDB materialize
    // it, on disk since its definitions are long texts (one temporary table, about 1 ms of
    // a 5 ms scoped description on MariaDB 10.11).
    let union = union_all(&parts);
    let union = union
        .strip_prefix("SELECT ")
        .expect("every part is a SELECT");
    format!(
        "/*M! SET STATEMENT group_concat_max_len = 4294967295 FOR */\n\
             SELECT /*+ SET_VAR(group_concat_max_len = 4294967295) */ {union}"
    )
}

/// `column` is neither the history table nor its log. `information_schema` names compare
/// case-insensitively (`utf8mb3_general_ci`): the comparison is made on bytes so that only
/// the exact names are left out.
fn not_history(history: &History, column: &str) -> String {
    format!(
        "CAST({column} AS BINARY) NOT IN ({}){}",
        history.names,
        in_scope(history, column)
    )
}

/// ` AND column IN (…)` in a scoped query. It compares as `information_schema` does,
/// without regard to case, so it may also describe a table whose name differs from one of
/// the scope's in case only, which is harmless (that table's objects are described as they
/// are). With one name, MariaDB opens that table only (EXPLAIN: "Scanned 0 databases");
/// with several it reads every table of the schema, as an unscoped query does.
fn in_scope(history: &History, column: &str) -> String {
    history.scoped(|list| format!("{column} IN ({list})"))
}

/// Base tables (MariaDB also has system-versioned ones) but not views or sequences, which
/// `information_schema.TABLES` lists too.
const TABLE_TYPES: &str = "('BASE TABLE', 'SYSTEM VERSIONED')";

/// Engine, collation and the options set explicitly (`CREATE_OPTIONS`: row format,
/// partitioning…); never AUTO_INCREMENT, row counts or times, which the data moves.
fn tables(history: &History) -> String {
    format!(
        "SELECT CAST('table' AS CHAR), CAST(t.TABLE_NAME AS CHAR),
  CAST(CONCAT_WS(' ', CONCAT('ENGINE=', t.ENGINE), CONCAT('COLLATE=', t.TABLE_COLLATION),
    NULLIF(t.CREATE_OPTIONS, ''),
    IF(t.TABLE_COMMENT = '', NULL, CONCAT('COMMENT=', QUOTE(t.TABLE_COMMENT)))) AS CHAR)
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN {TABLE_TYPES} AND {}",
        not_history(history, "t.TABLE_NAME")
    )
}

/// MariaDB's sequences are tables of type SEQUENCE; their options can only be read by
/// selecting from each one (`information_schema.SEQUENCES` arrives in 11.5), so only their
/// existence and engine are described.
/// (`DROP TABLE` drops a sequence too, so a scoped query describes those of its names.)
fn sequences(history: &History) -> String {
    format!(
        "SELECT CAST('sequence' AS CHAR), CAST(t.TABLE_NAME AS CHAR),
  CAST(CONCAT('ENGINE=', t.ENGINE) AS CHAR)
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'SEQUENCE'{}",
        in_scope(history, "t.TABLE_NAME")
    )
}

/// `ORDINAL_POSITION` is logical (1…n after any ALTER). MariaDB's `COLUMN_DEFAULT` is an
/// expression: `'text'` quoted, `NULL` for DEFAULT NULL, SQL NULL for no default; MySQL's
/// is the bare value and cannot tell the last two apart. `GENERATION_EXPRESSION` is NULL
/// (MariaDB) or empty (MySQL) for ordinary columns. Views' columns are left out: the view's
/// definition says them. The base tables are a subquery, which MariaDB materializes once
/// with a unique key, not a joined table that it would scan for every column.
fn columns(history: &History) -> String {
    format!(
        "SELECT CAST('column' AS CHAR), CAST(CONCAT(c.TABLE_NAME, '.', c.COLUMN_NAME) AS CHAR),
  CAST(CONCAT_WS(' ', CONCAT('#', c.ORDINAL_POSITION), c.COLUMN_TYPE,
    IF(c.IS_NULLABLE = 'YES', 'NULL', 'NOT NULL'),
    CONCAT('DEFAULT ', c.COLUMN_DEFAULT), NULLIF(c.EXTRA, ''),
    CONCAT('AS (', NULLIF(c.GENERATION_EXPRESSION, ''), ')'),
    CONCAT('COLLATE ', c.COLLATION_NAME),
    IF(c.COLUMN_COMMENT = '', NULL, CONCAT('COMMENT ', QUOTE(c.COLUMN_COMMENT)))) AS CHAR)
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN (
  SELECT TABLE_NAME FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN {TABLE_TYPES}{}
) AND {}",
        in_scope(history, "TABLE_NAME"),
        not_history(history, "c.TABLE_NAME")
    )
}

/// One row per index: unique or not, type, key parts in order with prefix lengths and
/// direction (`COLLATION` `D`, MariaDB 10.8+ and MySQL 8). Never `CARDINALITY`, a
/// statistic. MySQL 8's functional key parts have no column name (their `EXPRESSION`
/// column does not exist on MariaDB) and show as `<expression>`.
fn indexes(history: &History) -> String {
    format!(
        "SELECT CAST('index' AS CHAR), CAST(CONCAT(s.TABLE_NAME, '.', s.INDEX_NAME) AS CHAR),
  CAST(CONCAT_WS(' ', IF(s.NON_UNIQUE = 0, 'UNIQUE', NULL), s.INDEX_TYPE,
    CONCAT('(', GROUP_CONCAT(CONCAT(IFNULL(s.COLUMN_NAME, '<expression>'),
      IFNULL(CONCAT('(', s.SUB_PART, ')'), ''), IF(s.COLLATION = 'D', ' DESC', ''))
      ORDER BY s.SEQ_IN_INDEX SEPARATOR ', '), ')'),
    IF(s.INDEX_COMMENT = '', NULL, CONCAT('COMMENT ', QUOTE(s.INDEX_COMMENT)))) AS CHAR)
FROM information_schema.STATISTICS s
WHERE s.TABLE_SCHEMA = DATABASE() AND {}
GROUP BY s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.INDEX_TYPE, s.INDEX_COMMENT",
        not_history(history, "s.TABLE_NAME")
    )
}

/// Each constraint's key columns in order (and, for a foreign key, the referenced ones), one
/// row per constraint. A grouped derived table is materialized, so its schema filter
/// stays with `KEY_COLUMN_USAGE`.
fn key_columns(history: &History) -> String {
    format!(
        "(
  SELECT TABLE_NAME, CONSTRAINT_NAME,
    GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ', ') AS key_columns,
    MAX(REFERENCED_TABLE_SCHEMA) AS referenced_schema,
    MAX(REFERENCED_TABLE_NAME) AS referenced_table,
    GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ', ')
      AS referenced_columns
  FROM information_schema.KEY_COLUMN_USAGE
  WHERE TABLE_SCHEMA = DATABASE(){}
  GROUP BY TABLE_NAME, CONSTRAINT_NAME
) k",
        in_scope(history, "TABLE_NAME")
    )
}

/// Primary and unique keys, with their columns in order.
///
/// Constraints are described in three parts (keys, foreign keys, checks) joined with inner
/// joins: MariaDB only narrows an `information_schema` table to one schema with a
/// condition in the WHERE clause (EXPLAIN says "Scanned 1 database"), and the schema
/// filter of a table on the right of a LEFT JOIN ends up in its ON clause, where it would
/// open the tables of every database on the server.
fn keys(history: &History) -> String {
    format!(
        "SELECT CAST('constraint' AS CHAR),
  CAST(CONCAT(tc.TABLE_NAME, '.', tc.CONSTRAINT_NAME) AS CHAR),
  CAST(CONCAT(tc.CONSTRAINT_TYPE, ' (', k.key_columns, ')') AS CHAR)
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN {} ON k.TABLE_NAME = tc.TABLE_NAME AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE')
  AND {}",
        key_columns(history),
        not_history(history, "tc.TABLE_NAME")
    )
}

/// Foreign keys: columns, referenced table (qualified only when it is in another
/// database) and columns in order, update and delete rules.
fn foreign_keys(history: &History) -> String {
    format!(
        "SELECT CAST('constraint' AS CHAR),
  CAST(CONCAT(rc.TABLE_NAME, '.', rc.CONSTRAINT_NAME) AS CHAR),
  CAST(CONCAT('FOREIGN KEY (', k.key_columns, ') REFERENCES ',
    IF(k.referenced_schema = DATABASE(), '', CONCAT(k.referenced_schema, '.')),
    k.referenced_table, ' (', k.referenced_columns, ') ON UPDATE ', rc.UPDATE_RULE,
    ' ON DELETE ', rc.DELETE_RULE) AS CHAR)
FROM information_schema.REFERENTIAL_CONSTRAINTS rc
JOIN {} ON k.TABLE_NAME = rc.TABLE_NAME AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND {}",
        key_columns(history),
        not_history(history, "rc.TABLE_NAME")
    )
}

/// Check constraints with their clause, as the server prints it. `CHECK_CONSTRAINTS` is
/// joined with `TABLE_CONSTRAINTS` by schema and name (MySQL 8's has no `TABLE_NAME`).
/// MariaDB names check constraints per table (two tables may each have a
/// `CONSTRAINT positive`, and a column's check is named after the column), so there the
/// join also matches the table, in a MariaDB-only executable comment.
/// <https://mariadb.com/kb/en/information-schema-check_constraints-table/>
fn checks(history: &History) -> String {
    format!(
        "SELECT CAST('constraint' AS CHAR),
  CAST(CONCAT(tc.TABLE_NAME, '.', tc.CONSTRAINT_NAME) AS CHAR),
  CAST(CONCAT('CHECK (', cc.CHECK_CLAUSE, ')') AS CHAR)
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
  /*M! AND cc.TABLE_NAME = tc.TABLE_NAME */
WHERE tc.TABLE_SCHEMA = DATABASE() AND cc.CONSTRAINT_SCHEMA = DATABASE()
  AND tc.CONSTRAINT_TYPE = 'CHECK' AND {}{}",
        not_history(history, "tc.TABLE_NAME"),
        // MariaDB's CHECK_CONSTRAINTS has the table's name, and a scope narrows it too.
        match history.scope {
            Some(_) => format!("\n  /*M!{} */", in_scope(history, "cc.TABLE_NAME")),
            None => String::new(),
        }
    )
}

/// The server qualifies every table in `VIEW_DEFINITION` with the database's name
/// (`` `db`.`t` ``): that qualifier is removed so that the description does not depend on
/// the name. Never the DEFINER.
fn views() -> String {
    "SELECT CAST('view' AS CHAR), CAST(v.TABLE_NAME AS CHAR),
  CAST(CONCAT_WS(' ',
    REPLACE(v.VIEW_DEFINITION, CONCAT('`', REPLACE(DATABASE(), '`', '``'), '`.'), ''),
    IF(v.CHECK_OPTION = 'NONE', NULL, CONCAT('WITH ', v.CHECK_OPTION, ' CHECK OPTION')),
    CONCAT('SQL SECURITY ', v.SECURITY_TYPE)) AS CHAR)
FROM information_schema.VIEWS v
WHERE v.TABLE_SCHEMA = DATABASE()"
        .to_owned()
}

/// Timing, event, table, order among the table's triggers of that timing and event, and
/// the body as written. Never the definer, creation time or `sql_mode`. Triggers are
/// stored with their table, so the schema filter that MariaDB narrows the search with is
/// the table's, `EVENT_OBJECT_SCHEMA` (it is also the trigger's).
fn triggers(history: &History) -> String {
    format!(
        "SELECT CAST('trigger' AS CHAR),
  CAST(CONCAT(tr.EVENT_OBJECT_TABLE, '.', tr.TRIGGER_NAME) AS CHAR),
  CAST(CONCAT(tr.ACTION_TIMING, ' ', tr.EVENT_MANIPULATION, ' ON ', tr.EVENT_OBJECT_TABLE,
    ' FOR EACH ', tr.ACTION_ORIENTATION, ' ORDER ', tr.ACTION_ORDER, ' ',
    tr.ACTION_STATEMENT) AS CHAR)
FROM information_schema.TRIGGERS tr
WHERE tr.EVENT_OBJECT_SCHEMA = DATABASE() AND {}",
        not_history(history, "tr.EVENT_OBJECT_TABLE")
    )
}

/// Procedures and functions: parameters in order (`ORDINAL_POSITION` 0 is a function's
/// return value), return type, characteristics and the body as written. The body is never
/// aggregated. Never the definer, times or `sql_mode`.
fn routines() -> String {
    // Named `procedure p` / `function p`: MySQL lets a procedure and a function share a name.
    "SELECT CAST('routine' AS CHAR),
  CAST(CONCAT(LOWER(r.ROUTINE_TYPE), ' ', r.ROUTINE_NAME) AS CHAR),
  CAST(CONCAT_WS(' ', CONCAT(r.ROUTINE_TYPE, ' (', IFNULL(p.parameters, ''), ')'),
    CONCAT('RETURNS ', r.DTD_IDENTIFIER),
    IF(r.IS_DETERMINISTIC = 'YES', 'DETERMINISTIC', 'NOT DETERMINISTIC'), r.SQL_DATA_ACCESS,
    CONCAT('SQL SECURITY ', r.SECURITY_TYPE),
    IF(r.ROUTINE_COMMENT = '', NULL, CONCAT('COMMENT ', QUOTE(r.ROUTINE_COMMENT))),
    r.ROUTINE_DEFINITION) AS CHAR)
FROM information_schema.ROUTINES r
LEFT JOIN (
  SELECT SPECIFIC_NAME, ROUTINE_TYPE,
    GROUP_CONCAT(CONCAT_WS(' ', PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER)
      ORDER BY ORDINAL_POSITION SEPARATOR ', ') AS parameters
  FROM information_schema.PARAMETERS
  WHERE SPECIFIC_SCHEMA = DATABASE() AND ORDINAL_POSITION > 0
  GROUP BY SPECIFIC_NAME, ROUTINE_TYPE
) p ON p.SPECIFIC_NAME = r.SPECIFIC_NAME AND p.ROUTINE_TYPE = r.ROUTINE_TYPE
WHERE r.ROUTINE_SCHEMA = DATABASE()"
        .to_owned()
}
