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

/// MySQL and MariaDB: `information_schema`, every table of it filtered on this schema
/// (`TABLE_SCHEMA = DATABASE()` or its like) in a WHERE clause, so that the server opens the
/// tables of this schema only (EXPLAIN: "Scanned 1 database", not "all databases").
/// <https://dev.mysql.com/doc/refman/5.7/en/information-schema-optimization.html>
mod mysql {
    use super::{union_all, History};

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
    /// with a unique key, not a joined table that it scanned for every column: on MariaDB
    /// 10.11 and a hundred tables, about 3 ms instead of 9.
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
}

/// PostgreSQL: `pg_catalog`, in the schema `current_schema()`, leaving out objects that belong
/// to extensions (`pg_depend.deptype = 'e'`): `CREATE EXTENSION` makes them, not a migration.
/// <https://www.postgresql.org/docs/current/catalog-pg-depend.html>
mod postgres {
    use super::{union_all, History};

    pub(super) fn query(history: &History) -> String {
        let mut parts = vec![
            tables(history),
            columns(history),
            indexes(history),
            constraints(history),
            triggers(history),
            sequences(history),
        ];
        match history.scope {
            None => parts.extend([views(), routines(), types()]),
            Some(_) => parts.push(inheritance(history)),
        }
        format!(
            "SELECT kind::text, name::text, definition::text\nFROM (\n{}\n) AS description",
            union_all(&parts)
        )
    }

    /// ` AND c.relname = ANY (…)` in a scoped query, reading the names from the setting
    /// [`super::PG_SCOPE_SETTING`] (set by [`super::set_scope`]) rather than from literals:
    /// the query's text then stays the same whatever the scope, so that the connection
    /// keeps it prepared (planning it takes about 3 ms; running it, half a millisecond).
    fn in_scope(history: &History) -> String {
        history.scoped(|_| {
            format!(
                "c.relname = ANY (current_setting('{}')::text[])",
                super::PG_SCOPE_SETTING
            )
        })
    }

    /// In a scoped query, a row of kind `~inherits` for each relation of the scope that is not
    /// a plain table (`ALTER TABLE` also alters views, indexes and sequences) or has a parent
    /// or children (`ALTER TABLE` and `CREATE INDEX` on a parent reach its children), so that
    /// the caller describes the whole schema instead.
    fn inheritance(history: &History) -> String {
        format!(
            "SELECT '~inherits', c.relname, ''
FROM pg_class c
{}
WHERE TRUE{}
  AND (c.relkind NOT IN ('r', 'p')
    OR EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid))",
            in_current_schema("c.relnamespace"),
            in_scope(history)
        )
    }

    /// Joins `pg_namespace n` on `{namespace}` and keeps the current schema.
    fn in_current_schema(namespace: &str) -> String {
        format!("JOIN pg_namespace n ON n.oid = {namespace} AND n.nspname = current_schema()")
    }

    /// The object `oid`, of the catalog `catalog`, is not a member of an extension.
    fn not_in_extension(catalog: &str, oid: &str) -> String {
        not_made_by(catalog, oid, "'e'")
    }

    /// The object `oid`, of the catalog `catalog`, was not made by another object: by
    /// `CREATE EXTENSION` (`e`), or as part of it (`i`, such as the constructor functions
    /// of a range type, which its type describes).
    fn not_made_by(catalog: &str, oid: &str, deptypes: &str) -> String {
        format!(
            "NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = '{catalog}'::regclass \
             AND e.objid = {oid} AND e.deptype IN ({deptypes}))"
        )
    }

    /// `text` without the current schema's qualifier. The `pg_get_*def` functions qualify
    /// some names (always the table of an index or a trigger, the function in
    /// `CREATE FUNCTION`), which would make the description depend on the schema's name. The
    /// qualifier is matched as a whole word (a lookbehind, PostgreSQL 9.6+) so that
    /// `notpublic.x` stays; the schema's name is escaped for the regular expression.
    /// Backslashes are written in `E''` strings, whose meaning does not depend on
    /// `standard_conforming_strings`.
    fn unqualified(text: &str) -> String {
        format!(
            r#"regexp_replace({text},
    E'(?<![[:alnum:]_$"])'
      || regexp_replace(quote_ident(current_schema()), E'([^[:alnum:]_])', E'\\\\\\1', 'g')
      || E'\\.',
    '', 'g')"#
        )
    }

    /// Joins the comment (`ds.description`) of the column `subid` of the relation `oid` (0:
    /// the relation itself): what `col_description` and `obj_description` return, read in the
    /// join instead of by a function called once per row, which measured a third of the
    /// columns' part on a schema of a hundred tables. `pg_description`'s primary key is
    /// (objoid, classoid, objsubid), so the join adds no rows.
    fn comment(oid: &str, subid: &str) -> String {
        format!(
            "LEFT JOIN pg_description ds ON ds.objoid = {oid} \
             AND ds.classoid = 'pg_catalog.pg_class'::regclass AND ds.objsubid = {subid}"
        )
    }

    /// Tables and partitioned tables: persistence, partitioning, storage options, comment.
    ///
    /// The name is cast to `text`: a `UNION` takes the type of its first part's column, and
    /// `relname` is a `name`, 63 bytes at most, which would cut every longer `table.object`
    /// of the later parts. <https://www.postgresql.org/docs/current/typeconv-union-case.html>
    fn tables(history: &History) -> String {
        format!(
            "SELECT 'table' AS kind, c.relname::text AS name,
  concat_ws(' ', CASE c.relpersistence WHEN 'u' THEN 'UNLOGGED' ELSE 'LOGGED' END,
    'PARTITION OF ' || quote_ident(parent.relname) || ' ' || pg_get_expr(c.relpartbound, c.oid),
    'PARTITION BY ' || pg_get_partkeydef(c.oid),
    'WITH (' || array_to_string(c.reloptions, ', ') || ')',
    'COMMENT ' || quote_literal(ds.description)) AS definition
FROM pg_class c
{}
{}
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class parent ON parent.oid = i.inhparent
WHERE c.relkind IN ('r', 'p') AND c.relname NOT IN ({}) AND {}{}",
            in_current_schema("c.relnamespace"),
            comment("c.oid", "0"),
            history.names,
            not_in_extension("pg_class", "c.oid"),
            in_scope(history)
        )
    }

    /// The position is the logical one, counted among the live columns: `attnum` keeps the
    /// holes that DROP COLUMN leaves, so ADD, DROP, ADD would differ from a single ADD.
    /// Generated columns keep their expression where defaults do (`pg_attrdef`).
    fn columns(history: &History) -> String {
        format!(
            "SELECT 'column', c.relname || '.' || a.attname,
  concat_ws(' ', '#' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
    format_type(a.atttypid, a.atttypmod),
    CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
    CASE WHEN a.attgenerated = 's'
      THEN 'GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
      ELSE 'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) END,
    CASE a.attidentity WHEN 'a' THEN 'GENERATED ALWAYS AS IDENTITY'
      WHEN 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY' END,
    'COLLATE ' || quote_ident(co.collname),
    'COMMENT ' || quote_literal(ds.description))
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
{}
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
{}
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relname NOT IN ({}) AND {}{}",
            in_current_schema("c.relnamespace"),
            comment("c.oid", "a.attnum"),
            history.names,
            not_in_extension("pg_class", "c.oid"),
            in_scope(history)
        )
    }

    /// Every index of a table or materialized view, those behind constraints included, as
    /// `CREATE INDEX` text.
    fn indexes(history: &History) -> String {
        format!(
            "SELECT 'index', c.relname || '.' || i.relname, {}
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
{}
WHERE c.relkind IN ('r', 'p', 'm') AND c.relname NOT IN ({}) AND {}{}",
            unqualified("pg_get_indexdef(x.indexrelid)"),
            in_current_schema("c.relnamespace"),
            history.names,
            not_in_extension("pg_class", "c.oid"),
            in_scope(history)
        )
    }

    /// Primary key, unique, foreign key, check and exclusion constraints of tables. (Domain
    /// constraints are part of their type; NOT NULL is part of the column.)
    fn constraints(history: &History) -> String {
        format!(
            "SELECT 'constraint', c.relname || '.' || k.conname, {}
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
{}
WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relname NOT IN ({}) AND {}{}",
            unqualified("pg_get_constraintdef(k.oid)"),
            in_current_schema("c.relnamespace"),
            history.names,
            not_in_extension("pg_class", "c.oid"),
            in_scope(history)
        )
    }

    /// Views and materialized views: the server's rewritten query and the options
    /// (`check_option`, `security_barrier`…).
    fn views() -> String {
        format!(
            "SELECT 'view', c.relname,
  concat_ws(' ', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED' END,
    'WITH (' || array_to_string(c.reloptions, ', ') || ')', btrim({}))
FROM pg_class c
{}
WHERE c.relkind IN ('v', 'm') AND {}",
            unqualified("pg_get_viewdef(c.oid)"),
            in_current_schema("c.relnamespace"),
            not_in_extension("pg_class", "c.oid")
        )
    }

    /// User triggers (not the internal ones behind foreign keys), as `CREATE TRIGGER` text,
    /// and whether they fire (`ALTER TABLE … DISABLE TRIGGER`). Trigger names are unique per
    /// table only, hence the qualified name.
    fn triggers(history: &History) -> String {
        format!(
            "SELECT 'trigger', c.relname || '.' || g.tgname,
  concat_ws(' ', {}, CASE g.tgenabled WHEN 'D' THEN 'DISABLED' WHEN 'R' THEN 'ENABLED REPLICA'
    WHEN 'A' THEN 'ENABLED ALWAYS' END)
FROM pg_trigger g
JOIN pg_class c ON c.oid = g.tgrelid
{}
WHERE NOT g.tgisinternal AND c.relname NOT IN ({}) AND {}{}",
            unqualified("pg_get_triggerdef(g.oid)"),
            in_current_schema("c.relnamespace"),
            history.names,
            not_in_extension("pg_class", "c.oid"),
            in_scope(history)
        )
    }

    /// Functions and procedures (not aggregates or window functions), named with their
    /// argument types since PostgreSQL overloads names, as `CREATE FUNCTION` text with the
    /// body as written.
    fn routines() -> String {
        format!(
            "SELECT 'routine', p.proname || '(' || oidvectortypes(p.proargtypes) || ')', {}
FROM pg_proc p
{}
WHERE p.prokind IN ('f', 'p') AND {}",
            unqualified("pg_get_functiondef(p.oid)"),
            in_current_schema("p.pronamespace"),
            not_made_by("pg_proc", "p.oid", "'e', 'i'")
        )
    }

    /// Sequences' options and owning column, never their position. Those of identity and
    /// serial columns of the history tables (`pg_depend` `i` and `a`) are left out.
    fn sequences(history: &History) -> String {
        format!(
            "SELECT 'sequence', c.relname,
  concat_ws(' ', 'AS ' || format_type(s.seqtypid, NULL), 'START ' || s.seqstart,
    'INCREMENT ' || s.seqincrement, 'MINVALUE ' || s.seqmin, 'MAXVALUE ' || s.seqmax,
    'CACHE ' || s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END,
    'OWNED BY ' || quote_ident(owner.relname) || '.' || quote_ident(owner_column.attname))
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
{}
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
  AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class owner ON owner.oid = d.refobjid
LEFT JOIN pg_attribute owner_column
  ON owner_column.attrelid = d.refobjid AND owner_column.attnum = d.refobjsubid
WHERE (owner.relname IS NULL OR owner.relname NOT IN ({})) AND {}",
            in_current_schema("c.relnamespace"),
            history.names,
            not_in_extension("pg_class", "c.oid")
        )
    }

    /// Enums (labels in order), domains (base type, NOT NULL, default, checks), composite
    /// types (attributes in order) and ranges. Not the array and row types that PostgreSQL
    /// makes for every type and table. The subqueries are index lookups on few rows.
    fn types() -> String {
        format!(
            "SELECT 'type', t.typname,
  CASE t.typtype
    WHEN 'e' THEN 'ENUM (' || (SELECT string_agg(quote_literal(l.enumlabel), ', '
      ORDER BY l.enumsortorder) FROM pg_enum l WHERE l.enumtypid = t.oid) || ')'
    WHEN 'd' THEN concat_ws(' ', 'DOMAIN ' || format_type(t.typbasetype, t.typtypmod),
      CASE WHEN t.typnotnull THEN 'NOT NULL' END, 'DEFAULT ' || t.typdefault,
      (SELECT string_agg('CONSTRAINT ' || quote_ident(k.conname) || ' '
        || pg_get_constraintdef(k.oid), ' ' ORDER BY k.conname)
       FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'))
    WHEN 'c' THEN 'COMPOSITE (' || (SELECT string_agg(quote_ident(a.attname) || ' '
      || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
      FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
        AND NOT a.attisdropped) || ')'
    WHEN 'r' THEN 'RANGE (SUBTYPE = ' || (SELECT format_type(r.rngsubtype, NULL)
      FROM pg_range r WHERE r.rngtypid = t.oid) || ')'
  END
FROM pg_type t
{}
LEFT JOIN pg_class rel ON rel.oid = t.typrelid
WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND rel.relkind = 'c')) AND {}",
            in_current_schema("t.typnamespace"),
            not_in_extension("pg_type", "t.oid")
        )
    }
}

/// SQLite: `sqlite_master` and the table-valued pragma functions (`pragma_table_list` needs
/// SQLite 3.37, `group_concat(… ORDER BY …)` 3.44; sqlx bundles 3.46).
/// <https://www.sqlite.org/pragma.html#pragfunc>
///
/// SQLite exposes CHECK constraints, generation expressions and column collations through no
/// pragma, only inside the `CREATE TABLE` text, which is not parsed here: they are not
/// described. Nor are constraint names, which only that text holds.
mod sqlite {
    use super::{union_all, History};

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
}
