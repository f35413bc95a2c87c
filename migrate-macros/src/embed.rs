//! `embed_migrations!`: parse the input, load the tree, generate the set.

mod generate;
mod input;

use std::path::PathBuf;

use migrate_core::source::SourceDir;

/// Set by the UI tests, whose generated crates live under `target/`: the directory that the
/// macro's path is relative to. Not for users.
const MANIFEST_DIR_OVERRIDE: &str = "MIGRATE_MACROS_TEST_MANIFEST_DIR";

pub(crate) fn expand(tokens: proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream> {
    let input: input::EmbedInput = syn::parse2(tokens)?;
    let manifest_dir = manifest_dir(&input)?;
    let fail = |error: &dyn std::fmt::Display| syn::Error::new_spanned(&input.path, error);
    let source = SourceDir::resolve(&manifest_dir, &input.path.value()).map_err(|e| fail(&e))?;
    let set = source.load(&input.dialects).map_err(|e| fail(&e))?;
    let root = source
        .path()
        .canonicalize()
        .map_err(|e| fail(&format!("cannot resolve `{}`: {e}", input.path.value())))?;
    generate::migration_set(&set, &root).map_err(|e| fail(&e))
}

fn manifest_dir(input: &input::EmbedInput) -> syn::Result<PathBuf> {
    std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new_spanned(
                &input.path,
                "CARGO_MANIFEST_DIR is not set; embed_migrations! must be compiled by Cargo",
            )
        })
}
