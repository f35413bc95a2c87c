//! # migrate-macros
//!
//! Compile-time half of migrate. [`embed_migrations!`] reads a versions folder through
//! `migrate_core::source` (the same loader applications use at run time), checks the whole
//! directory contract, and expands to a `'static` `migrate_core::MigrationSet`.
//!
//! Each entry point is one line through [`expand::funnel`]: parse → load → generate, where any
//! `syn::Error` becomes a `compile_error!` pointing at the user's tokens.

mod embed;
mod expand;

use proc_macro::TokenStream;

/// Embeds a migration tree at compile time.
///
/// ```ignore
/// static MIGRATIONS: migrate_core::MigrationSet =
///     migrate_macros::embed_migrations!("../sql/versions");
/// ```
///
/// The path is relative to the calling crate's `Cargo.toml`. Every script is pulled in with
/// `include_str!`, so editing one rebuilds the crate; its checksum and directives are computed
/// here. Every problem in the tree — a bad folder name, a gap, a duplicate, a missing, empty or
/// non-UTF-8 script, an unknown directive, an unterminated literal — is a compile error on the
/// path literal that names the file.
///
/// Shared scripts (`up.sql`) are checked against every dialect; to check them only against the
/// dialects an application targets, name them:
///
/// ```ignore
/// embed_migrations!("../sql/versions", dialects = [mysql])
/// ```
///
/// Add `println!("cargo:rerun-if-changed=../sql/versions");` to the crate's `build.rs` so that a
/// new version folder rebuilds the crate.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    expand::funnel(input, embed::expand)
}
