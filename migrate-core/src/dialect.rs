//! The SQL dialects migrate speaks.

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

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::MySql => "MySQL/MariaDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
        })
    }
}
