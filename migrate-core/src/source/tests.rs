use std::path::Path;

use super::*;

/// A temporary versions folder holding `files` (path → contents).
fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, contents) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, contents).expect("write");
    }
    dir
}

fn load(dir: &tempfile::TempDir) -> Result<MigrationSet, LoadError> {
    // Shown as "versions" so that messages are predictable.
    SourceDir {
        path: dir.path().to_path_buf(),
        shown: PathBuf::from("versions"),
    }
    .load(&Dialect::ALL)
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

const UP: &[u8] = b"CREATE TABLE t (id INT);\n";
const DOWN: &[u8] = b"DROP TABLE t;\n";

#[test]
fn loads_versions_in_numeric_order_with_descriptions() {
    let dir = tree(&[
        ("V10/up.sql", UP),
        ("V10/down.sql", DOWN),
        ("V1__create_users/up.sql", UP),
        ("V1__create_users/down.sql", DOWN),
    ]);
    for n in 2..10 {
        fs::create_dir(dir.path().join(format!("V{n}"))).expect("mkdir");
        fs::write(dir.path().join(format!("V{n}/up.sql")), UP).expect("write");
        fs::write(dir.path().join(format!("V{n}/down.sql")), DOWN).expect("write");
    }
    let set = load(&dir).expect("valid tree");
    let versions: Vec<u32> = set.migrations().iter().map(|m| m.version().get()).collect();
    assert_eq!(versions, (1..=10).collect::<Vec<_>>());
    assert_eq!(set.migrations()[0].description(), "create users");
    assert_eq!(set.migrations()[9].description(), "");
    assert_eq!(set.latest(), Version::new(10));
    assert_eq!(
        set.get(Version::FIRST).map(Migration::version),
        Some(Version::FIRST)
    );
}

#[test]
fn script_carries_relative_path_text_and_checksum() {
    let dir = tree(&[("V1__init/up.sql", UP), ("V1__init/down.sql", DOWN)]);
    let set = load(&dir).expect("valid tree");
    let up = &set.migrations()[0].scripts(Direction::Up)[0];
    assert_eq!(up.path(), "V1__init/up.sql");
    assert_eq!(up.sql().as_bytes(), UP);
    assert_eq!(
        up.checksum(),
        Checksum::of_script("CREATE TABLE t (id INT);")
    );
    assert_eq!(up.dialect(), None);
}

#[test]
fn dialect_override_wins_over_shared_script() {
    let dir = tree(&[
        ("V1/up.sql", UP),
        ("V1/up.mysql.sql", b"CREATE TABLE t (id INT) ENGINE=InnoDB;"),
        ("V1/down.sql", DOWN),
    ]);
    let set = load(&dir).expect("valid tree");
    let m = &set.migrations()[0];
    let mysql = m
        .script(Direction::Up, Dialect::MySql)
        .expect("mysql script");
    assert_eq!(mysql.path(), "V1/up.mysql.sql");
    assert_eq!(mysql.dialect(), Some(Dialect::MySql));
    let sqlite = m
        .script(Direction::Up, Dialect::Sqlite)
        .expect("shared script");
    assert_eq!(sqlite.path(), "V1/up.sql");
    assert_eq!(
        m.scripts(Direction::Up)[0].dialect(),
        None,
        "shared script first"
    );
}

#[test]
fn dialect_variants_alone_satisfy_the_up_requirement() {
    let dir = tree(&[
        ("V1/up.mysql.sql", UP),
        ("V1/up.postgres.sql", UP),
        ("V1/down.sql", DOWN),
    ]);
    let set = load(&dir).expect("valid tree");
    let m = &set.migrations()[0];
    assert!(m.script(Direction::Up, Dialect::Postgres).is_some());
    assert!(m.script(Direction::Up, Dialect::Sqlite).is_none());
}

#[test]
fn hidden_entries_are_ignored() {
    let dir = tree(&[
        (".gitkeep", b""),
        ("V1/.up.sql.swp", b"\xff"),
        ("V1/up.sql", UP),
        ("V1/down.sql", DOWN),
    ]);
    assert_eq!(load(&dir).expect("valid tree").migrations().len(), 1);
}

#[test]
fn empty_folder_is_an_empty_set() {
    let dir = tree(&[]);
    let set = load(&dir).expect("valid tree");
    assert!(set.migrations().is_empty());
    assert_eq!(set.latest(), None);
}

#[test]
fn empty_blank_bom_only_and_comment_only_scripts_load_as_no_ops() {
    let dir = tree(&[
        ("V1/up.sql", b""),
        ("V1/down.sql", b" \n\t\r\n"),
        ("V2/up.sql", b"\xef\xbb\xbf\n"),
        ("V2/down.sql", b"-- nothing\n/* at all */\n"),
        ("V3/up.sql", UP),
        ("V3/down.sql", b"-- migrate:irreversible\n"),
    ]);
    let set = load(&dir).expect("no-op scripts load");
    for m in &set.migrations()[..2] {
        for direction in [Direction::Up, Direction::Down] {
            let script = &m.scripts(direction)[0];
            for dialect in Dialect::ALL {
                let statements = split::split(script.sql(), dialect).expect("splits");
                assert!(statements.is_empty(), "{}: {statements:?}", script.path());
            }
        }
    }
    let down = &set.migrations()[2].scripts(Direction::Down)[0];
    assert_eq!(down.directives().reversibility, Reversibility::Irreversible);
}

#[test]
fn directives_are_read_from_leading_comment_lines() {
    let dir = tree(&[
        (
            "V1/up.sql",
            b"-- Builds the index without locking.\n\n--migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\n",
        ),
        ("V1/down.sql", b"-- migrate:irreversible\n-- the data is gone\n"),
    ]);
    let set = load(&dir).expect("valid tree");
    let m = &set.migrations()[0];
    let up = m.scripts(Direction::Up)[0].directives();
    assert_eq!(up.transaction, TransactionMode::NoTransaction);
    assert_eq!(up.reversibility, Reversibility::Reversible);
    let down = m.scripts(Direction::Down)[0].directives();
    assert_eq!(down.reversibility, Reversibility::Irreversible);
    assert_eq!(down.transaction, TransactionMode::Transactional);
}

#[test]
fn directive_after_the_first_statement_is_a_plain_comment() {
    let dir = tree(&[
        ("V1/up.sql", b"SELECT 1;\n-- migrate:bogus\n"),
        ("V1/down.sql", DOWN),
    ]);
    let set = load(&dir).expect("valid tree");
    assert_eq!(
        set.migrations()[0].scripts(Direction::Up)[0].directives(),
        Directives::default()
    );
}

#[test]
fn resolve_rejects_absolute_path() {
    let err = SourceDir::resolve(Path::new("/tmp"), "/etc").expect_err("absolute");
    assert!(matches!(err, LoadError::AbsolutePath { .. }), "{err}");
    assert!(err.to_string().contains("`/etc`"), "{err}");
}

#[test]
fn resolve_rejects_missing_folder_naming_it() {
    let dir = tree(&[]);
    let err = SourceDir::resolve(dir.path(), "../nowhere/versions").expect_err("missing");
    assert!(matches!(err, LoadError::DirNotFound { .. }));
    assert!(err.to_string().contains("`../nowhere/versions`"), "{err}");
}

#[test]
fn resolve_rejects_a_file() {
    let dir = tree(&[("versions", b"not a folder")]);
    let err = SourceDir::resolve(dir.path(), "versions").expect_err("file");
    assert!(matches!(err, LoadError::NotADirectory { .. }), "{err}");
}

#[test]
fn resolve_joins_literal_to_manifest_dir() {
    let dir = tree(&[
        ("sql/versions/V1/up.sql", UP),
        ("sql/versions/V1/down.sql", DOWN),
    ]);
    let source = SourceDir::resolve(&dir.path().join("crate"), "../sql/versions");
    // `crate` does not exist, but the joined path still resolves through `..` on Unix.
    if let Ok(source) = source {
        assert_eq!(
            source
                .load(&Dialect::ALL)
                .expect("valid")
                .migrations()
                .len(),
            1
        );
    }
    let source = SourceDir::resolve(dir.path(), "sql/versions").expect("exists");
    assert_eq!(
        source
            .load(&Dialect::ALL)
            .expect("valid")
            .migrations()
            .len(),
        1
    );
}

/// Asserts that loading `files` fails with an error matching `pattern` whose message names `path`.
macro_rules! rejects {
    ($name:ident, $files:expr, $pattern:pat $(if $guard:expr)?, $path:expr) => {
        #[test]
        fn $name() {
            let dir = tree(&$files);
            let err = load(&dir).expect_err("tree must be rejected");
            assert!(matches!(err, $pattern $(if $guard)?), "unexpected error: {err:?}");
            let message = err.to_string();
            let path = shown(Path::new($path));
            assert!(message.contains(&format!("`{path}`")), "`{path}` not named in: {message}");
        }
    };
}

rejects!(
    rejects_file_at_top_level,
    [
        ("V1/up.sql", UP),
        ("V1/down.sql", DOWN),
        ("README.md", b"x")
    ],
    LoadError::UnexpectedEntry { .. },
    "versions/README.md"
);
rejects!(
    rejects_lowercase_v,
    [("v1/up.sql", UP), ("v1/down.sql", DOWN)],
    LoadError::InvalidVersionName { .. },
    "versions/v1"
);
rejects!(
    rejects_non_numeric_version,
    [("Vone/up.sql", UP), ("Vone/down.sql", DOWN)],
    LoadError::InvalidVersionName { .. },
    "versions/Vone"
);
rejects!(
    rejects_single_underscore_description,
    [("V1_init/up.sql", UP), ("V1_init/down.sql", DOWN)],
    LoadError::InvalidVersionName { .. },
    "versions/V1_init"
);
rejects!(
    rejects_empty_description,
    [("V1__/up.sql", UP), ("V1__/down.sql", DOWN)],
    LoadError::InvalidVersionName { .. },
    "versions/V1__"
);
rejects!(
    rejects_version_overflow,
    [("V99999999999/up.sql", UP), ("V99999999999/down.sql", DOWN)],
    LoadError::InvalidVersionName { .. },
    "versions/V99999999999"
);
rejects!(
    rejects_version_zero,
    [("V0/up.sql", UP), ("V0/down.sql", DOWN)],
    LoadError::VersionZero { .. },
    "versions/V0"
);
rejects!(rejects_gap, [("V1/up.sql", UP), ("V1/down.sql", DOWN), ("V3/up.sql", UP), ("V3/down.sql", DOWN)],
    LoadError::VersionGap { missing, .. } if missing.get() == 2, "versions/V3");
rejects!(rejects_set_not_starting_at_one, [("V2/up.sql", UP), ("V2/down.sql", DOWN)],
    LoadError::VersionGap { missing, .. } if missing.get() == 1, "versions/V2");
rejects!(
    rejects_duplicate_with_leading_zero,
    [
        ("V1/up.sql", UP),
        ("V1/down.sql", DOWN),
        ("V2/up.sql", UP),
        ("V2/down.sql", DOWN),
        ("V02/up.sql", UP),
        ("V02/down.sql", DOWN)
    ],
    LoadError::DuplicateVersion { .. },
    "versions/V2"
);
rejects!(
    rejects_missing_up,
    [("V1/down.sql", DOWN)],
    LoadError::MissingScript { .. },
    "versions/V1/up.sql"
);
rejects!(
    rejects_missing_down,
    [("V1/up.sql", UP)],
    LoadError::MissingScript { .. },
    "versions/V1/down.sql"
);
rejects!(
    rejects_unknown_dialect_file,
    [
        ("V1/up.sql", UP),
        ("V1/down.sql", DOWN),
        ("V1/up.oracle.sql", UP)
    ],
    LoadError::UnexpectedEntry { .. },
    "versions/V1/up.oracle.sql"
);
rejects!(
    rejects_stray_file_in_version,
    [
        ("V1/up.sql", UP),
        ("V1/down.sql", DOWN),
        ("V1/notes.txt", b"x")
    ],
    LoadError::UnexpectedEntry { .. },
    "versions/V1/notes.txt"
);
rejects!(
    rejects_non_utf8,
    [
        ("V1/up.sql", b"SELECT 1;\nSELECT '\xff';\n"),
        ("V1/down.sql", DOWN)
    ],
    LoadError::NotUtf8 { line: 2, .. },
    "versions/V1/up.sql"
);
rejects!(
    rejects_unknown_directive,
    [
        ("V1/up.sql", b"-- migrate:no-transactions\nSELECT 1;"),
        ("V1/down.sql", DOWN)
    ],
    LoadError::UnknownDirective { line: 1, .. },
    "versions/V1/up.sql"
);
rejects!(
    rejects_irreversible_in_up,
    [
        ("V1/up.sql", b"\n-- migrate:irreversible\nSELECT 1;"),
        ("V1/down.sql", DOWN)
    ],
    LoadError::DirectiveNotAllowed { line: 2, .. },
    "versions/V1/up.sql"
);
rejects!(
    rejects_unterminated_string,
    [
        ("V1/up.sql", b"SELECT 1;\nSELECT 'open;\n"),
        ("V1/down.sql", DOWN)
    ],
    LoadError::Unterminated { line: 2, .. },
    "versions/V1/up.sql"
);
rejects!(
    rejects_unterminated_dollar_body_in_postgres_file,
    [
        ("V1/up.sql", UP),
        (
            "V1/up.postgres.sql",
            b"CREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n"
        ),
        ("V1/down.sql", DOWN)
    ],
    LoadError::Unterminated {
        line: 1,
        dialect: Dialect::Postgres,
        ..
    },
    "versions/V1/up.postgres.sql"
);

#[test]
fn shared_script_is_checked_only_against_named_dialects() {
    // A MySQL backslash escape is an unterminated string to PostgreSQL and SQLite.
    let dir = tree(&[
        ("V1/up.sql", b"INSERT INTO t VALUES ('it\\'s');"),
        ("V1/down.sql", DOWN),
    ]);
    let source = SourceDir::new(dir.path());
    assert!(matches!(
        source.load(&Dialect::ALL),
        Err(LoadError::Unterminated {
            dialect: Dialect::Postgres,
            ..
        })
    ));
    let set = source
        .load(&[Dialect::MySql])
        .expect("valid for MySQL alone");
    assert_eq!(set.dialects(), &[Dialect::MySql]);
}

#[test]
fn list_versions_reads_folder_names_only() {
    let dir = tree(&[("V1__a/up.sql", b"\xff"), ("V2/down.sql", b"")]);
    let listed = list_versions(dir.path()).expect("names are valid");
    let names: Vec<&str> = listed.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["V1__a", "V2"]);
}

/// `MigrationSet::check_source_dir`, which compares a set with the folder it came from.
mod check_source_dir {
    use super::*;

    fn write_version(root: &std::path::Path, name: &str) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("up.sql"), "CREATE TABLE t (id INT);").expect("write");
        std::fs::write(dir.join("down.sql"), "DROP TABLE t;").expect("write");
    }

    fn set_with_source(root: &std::path::Path) -> MigrationSet {
        let loaded = load_dir(root, &Dialect::ALL).expect("valid tree");
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
        let set = load_dir(tmp.path(), &Dialect::ALL).expect("valid");
        assert_eq!(set.source_dir(), None);
        set.check_source_dir().expect("nothing to compare");
    }
}
