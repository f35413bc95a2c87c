static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/unterminated_dollar_body");

fn main() {
    let _ = MIGRATIONS.migrations();
}
