static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/non_numeric_version");

fn main() {
    let _ = MIGRATIONS.migrations();
}
