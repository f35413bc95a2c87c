//! Loading a migration tree from disk: `sql/versions/V{n}[__description]/{up,down}[.dialect].sql`.
//!
//! The same loader serves `embed_migrations!` at compile time and applications at run time, so
//! the two can never disagree about what a tree contains. It checks the whole directory
//! contract and returns the first problem as a [`LoadError`] naming the offending path:
//!
//! - every entry of the versions folder is a folder `V{n}` or `V{n}__{description}` with `n ≥ 1`;
//!   versions are contiguous from 1 and unique (`V2` and `V02` clash);
//! - every version has an up and a down script: `up.sql` or at least one `up.{dialect}.sql`, and
//!   likewise for down; nothing else lives in a version folder;
//! - scripts are UTF-8; directives are known and allowed where they stand. A script may be
//!   empty, blank (a UTF-8 BOM alone included) or only comments: it is a no-op, its version is
//!   recorded without running anything, and [`Plan::warnings`](crate::Plan::warnings) says so;
//! - every script splits into statements for each dialect it serves, so an unterminated literal,
//!   identifier, comment or body is found before anything runs.
//!
//! Names starting with `.` (`.gitkeep`, editor swap files) are ignored everywhere.

use std::fs;
use std::path::{Path, PathBuf};

use crate::migration::{Directives, Reversibility, TransactionMode};
use crate::{
    split, Checksum, Dialect, Direction, LoadError, Migration, MigrationSet, Script, Version,
};

/// A versions folder: where to read it, and how to name it in messages.
#[derive(Debug, Clone)]
pub struct SourceDir {
    path: PathBuf,
    shown: PathBuf,
}

impl SourceDir {
    /// The folder at `path`, named in messages as given.
    pub fn new(path: impl Into<PathBuf>) -> SourceDir {
        let path = path.into();
        SourceDir {
            shown: path.clone(),
            path,
        }
    }

    /// Resolves `literal`, a path relative to `manifest_dir` (as written in
    /// `embed_migrations!("../sql/versions")`), checking that it is relative and names a folder.
    ///
    /// Messages name the folder as written in the literal.
    pub fn resolve(manifest_dir: &Path, literal: &str) -> Result<SourceDir, LoadError> {
        let shown = PathBuf::from(literal);
        if shown.is_absolute() || literal.starts_with('/') || literal.starts_with('\\') {
            return Err(LoadError::AbsolutePath { path: shown });
        }
        let path = manifest_dir.join(literal);
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => Ok(SourceDir { path, shown }),
            Ok(_) => Err(LoadError::NotADirectory { path: shown }),
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                Err(LoadError::DirNotFound { path: shown })
            }
            Err(source) => Err(LoadError::Io {
                path: shown,
                source,
            }),
        }
    }

    /// Where the folder is read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads and checks the whole tree. Shared scripts are split for every dialect in
    /// `dialects`; dialect overrides for their own dialect.
    pub fn load(&self, dialects: &[Dialect]) -> Result<MigrationSet, LoadError> {
        let folders = self.version_folders()?;
        let mut migrations = Vec::with_capacity(folders.len());
        for folder in folders {
            migrations.push(self.load_version(folder, dialects)?);
        }
        Ok(MigrationSet::new(migrations, dialects.to_vec(), None))
    }

    /// The version folders, checked for names, duplicates and gaps, in version order.
    fn version_folders(&self) -> Result<Vec<VersionFolder>, LoadError> {
        let mut folders: Vec<VersionFolder> = Vec::new();
        for name in self.entries(&self.path, &self.shown)? {
            let shown = self.shown.join(&name);
            if !self.path.join(&name).is_dir() {
                return Err(LoadError::UnexpectedEntry {
                    path: shown,
                    expected: "a version folder `V{n}` or `V{n}__{description}`",
                });
            }
            let (version, description) = parse_folder_name(&name, &shown)?;
            if let Some(first) = folders.iter().find(|f| f.version == version) {
                return Err(LoadError::DuplicateVersion {
                    version,
                    first: self.shown.join(&first.name),
                    second: shown,
                });
            }
            folders.push(VersionFolder {
                version,
                description,
                name,
            });
        }
        folders.sort_by_key(|f| f.version);
        let mut expected = Version::FIRST;
        for folder in &folders {
            if folder.version != expected {
                return Err(LoadError::VersionGap {
                    missing: expected,
                    next: self.shown.join(&folder.name),
                });
            }
            expected = expected.next().unwrap_or(expected);
        }
        Ok(folders)
    }

    fn load_version(
        &self,
        folder: VersionFolder,
        dialects: &[Dialect],
    ) -> Result<Migration, LoadError> {
        let dir = self.path.join(&folder.name);
        let shown_dir = self.shown.join(&folder.name);
        let (mut up, mut down) = (Vec::new(), Vec::new());
        for name in self.entries(&dir, &shown_dir)? {
            let shown = shown_dir.join(&name);
            let Some((direction, dialect)) = parse_script_name(&name) else {
                return Err(LoadError::UnexpectedEntry {
                    path: shown,
                    expected: "`up.sql`, `down.sql` or `{up,down}.{mysql,postgres,sqlite}.sql`",
                });
            };
            let bytes = fs::read(dir.join(&name)).map_err(|source| LoadError::Io {
                path: shown.clone(),
                source,
            })?;
            let rel = format!("{}/{}", folder.name, name);
            let script = check_script(bytes, rel, &shown, direction, dialect, dialects)?;
            match direction {
                Direction::Up => up.push(script),
                Direction::Down => down.push(script),
            }
        }
        for (direction, scripts) in [(Direction::Up, &mut up), (Direction::Down, &mut down)] {
            if scripts.is_empty() {
                return Err(LoadError::MissingScript {
                    version: folder.version,
                    path: shown_dir.join(format!("{}.sql", direction.stem())),
                });
            }
            // The shared script first, then overrides in a fixed order, whatever the file system.
            scripts.sort_by_key(|s| s.dialect());
        }
        Ok(Migration::new(folder.version, folder.description, up, down))
    }

    /// The names in `dir`, sorted, without hidden entries.
    fn entries(&self, dir: &Path, shown: &Path) -> Result<Vec<String>, LoadError> {
        let io = |source| LoadError::Io {
            path: shown.to_path_buf(),
            source,
        };
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(LoadError::UnexpectedEntry {
                    path: shown.join(&name),
                    expected: "a UTF-8 file name",
                });
            };
            if !name.starts_with('.') {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// Loads the versions folder at `path` (relative to the current directory or absolute),
/// checking shared scripts against every dialect in `dialects`.
pub fn load_dir(path: impl AsRef<Path>, dialects: &[Dialect]) -> Result<MigrationSet, LoadError> {
    SourceDir::new(path.as_ref()).load(dialects)
}

impl MigrationSet {
    /// In debug builds, checks that the folder the set was embedded from holds no version the
    /// binary lacks (a folder added without a rebuild) and lost none it has.
    ///
    /// Returns `Ok` when there is nothing to compare: release builds, and sets loaded at run
    /// time, carry no source folder.
    pub fn check_source_dir(&self) -> Result<(), crate::Error> {
        let Some(dir) = self.source_dir() else {
            return Ok(());
        };
        let on_disk = list_versions(Path::new(dir))?;
        let embedded: Vec<Version> = self.migrations().iter().map(Migration::version).collect();
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

/// The versions present in a folder, by folder name only (no file is read), in version order.
pub(crate) fn list_versions(dir: &Path) -> Result<Vec<(Version, String)>, LoadError> {
    let source = SourceDir::new(dir);
    Ok(source
        .version_folders()?
        .into_iter()
        .map(|f| (f.version, f.name))
        .collect())
}

struct VersionFolder {
    version: Version,
    description: String,
    name: String,
}

/// Parses `V{n}` or `V{n}__{description}`; the description's underscores become spaces.
fn parse_folder_name(name: &str, shown: &Path) -> Result<(Version, String), LoadError> {
    let invalid = |reason| LoadError::InvalidVersionName {
        path: shown.to_path_buf(),
        reason,
    };
    let rest = name
        .strip_prefix('V')
        .ok_or_else(|| invalid("a version folder name starts with an upper-case `V`"))?;
    let (number, description) = match rest.split_once("__") {
        Some((number, description)) => (number, Some(description)),
        None => (rest, None),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "the version after `V` must be a number, followed by nothing or `__{description}`",
        ));
    }
    let n: u32 = number
        .parse()
        .map_err(|_| invalid("the version number does not fit in 32 bits"))?;
    let version = Version::new(n).ok_or_else(|| LoadError::VersionZero {
        path: shown.to_path_buf(),
    })?;
    let description = match description {
        None => String::new(),
        Some("") => return Err(invalid("the description after `__` is empty")),
        Some(d) => d.replace('_', " "),
    };
    Ok((version, description))
}

/// Parses `up.sql`, `down.sql`, `up.mysql.sql`, … into direction and dialect override.
fn parse_script_name(name: &str) -> Option<(Direction, Option<Dialect>)> {
    let stem = name.strip_suffix(".sql")?;
    let (direction, tag) = match stem.split_once('.') {
        Some((direction, tag)) => (direction, Some(tag)),
        None => (stem, None),
    };
    let direction = match direction {
        "up" => Direction::Up,
        "down" => Direction::Down,
        _ => return None,
    };
    match tag {
        None => Some((direction, None)),
        Some(tag) => Some((direction, Some(Dialect::from_tag(tag)?))),
    }
}

/// Checks one script's bytes and builds it: UTF-8, directives, splittable. An empty script is
/// accepted: it splits into no statement.
fn check_script(
    bytes: Vec<u8>,
    rel: String,
    shown: &Path,
    direction: Direction,
    dialect: Option<Dialect>,
    dialects: &[Dialect],
) -> Result<Script, LoadError> {
    let sql = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        LoadError::NotUtf8 {
            path: shown.to_path_buf(),
            line: line_of(valid.iter().filter(|&&b| b == b'\n').count()),
        }
    })?;
    let directives = parse_directives(&sql, direction, shown)?;
    let split_for: &[Dialect] = match &dialect {
        Some(d) => std::slice::from_ref(d),
        None => dialects,
    };
    for &d in split_for {
        split::split(&sql, d).map_err(|e| LoadError::Unterminated {
            path: shown.to_path_buf(),
            line: e.line,
            dialect: d,
            what: e.what,
        })?;
    }
    let checksum = Checksum::of_script(&sql);
    Ok(Script::new(dialect, rel, sql, checksum, directives))
}

/// A 1-based line number from a count of preceding line feeds.
fn line_of(newlines: usize) -> u32 {
    u32::try_from(newlines).map_or(u32::MAX, |n| n.saturating_add(1))
}

/// The prefix that marks a directive in a leading comment line.
const DIRECTIVE_PREFIX: &str = "migrate:";

/// Reads the directives from the script's leading comment lines (blank lines and `--`
/// comments before the first line of SQL). Comments that do not start with `migrate:` are
/// ordinary comments.
fn parse_directives(
    sql: &str,
    direction: Direction,
    shown: &Path,
) -> Result<Directives, LoadError> {
    let mut directives = Directives::default();
    let sql = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    for (index, line) in sql.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("--") else {
            break;
        };
        let Some(name) = comment.trim_start().strip_prefix(DIRECTIVE_PREFIX) else {
            continue;
        };
        let line = line_of(index);
        let name = name.trim();
        match (name, direction) {
            ("no-transaction", _) => directives.transaction = TransactionMode::NoTransaction,
            ("irreversible", Direction::Down) => {
                directives.reversibility = Reversibility::Irreversible;
            }
            ("irreversible", Direction::Up) => {
                return Err(LoadError::DirectiveNotAllowed {
                    path: shown.to_path_buf(),
                    line,
                    directive: name.to_owned(),
                    reason: "`irreversible` belongs in a down script",
                });
            }
            _ => {
                return Err(LoadError::UnknownDirective {
                    path: shown.to_path_buf(),
                    line,
                    directive: name.to_owned(),
                });
            }
        }
    }
    Ok(directives)
}

#[cfg(test)]
mod tests;
