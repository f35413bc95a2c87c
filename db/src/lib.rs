//! The example application's data layer.
//!
//! [`MIGRATIONS`] is the application's schema history, embedded from `sql/versions` at compile
//! time. `build.rs` holds the one line that makes Cargo rebuild this crate when a version folder
//! is added.

use migrate_core::MigrationSet;

/// Every migration of the example application, embedded with checksums.
pub static MIGRATIONS: MigrationSet = migrate_macros::embed_migrations!("../sql/versions");

/// The database the examples use when `DATABASE_URL` is not set: an SQLite file in the current
/// folder, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://migrate-example.db";

/// `DATABASE_URL`, or [`DEFAULT_DATABASE_URL`].
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}
