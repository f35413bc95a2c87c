static MIGRATIONS: migrate_core::MigrationSet =
    migrate_macros::embed_migrations!("/etc/migrations");

fn main() {
    let _ = MIGRATIONS.migrations();
}
