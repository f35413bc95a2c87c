//! # migrate-macros
//!
//! Compile-time half of migrate. [`embed_migrations!`] reads a versions folder through
//! `migrate_core::source` (the same loader applications use at run time), checks the whole
//! directory contract, and expands to a `'static` `migrate_core::MigrationSet`.
//!
//! Each entry point is one line through `expand::funnel`: parse → load → generate, where any
//! `syn::Error` becomes a `compile_error!` pointing at the user's tokens.

mod embed;
mod expand;
mod test_attr;

use proc_macro::TokenStream;

/// Embeds a migration tree at compile time.
///
/// ```no_run
/// static MIGRATIONS: migrate_core::MigrationSet =
///     migrate_macros::embed_migrations!("../sql/versions");
/// ```
///
/// The path is relative to the calling crate's `Cargo.toml`. Every script is pulled in with
/// `include_str!`, so editing one rebuilds the crate; its checksum and directives are computed
/// here. Every problem in the tree — a bad folder name, a gap, a duplicate, a missing or
/// non-UTF-8 script, an unknown directive, an unterminated literal — is a compile error on the
/// path literal that names the file. An empty or comment-only script is not a problem: it
/// embeds as a no-op (see `migrate_core::Plan::warnings`).
///
/// Shared scripts (`up.sql`) are checked against every dialect; to check them only against the
/// dialects an application targets, name them:
///
/// ```no_run
/// # use migrate_macros::embed_migrations;
/// static MYSQL_ONLY: migrate_core::MigrationSet =
///     embed_migrations!("../sql/versions", dialects = [mysql]);
/// ```
///
/// Add `println!("cargo:rerun-if-changed=../sql/versions");` to the crate's `build.rs` so that a
/// new version folder rebuilds the crate.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    expand::funnel(input, embed::expand)
}

/// Runs an async test once per backend, each time on its own fresh database migrated to a
/// chosen version (feature `testing` of `migrate-core`; the test crate needs `tokio`).
///
/// ```ignore
/// #[migrate_macros::test(migrations = db::MIGRATIONS, version = 1)]
/// async fn v1_reads_apps(database: migrate_core::testing::TestDatabase) {
///     let db = db::Db::connect(database.url()).await.unwrap();
///     // …
/// }
/// ```
///
/// Arguments: `migrations` (a `MigrationSet` static, required), `version` (a number, `0` for
/// an empty database, or `latest`, the default), `backends` (a subset of
/// `[sqlite, mysql, postgres]`).
///
/// - The function takes one argument: a `migrate_core::testing::TestDatabase`, a
///   `migrate_core::driver::AnyDriver` or an `sqlx::AnyPool` connected to the database (any
///   `migrate_core::testing::attribute::TestArgument`). The database is dropped afterwards.
/// - It returns `()` or `Result<(), E>` with `E: Debug`; an `Err` fails the test.
/// - Without `backends`, a test is generated for each backend, and one whose dialect the
///   migrations have no scripts for prints `NOT RUN` and passes. Named backends always run.
/// - MariaDB and PostgreSQL tests print a `SKIPPED` line on standard error (past the harness's
///   capture) when their server is unreachable, or fail if `MIGRATE_REQUIRE_SERVERS` or `CI`
///   is set.
///
/// Each generated test is one call of `migrate_core::testing::attribute::run`, where all of
/// this is implemented.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::funnel_attr(args, item, test_attr::expand)
}
