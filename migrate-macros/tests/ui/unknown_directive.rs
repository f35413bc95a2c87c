static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/unknown_directive");

fn main() {
    let _ = MIGRATIONS.migrations();
}
