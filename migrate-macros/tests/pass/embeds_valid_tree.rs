use migrate_core::{Dialect, Direction, Reversibility, TransactionMode};

static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/valid");

fn main() {
    let set = &MIGRATIONS;
    assert_eq!(set.migrations().len(), 2);
    let v2 = &set.migrations()[1];
    assert_eq!(v2.description(), "no tx");
    let pg = v2.script(Direction::Up, Dialect::Postgres).unwrap();
    assert_eq!(pg.directives().transaction, TransactionMode::NoTransaction);
    let down = v2.script(Direction::Down, Dialect::MySql).unwrap();
    assert_eq!(down.directives().reversibility, Reversibility::Irreversible);
    // Usable in expression position too.
    let again =
        migrate_macros::embed_migrations!("tests/ui/fixtures/valid", dialects = [sqlite, mysql]);
    assert_eq!(again.migrations(), set.migrations());
    assert_eq!(again.dialects(), &[Dialect::Sqlite, Dialect::MySql]);
}
