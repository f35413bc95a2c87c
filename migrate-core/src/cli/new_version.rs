//! `new NAME`: the next version folder, with both scripts.
//!
//! The scripts are created empty. An empty script is a valid no-op, so until its SQL is written
//! the version builds and would apply without changing anything but the history; `plan` names
//! every such script in a warning.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{source, LoadError, Version};

/// Why `new` could not create a version folder.
#[derive(Debug, thiserror::Error)]
pub(super) enum NewVersionError {
    /// A name that cannot be a folder's description.
    #[error("invalid version name `{name}`: use letters, digits and single `_` between words{}", suggestion.as_ref().map(|s| format!(" (for example `{s}`)")).unwrap_or_default())]
    InvalidName {
        /// The name given.
        name: String,
        /// A valid name close to it, if there is one.
        suggestion: Option<String>,
    },
    /// The versions folder does not exist.
    #[error("versions folder `{}` does not exist; create it, or pass --dir with the right folder", dir.display())]
    NoSuchDir {
        /// The folder.
        dir: PathBuf,
    },
    /// The existing tree breaks the directory contract.
    #[error("the versions folder is not valid; fix it before adding a version")]
    Tree(#[source] LoadError),
    /// The number after the newest version does not fit.
    #[error("no version number is left after {newest}")]
    NoNextVersion {
        /// The newest version.
        newest: Version,
    },
    /// Creating the folder or a file failed.
    #[error("cannot create `{}`", path.display())]
    Io {
        /// What was being created.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl NewVersionError {
    /// Whether the command line was at fault (exit 2) rather than the file system (exit 1).
    pub(super) fn is_usage(&self) -> bool {
        matches!(
            self,
            NewVersionError::InvalidName { .. } | NewVersionError::NoSuchDir { .. }
        )
    }
}

/// What `new` created.
#[derive(Debug)]
pub(super) struct Created {
    pub(super) version: Version,
    pub(super) folder: PathBuf,
}

/// Creates `V{n}__{name}/up.sql` and `down.sql` in `dir`, `n` following the newest version.
pub(super) fn create(dir: &Path, name: &str) -> Result<Created, NewVersionError> {
    check_name(name)?;
    if !dir.is_dir() {
        return Err(NewVersionError::NoSuchDir {
            dir: dir.to_path_buf(),
        });
    }
    let existing = source::list_versions(dir).map_err(NewVersionError::Tree)?;
    let version = match existing.last() {
        None => Version::FIRST,
        Some((newest, _)) => newest
            .next()
            .ok_or(NewVersionError::NoNextVersion { newest: *newest })?,
    };
    let folder = dir.join(format!("V{version}__{name}"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NewVersionError::Io { path, source }
    };
    // `create_dir`, not `create_dir_all`: two people running `new` at once must not share a
    // folder.
    fs::create_dir(&folder).map_err(io(&folder))?;
    for file in ["up.sql", "down.sql"] {
        let path = folder.join(file);
        fs::File::create_new(&path).map_err(io(&path))?;
    }
    Ok(Created { version, folder })
}

/// Letters, digits and single underscores between words: the description of `V{n}__{name}`.
fn check_name(name: &str) -> Result<(), NewVersionError> {
    let valid = !name.is_empty()
        && name
            .split('_')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric()));
    if valid {
        return Ok(());
    }
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    Err(NewVersionError::InvalidName {
        name: name.to_owned(),
        suggestion: (!words.is_empty()).then(|| words.join("_")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(versions: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for v in versions {
            let folder = dir.path().join(v);
            fs::create_dir(&folder).expect("mkdir");
            fs::write(folder.join("up.sql"), "CREATE TABLE t (id INT);").expect("write");
            fs::write(folder.join("down.sql"), "DROP TABLE t;").expect("write");
        }
        dir
    }

    #[test]
    fn new_creates_the_next_version_with_both_scripts() {
        let dir = tree(&["V1__apps", "V2"]);
        let created = create(dir.path(), "add_index").expect("created");
        assert_eq!(created.version.get(), 3);
        assert_eq!(created.folder, dir.path().join("V3__add_index"));
        for file in ["up.sql", "down.sql"] {
            assert_eq!(
                fs::read_to_string(created.folder.join(file)).expect("file"),
                ""
            );
        }
    }

    #[test]
    fn new_in_an_empty_folder_creates_version_one() {
        let dir = tree(&[]);
        let created = create(dir.path(), "init").expect("created");
        assert_eq!(created.version, Version::FIRST);
        assert!(dir.path().join("V1__init/up.sql").is_file());
    }

    #[test]
    fn new_version_loads_as_a_no_op_until_its_sql_is_written() {
        let dir = tree(&["V1"]);
        create(dir.path(), "later").expect("created");
        let set = source::load_dir(dir.path(), &crate::Dialect::ALL).expect("empty scripts load");
        let new = set.get(Version::new(2).expect("2")).expect("V2");
        assert!(new.scripts(crate::Direction::Up)[0].sql().is_empty());
    }

    #[test]
    fn new_rejects_names_that_are_not_words_and_suggests_one() {
        let dir = tree(&["V1"]);
        for (name, suggestion) in [
            ("Add Index", Some("add_index")),
            ("add-index", Some("add_index")),
            ("add__index", Some("add_index")),
            ("_index", Some("index")),
            ("../escape", Some("escape")),
            ("", None),
            ("---", None),
        ] {
            match create(dir.path(), name) {
                Err(NewVersionError::InvalidName {
                    suggestion: got, ..
                }) => assert_eq!(got.as_deref(), suggestion, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(source::list_versions(dir.path()).expect("tree").len(), 1);
    }

    #[test]
    fn new_refuses_a_missing_folder() {
        let dir = tree(&[]);
        let missing = dir.path().join("nope");
        assert!(matches!(
            create(&missing, "x"),
            Err(NewVersionError::NoSuchDir { .. })
        ));
        assert!(!missing.exists());
    }

    #[test]
    fn new_refuses_a_broken_tree() {
        let dir = tree(&["V1", "V3"]);
        assert!(matches!(
            create(dir.path(), "x"),
            Err(NewVersionError::Tree(LoadError::VersionGap { .. }))
        ));
    }
}
