//! The embedded model: scripts, migrations and the set a binary carries.
//!
//! A [`MigrationSet`] is built either by `embed_migrations!` at compile time (borrowing
//! `'static` data) or by [`crate::source::load_dir`] at run time (owning its data). Both paths
//! run the same loader, so two sets built from one tree compare equal.

use std::borrow::Cow;
use std::fmt;

use crate::{Checksum, Dialect, Version};

/// Which way a script moves the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `up.sql`: from the previous version to this one.
    Up,
    /// `down.sql`: from this version back to the previous one.
    Down,
}

impl Direction {
    /// The file stem: `up` or `down`.
    pub const fn stem(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.stem())
    }
}

/// Whether a script runs inside a transaction (`-- migrate:no-transaction` opts out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransactionMode {
    /// The script and its history row commit together, where the database allows it.
    #[default]
    Transactional,
    /// The script runs outside a transaction (PostgreSQL `CREATE INDEX CONCURRENTLY`, …).
    NoTransaction,
}

/// Whether a down script may run (`-- migrate:irreversible` says it may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reversibility {
    /// The down script undoes the up script.
    #[default]
    Reversible,
    /// The version cannot be reverted; revert refuses and names it.
    Irreversible,
}

/// The directives a script declares in its leading comment lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Directives {
    /// `-- migrate:no-transaction`.
    pub transaction: TransactionMode,
    /// `-- migrate:irreversible` (down scripts only).
    pub reversibility: Reversibility,
}

/// One SQL file of a migration: `up.sql`, `down.postgres.sql`, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    dialect: Option<Dialect>,
    path: Cow<'static, str>,
    sql: Cow<'static, str>,
    checksum: Checksum,
    directives: Directives,
}

impl Script {
    /// A script loaded at run time.
    pub(crate) fn new(
        dialect: Option<Dialect>,
        path: String,
        sql: String,
        checksum: Checksum,
        directives: Directives,
    ) -> Script {
        Script {
            dialect,
            path: Cow::Owned(path),
            sql: Cow::Owned(sql),
            checksum,
            directives,
        }
    }

    /// A script embedded by `embed_migrations!`.
    #[doc(hidden)]
    pub const fn __embedded(
        dialect: Option<Dialect>,
        path: &'static str,
        sql: &'static str,
        checksum: Checksum,
        directives: Directives,
    ) -> Script {
        Script {
            dialect,
            path: Cow::Borrowed(path),
            sql: Cow::Borrowed(sql),
            checksum,
            directives,
        }
    }

    /// The dialect this file overrides (`up.mysql.sql`), or `None` for the shared `up.sql`.
    pub fn dialect(&self) -> Option<Dialect> {
        self.dialect
    }

    /// The path relative to the versions folder, with `/` separators: `V2__features/up.sql`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The script text, exactly as in the file.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The checksum of the script's canonical form.
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }

    /// The directives from the script's leading comment lines.
    pub fn directives(&self) -> Directives {
        self.directives
    }
}

/// One version: its number, description and the scripts that apply and revert it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    version: Version,
    description: Cow<'static, str>,
    up: Cow<'static, [Script]>,
    down: Cow<'static, [Script]>,
}

impl Migration {
    /// A migration loaded at run time.
    pub(crate) fn new(
        version: Version,
        description: String,
        up: Vec<Script>,
        down: Vec<Script>,
    ) -> Migration {
        Migration {
            version,
            description: Cow::Owned(description),
            up: Cow::Owned(up),
            down: Cow::Owned(down),
        }
    }

    /// A migration embedded by `embed_migrations!`.
    #[doc(hidden)]
    pub const fn __embedded(
        version: Version,
        description: &'static str,
        up: &'static [Script],
        down: &'static [Script],
    ) -> Migration {
        Migration {
            version,
            description: Cow::Borrowed(description),
            up: Cow::Borrowed(up),
            down: Cow::Borrowed(down),
        }
    }

    /// The version number.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The description from the folder name (`V2__add_features` → `add features`), or empty.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Every script of one direction: the shared file first, then dialect overrides.
    pub fn scripts(&self, direction: Direction) -> &[Script] {
        match direction {
            Direction::Up => &self.up,
            Direction::Down => &self.down,
        }
    }

    /// The script that runs for `direction` on `dialect`: the dialect's override if there is
    /// one, else the shared file, else `None`.
    pub fn script(&self, direction: Direction, dialect: Dialect) -> Option<&Script> {
        let scripts = self.scripts(direction);
        scripts
            .iter()
            .find(|s| s.dialect == Some(dialect))
            .or_else(|| scripts.iter().find(|s| s.dialect.is_none()))
    }
}

/// Every migration a binary knows, in version order, numbered contiguously from 1.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    migrations: Cow<'static, [Migration]>,
    dialects: Cow<'static, [Dialect]>,
    source_dir: Option<Cow<'static, str>>,
}

impl MigrationSet {
    /// A set loaded at run time; `migrations` are in order and contiguous (the loader checks).
    pub(crate) fn new(
        migrations: Vec<Migration>,
        dialects: Vec<Dialect>,
        source_dir: Option<String>,
    ) -> MigrationSet {
        MigrationSet {
            migrations: Cow::Owned(migrations),
            dialects: Cow::Owned(dialects),
            source_dir: source_dir.map(Cow::Owned),
        }
    }

    /// A set embedded by `embed_migrations!`.
    #[doc(hidden)]
    pub const fn __embedded(
        migrations: &'static [Migration],
        dialects: &'static [Dialect],
        source_dir: Option<&'static str>,
    ) -> MigrationSet {
        MigrationSet {
            migrations: Cow::Borrowed(migrations),
            dialects: Cow::Borrowed(dialects),
            source_dir: match source_dir {
                Some(dir) => Some(Cow::Borrowed(dir)),
                None => None,
            },
        }
    }

    /// The migrations, in version order.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The migration numbered `version`, if the set has it.
    pub fn get(&self, version: Version) -> Option<&Migration> {
        let index = usize::try_from(version.get() - 1).ok()?;
        self.migrations.get(index)
    }

    /// The newest version, or `None` for an empty set.
    pub fn latest(&self) -> Option<Version> {
        self.migrations.last().map(Migration::version)
    }

    /// The dialects the set's shared scripts were checked against when it was loaded.
    pub fn dialects(&self) -> &[Dialect] {
        &self.dialects
    }

    /// The absolute folder the set was embedded from, kept in debug builds only for
    /// [`MigrationSet::check_source_dir`].
    pub fn source_dir(&self) -> Option<&str> {
        self.source_dir.as_deref()
    }
}

/// Two sets are equal when they hold the same migrations for the same dialects; where they
/// were loaded from does not matter.
impl PartialEq for MigrationSet {
    fn eq(&self, other: &MigrationSet) -> bool {
        self.migrations == other.migrations && self.dialects == other.dialects
    }
}

impl Eq for MigrationSet {}
