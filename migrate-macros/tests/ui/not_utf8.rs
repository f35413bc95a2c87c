static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/not_utf8");

fn main() {
    let _ = MIGRATIONS.migrations();
}
