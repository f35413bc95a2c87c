static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/does_not_exist");

fn main() {
    let _ = MIGRATIONS.migrations();
}
