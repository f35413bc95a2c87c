//! The example application's data layer, versioned like its API.
//!
//! - [`MIGRATIONS`]: the schema history, embedded from `sql/versions` at compile time (V1:
//!   `apps` and `metadata`; V2: `apps.app_type` and `features`). `build.rs` holds the one line
//!   that makes Cargo rebuild this crate when a version folder is added.
//! - [`v1`] and [`v2`]: the table structs and queries of API versions v1 and v2, one source for
//!   every backend. Each declares the schema version it needs ([`ApiVersion::required_schema`]).
//! - [`Db`]: the handle that hands out a query module only when the live schema has it, and a
//!   typed [`VersionError`] otherwise — v2 after a rollback to V1, say.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! let db = db::Db::connect("sqlite://app.db").await?;
//! let apps = db.v1().await?.apps().list(db::Page::first(20)).await?;
//! # let _ = apps;
//! # Ok(()) }
//! ```

mod api;
mod handle;
mod page;
mod sample;
mod sql;
pub mod v1;
pub mod v2;

pub use api::{ApiVersion, VersionError};
pub use handle::Db;
pub use page::Page;
pub use sample::SAMPLE_DATA;

use migrate_core::MigrationSet;

/// Every migration of the example application, embedded with checksums.
pub static MIGRATIONS: MigrationSet = migrate_macros::embed_migrations!("../sql/versions");

/// The database the examples use when `DATABASE_URL` is not set: an SQLite file in the current
/// folder, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://migrate-example.db";

/// `DATABASE_URL`, or [`DEFAULT_DATABASE_URL`] when it is unset or empty (as the CLI reads it).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}
