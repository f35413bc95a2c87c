static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/version_zero");

fn main() {
    let _ = MIGRATIONS.migrations();
}
