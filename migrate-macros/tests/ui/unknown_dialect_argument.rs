static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/valid", dialects = [oracle]);

fn main() {
    let _ = MIGRATIONS.migrations();
}
