//! The database servers a test can run against ([`Backend`]), and whether a migration set can
//! run on one ([`unsupported`]).

use crate::{Dialect, Direction, MigrationSet};

/// A database server kind a test can run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An SQLite file in a temporary folder.
    Sqlite,
    /// MySQL or MariaDB at `MIGRATE_TEST_MYSQL_URL`.
    MySql,
    /// PostgreSQL at `MIGRATE_TEST_POSTGRES_URL`.
    Postgres,
}

impl Backend {
    /// The server URL tests use for this backend (the admin database the test databases are
    /// created from), or `None` for SQLite.
    pub fn server_url(self) -> Option<String> {
        let (var, default) = match self {
            Backend::Sqlite => return None,
            Backend::MySql => ("MIGRATE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
            Backend::Postgres => (
                "MIGRATE_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
        };
        Some(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    }

    /// The SQL dialect of the backend.
    pub fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::MySql => Dialect::MySql,
            Backend::Postgres => Dialect::Postgres,
        }
    }
}

/// Why `set` cannot run on `backend`, if it cannot: the first version missing a script for its
/// dialect, or the dialects the set was embedded for.
pub fn unsupported(set: &MigrationSet, backend: Backend) -> Option<String> {
    let dialect = match backend {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::MySql => Dialect::MySql,
        Backend::Postgres => Dialect::Postgres,
    };
    if !set.dialects().contains(&dialect) {
        return Some(format!(
            "the migrations are embedded for other dialects than {dialect}"
        ));
    }
    set.migrations().iter().find_map(|m| {
        [Direction::Up, Direction::Down]
            .into_iter()
            .find(|&d| m.script(d, dialect).is_none())
            .map(|d| {
                format!(
                    "version {} has no {} script for {dialect}",
                    m.version(),
                    d.stem()
                )
            })
    })
}
