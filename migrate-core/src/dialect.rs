//! The SQL dialects migrate speaks.

use std::borrow::Cow;
use std::fmt;

/// A family of SQL servers that share a grammar for splitting and a set of script overrides.
///
/// The file-name tag (`up.mysql.sql`, `up.postgres.sql`, `up.sqlite.sql`) is [`Dialect::tag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// MySQL and MariaDB.
    MySql,
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Dialect {
    /// Every dialect, in a fixed order.
    pub const ALL: [Dialect; 3] = [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite];

    /// The tag used in script file names: `mysql`, `postgres` or `sqlite`.
    pub const fn tag(self) -> &'static str {
        match self {
            Dialect::MySql => "mysql",
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// The dialect whose file-name tag is `tag`, if any.
    pub fn from_tag(tag: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.tag() == tag)
    }
}

// Running: how the runner may send a script and time it.
impl Dialect {
    /// Whether every script is journaled statement by statement: DDL commits implicitly
    /// (MySQL/MariaDB), so a script cannot run in one transaction.
    pub(crate) const fn journals(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether several statements may travel in one round trip that stops at the first error
    /// (MySQL/MariaDB multi-statements); elsewhere a multi-statement query is one implicit
    /// transaction, or is not supported.
    pub(crate) const fn batches(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether the session keeps a clock the runner can start and read back later (a
    /// MySQL/MariaDB user variable), to time a step whose closing write is sent with it.
    pub(crate) const fn session_clock(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether the server can time a transaction itself
    /// (`clock_timestamp() - transaction_timestamp()` on PostgreSQL).
    pub(crate) const fn times_units(self) -> bool {
        matches!(self, Dialect::Postgres)
    }
}

// Lexing: how the tokenizer (`crate::lex`) reads quotes, comments and client lines.
impl Dialect {
    /// Whether `E'…'` is a string whose backslashes escape (PostgreSQL); elsewhere `E` before
    /// a quote is a word of its own.
    pub(crate) const fn escape_strings(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Whether `--` starts a comment only before whitespace, a control character or the end
    /// of the text (MySQL/MariaDB, where `1--1` is arithmetic); elsewhere it always does.
    pub(crate) const fn spaced_dash_comments(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether `#` starts a comment to the end of the line (MySQL/MariaDB).
    pub(crate) const fn hash_comments(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether `/*! … */` and `/*M! … */` are executable comments, whose content the server
    /// runs as SQL (MySQL/MariaDB), so they must be read as SQL and not skipped.
    pub(crate) const fn executable_comments(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether a `/*` inside a block comment opens a nested one that needs its own `*/`
    /// (PostgreSQL).
    pub(crate) const fn nested_comments(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Whether `$tag$…$tag$` quotes an opaque body (PostgreSQL). There no name starts with
    /// `$`: a word that does is a `$1` parameter or an unclosed tag.
    pub(crate) const fn dollar_quotes(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Whether `` `…` `` quotes an identifier (MySQL/MariaDB, SQLite); on PostgreSQL a
    /// backtick is a lone character that no statement followed here holds.
    pub(crate) const fn backtick_identifiers(self) -> bool {
        matches!(self, Dialect::MySql | Dialect::Sqlite)
    }

    /// Whether a `DELIMITER` line at the start of a line changes the delimiter that ends
    /// statements (the MySQL/MariaDB command-line client's directive, which scripts use).
    pub(crate) const fn delimiter_lines(self) -> bool {
        matches!(self, Dialect::MySql)
    }
}

// Splitting: which statements hold bodies whose `;` do not end them.
impl Dialect {
    /// Whether stored programs and compound statements are SQL blocks written inline
    /// (`BEGIN … END`, `IF … END IF`), whose inner `;` do not end the statement
    /// (MySQL/MariaDB); PostgreSQL quotes its bodies instead.
    pub(crate) const fn inline_programs(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether a trigger, `CREATE [TEMP] TRIGGER … BEGIN … END`, is the only statement with a
    /// body of statements (SQLite).
    pub(crate) const fn only_triggers_have_bodies(self) -> bool {
        matches!(self, Dialect::Sqlite)
    }
}

// Schema reach: the statement forms `crate::schema`'s reach reads, and what they can change.
impl Dialect {
    /// Whether a statement may run user code that changes the schema: functions that a data
    /// statement's triggers, defaults and rules call, event triggers on DDL (PostgreSQL).
    /// MySQL/MariaDB and SQLite refuse DDL there, so data statements leave the schema alone.
    pub(crate) const fn user_code_runs_ddl(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Whether the dialect has `TRUNCATE` (SQLite empties a table with `DELETE` instead).
    pub(crate) const fn has_truncate(self) -> bool {
        matches!(self, Dialect::MySql | Dialect::Postgres)
    }

    /// Whether `CREATE OR REPLACE TABLE` exists (MariaDB), which drops the table it replaces
    /// and with it the table's triggers.
    pub(crate) const fn or_replace_tables(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether `ALTER` may take `ONLINE` or `IGNORE` before `TABLE` (MySQL/MariaDB).
    pub(crate) const fn alter_table_modifiers(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether `DROP TEMPORARY TABLE` exists (MySQL/MariaDB).
    pub(crate) const fn temporary_drops(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether tables inherit from others, partitions from their parent (PostgreSQL): `ONLY t`
    /// names one table of a hierarchy, and dropping a partitioned table drops other tables.
    pub(crate) const fn table_inheritance(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Whether indexes are built and dropped without blocking writes with
    /// `CREATE INDEX CONCURRENTLY` / `DROP INDEX CONCURRENTLY` (PostgreSQL).
    pub(crate) const fn concurrent_indexes(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// The length in bytes past which the server silently truncates an identifier
    /// (PostgreSQL: 63); `None` where a longer name is refused or kept whole.
    pub(crate) const fn truncates_identifiers_at(self) -> Option<usize> {
        match self {
            Dialect::Postgres => Some(63),
            Dialect::MySql | Dialect::Sqlite => None,
        }
    }
}

// Describe: which objects a scoped description of some tables covers, and how it is asked.
impl Dialect {
    /// Whether only dropping a table changes its triggers (MySQL/MariaDB: `CREATE TABLE`
    /// makes none, `ALTER TABLE` leaves them); PostgreSQL's `ALTER TABLE` enables and
    /// disables them, and a partition takes its parent's.
    pub(crate) const fn triggers_survive_alter(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether a table's identity and serial columns make sequences named otherwise than the
    /// table (PostgreSQL), so that a scoped description covers every sequence.
    pub(crate) const fn column_sequences(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Whether the case of table names is stored and compared as a server setting says
    /// (MySQL/MariaDB's `lower_case_table_names`), so a name differing only in case, or one
    /// with non-ASCII letters, may be the table a statement meant.
    pub(crate) const fn table_case_by_setting(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// Whether a scoped description reads the scope's table names from a session setting,
    /// set by a statement of its own before the query (PostgreSQL).
    pub(crate) const fn scope_in_setting(self) -> bool {
        matches!(self, Dialect::Postgres)
    }
}

// URLs: how a database URL names the database and reaches the client.
impl Dialect {
    /// Whether a database is a file named in the URL, with no server, credentials or
    /// parsed URL (SQLite).
    pub(crate) const fn file_databases(self) -> bool {
        matches!(self, Dialect::Sqlite)
    }

    /// A URL scheme the dialect accepts that its clients do not, with the one they read
    /// instead: `mariadb://` is sent as `mysql://`, the same protocol.
    pub(crate) const fn client_scheme_alias(self) -> Option<(&'static str, &'static str)> {
        match self {
            Dialect::MySql => Some(("mariadb", "mysql")),
            Dialect::Postgres | Dialect::Sqlite => None,
        }
    }

    /// Whether a URL with no path may name its database in a `dbname` query parameter, as
    /// libpq's URLs do (PostgreSQL).
    pub(crate) const fn dbname_parameter(self) -> bool {
        matches!(self, Dialect::Postgres)
    }
}

// Quoting: identifiers and string literals in SQL the runner writes.
impl Dialect {
    /// `name` quoted as an identifier. Callers pass validated names only.
    pub(crate) fn quote_ident(self, name: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
            Dialect::Postgres | Dialect::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// `value` as a string literal that means the same whatever the session's settings.
    ///
    /// - MySQL/MariaDB: a hexadecimal literal with a `_utf8mb4` introducer, because the meaning of
    ///   a backslash inside quotes depends on `sql_mode` (`NO_BACKSLASH_ESCAPES`).
    ///   <https://mariadb.com/kb/en/hexadecimal-literals/>
    /// - PostgreSQL: an `E'…'` escape string, whose backslashes mean the same whatever
    ///   `standard_conforming_strings` says.
    ///   <https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS-ESCAPE>
    /// - SQLite: a standard string with doubled quotes.
    ///
    /// NUL characters, which PostgreSQL cannot store in text, are replaced everywhere.
    pub(crate) fn string_literal(self, value: &str) -> String {
        // Copied only when there is a NUL to replace: the runner writes several literals per
        // version it runs.
        let value = match value.contains('\0') {
            true => Cow::Owned(value.replace('\0', "\u{fffd}")),
            false => Cow::Borrowed(value),
        };
        match self {
            Dialect::MySql => {
                if value.is_empty() {
                    return "''".to_owned();
                }
                // Two digits per byte from a table: no allocation per byte.
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let mut out = String::with_capacity(12 + value.len() * 2);
                out.push_str("_utf8mb4 X'");
                for byte in value.bytes() {
                    out.push(char::from(HEX[usize::from(byte >> 4)]));
                    out.push(char::from(HEX[usize::from(byte & 0x0f)]));
                }
                out.push('\'');
                out
            }
            Dialect::Postgres => format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''")),
            Dialect::Sqlite => format!("'{}'", value.replace('\'', "''")),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::MySql => "MySQL/MariaDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn identifiers_are_quoted_per_dialect() {
        assert_eq!(Dialect::MySql.quote_ident("h"), "`h`");
        assert_eq!(Dialect::Postgres.quote_ident("h"), "\"h\"");
        assert_eq!(Dialect::Sqlite.quote_ident("h"), "\"h\"");
    }

    #[test]
    fn string_literals_escape_per_dialect() {
        let nasty = "it's a \\ back'slash";
        assert_eq!(
            Dialect::Sqlite.string_literal(nasty),
            "'it''s a \\ back''slash'"
        );
        assert_eq!(
            Dialect::Postgres.string_literal(nasty),
            "E'it''s a \\\\ back''slash'"
        );
        assert_eq!(Dialect::MySql.string_literal("a'"), "_utf8mb4 X'6127'");
        assert_eq!(Dialect::MySql.string_literal(""), "''");
        assert_eq!(
            Dialect::MySql.string_literal("é\0~"),
            "_utf8mb4 X'C3A9EFBFBD7E'"
        );
        assert_eq!(Dialect::Sqlite.string_literal("a\0b"), "'a\u{fffd}b'");
    }
}
