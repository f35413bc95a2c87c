//! The embedded migrations are exactly the tree on disk, checksums included.

use migrate_core::{source, Dialect, Direction};

fn versions_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/versions")
}

#[test]
fn embedded_set_equals_the_tree_loaded_at_run_time() {
    let loaded = source::load_dir(versions_dir(), &Dialect::ALL).expect("sql/versions loads");
    assert_eq!(db::MIGRATIONS, loaded);
    // Spelled out, so a failure says which script differs.
    for (embedded, loaded) in db::MIGRATIONS.migrations().iter().zip(loaded.migrations()) {
        for direction in [Direction::Up, Direction::Down] {
            for (e, l) in embedded
                .scripts(direction)
                .iter()
                .zip(loaded.scripts(direction))
            {
                assert_eq!(e.path(), l.path());
                assert_eq!(e.checksum(), l.checksum(), "{}", e.path());
                assert_eq!(e.sql(), l.sql(), "{}", e.path());
                assert_eq!(e.directives(), l.directives(), "{}", e.path());
            }
        }
    }
}

#[test]
fn embedded_checksums_are_those_of_the_files() {
    for migration in db::MIGRATIONS.migrations() {
        for direction in [Direction::Up, Direction::Down] {
            for script in migration.scripts(direction) {
                let text = std::fs::read_to_string(versions_dir().join(script.path()))
                    .expect("script readable");
                assert_eq!(script.checksum(), migrate_core::Checksum::of_script(&text));
            }
        }
    }
}

#[test]
fn every_version_has_a_script_for_every_dialect() {
    for migration in db::MIGRATIONS.migrations() {
        for dialect in Dialect::ALL {
            for direction in [Direction::Up, Direction::Down] {
                assert!(
                    migration.script(direction, dialect).is_some(),
                    "V{} has no {direction} script for {dialect}",
                    migration.version()
                );
            }
        }
    }
}

#[test]
fn this_debug_build_is_not_stale() {
    assert_eq!(
        db::MIGRATIONS.source_dir().is_some(),
        cfg!(debug_assertions)
    );
    db::MIGRATIONS
        .check_source_dir()
        .expect("sql/versions matches the binary");
}
