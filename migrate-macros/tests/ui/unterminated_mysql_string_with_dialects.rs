static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("tests/ui/fixtures/unterminated_mysql_string", dialects = [mysql]);

fn main() {
    let _ = MIGRATIONS.migrations();
}
