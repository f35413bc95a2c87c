//! PostgreSQL: `pg_catalog`, in the schema `current_schema()`, leaving out objects that belong
//! to extensions (`pg_depend.deptype = 'e'`): `CREATE EXTENSION` makes them, not a migration.
//! <https://www.postgresql.org/docs/current/catalog-pg-depend.html>

use super::parts::{union_all, History};
use crate::Dialect;

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
/// [`PG_SCOPE_SETTING`] (set by [`set_scope`]) rather than from literals:
/// the query's text then stays the same whatever the scope, so that the connection
/// keeps it prepared (planning it costs several times more than running it).
fn in_scope(history: &History) -> String {
    history.scoped(|_| {
        format!(
            "c.relname = ANY (current_setting('{}')::text[])",
            PG_SCOPE_SETTING
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
/// join instead of by a function called once per row, which is slower. `pg_description`'s
/// primary key is (objoid, classoid, objsubid), so the join adds no rows.
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
