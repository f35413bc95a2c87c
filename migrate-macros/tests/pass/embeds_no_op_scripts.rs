//! Empty, blank, BOM-only and comment-only scripts embed as no-op versions.
use migrate_core::{split, Dialect, Direction, Reversibility};

static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/no_op_scripts");

fn main() {
    let set = &MIGRATIONS;
    assert_eq!(set.migrations().len(), 2);
    for m in set.migrations() {
        for direction in [Direction::Up, Direction::Down] {
            for dialect in Dialect::ALL {
                let script = m.script(direction, dialect).unwrap();
                assert!(split::split(script.sql(), dialect).unwrap().is_empty());
            }
        }
    }
    let down = set.migrations()[1].script(Direction::Down, Dialect::Sqlite).unwrap();
    assert_eq!(down.directives().reversibility, Reversibility::Irreversible);
}
