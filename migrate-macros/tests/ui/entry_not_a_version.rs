static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/entry_not_a_version");

fn main() {
    let _ = MIGRATIONS.migrations();
}
