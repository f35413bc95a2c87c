static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/valid");

#[migrate_macros::test(migrations = MIGRATIONS)]
fn reads(_database: ()) {}

fn main() {}
