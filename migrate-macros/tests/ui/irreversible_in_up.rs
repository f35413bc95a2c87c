static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/irreversible_in_up");

fn main() {
    let _ = MIGRATIONS.migrations();
}
