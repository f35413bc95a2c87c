static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/valid");

#[migrate_macros::test(migrations = MIGRATIONS, backends = [sqlite, oracle])]
async fn reads(_database: ()) {}

fn main() {}
