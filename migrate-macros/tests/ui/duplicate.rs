static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/duplicate");

fn main() {
    let _ = MIGRATIONS.migrations();
}
