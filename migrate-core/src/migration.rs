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

    /// In debug builds, checks that the folder the set was embedded from holds no version the
    /// binary lacks (a folder added without a rebuild) and lost none it has.
    ///
    /// Returns `Ok` when there is nothing to compare: release builds, and sets loaded at run
    /// time, carry no source folder.
    pub fn check_source_dir(&self) -> Result<(), crate::Error> {
        let Some(dir) = self.source_dir() else {
            return Ok(());
        };
        let on_disk = crate::source::list_versions(std::path::Path::new(dir))?;
        let embedded: Vec<Version> = self.migrations.iter().map(Migration::version).collect();
        let not_embedded: Vec<String> = on_disk
            .iter()
            .filter(|(v, _)| !embedded.contains(v))
            .map(|(_, name)| name.clone())
            .collect();
        let not_on_disk: Vec<Version> = embedded
            .iter()
            .copied()
            .filter(|v| !on_disk.iter().any(|(d, _)| d == v))
            .collect();
        if not_embedded.is_empty() && not_on_disk.is_empty() {
            return Ok(());
        }
        Err(crate::Error::StaleBinary {
            dir: dir.to_owned(),
            not_embedded,
            not_on_disk,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write_version(root: &std::path::Path, name: &str) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("up.sql"), "CREATE TABLE t (id INT);").expect("write");
        std::fs::write(dir.join("down.sql"), "DROP TABLE t;").expect("write");
    }

    fn set_with_source(root: &std::path::Path) -> MigrationSet {
        let loaded = crate::source::load_dir(root, &Dialect::ALL).expect("valid tree");
        MigrationSet::new(
            loaded.migrations().to_vec(),
            Dialect::ALL.to_vec(),
            Some(root.display().to_string()),
        )
    }

    #[test]
    fn check_source_dir_reports_a_folder_added_after_the_build() {
        let tmp = tempfile::tempdir().expect("temp dir");
        write_version(tmp.path(), "V1__init");
        let set = set_with_source(tmp.path());
        set.check_source_dir().expect("up to date");
        write_version(tmp.path(), "V2__later");
        let err = set.check_source_dir().expect_err("stale");
        match &err {
            crate::Error::StaleBinary {
                not_embedded,
                not_on_disk,
                ..
            } => {
                assert_eq!(not_embedded, &["V2__later".to_owned()]);
                assert!(not_on_disk.is_empty());
            }
            other => panic!("unexpected error: {other:?}"),
        }
        assert!(err.to_string().contains("V2__later"), "{err}");
        assert!(err.to_string().contains("rerun-if-changed"), "{err}");
    }

    #[test]
    fn check_source_dir_reports_a_folder_removed_after_the_build() {
        let tmp = tempfile::tempdir().expect("temp dir");
        write_version(tmp.path(), "V1");
        write_version(tmp.path(), "V2");
        let set = set_with_source(tmp.path());
        std::fs::remove_dir_all(tmp.path().join("V2")).expect("remove");
        match set.check_source_dir() {
            Err(crate::Error::StaleBinary { not_on_disk, .. }) => {
                assert_eq!(not_on_disk, vec![Version::__embedded(2)]);
            }
            other => panic!("unexpected: {other:?}"),
        }
    }

    #[test]
    fn set_without_source_dir_has_nothing_to_check() {
        let tmp = tempfile::tempdir().expect("temp dir");
        write_version(tmp.path(), "V1");
        let set = crate::source::load_dir(tmp.path(), &Dialect::ALL).expect("valid");
        assert_eq!(set.source_dir(), None);
        set.check_source_dir().expect("nothing to compare");
    }
}
