//! The single funnel from a macro's `syn::Result` to tokens or `compile_error!`.

use proc_macro::TokenStream;

/// Runs `expand` on `input`, turning an error into a `compile_error!` at its span.
pub(crate) fn funnel(
    input: TokenStream,
    expand: impl FnOnce(proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    match expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// Like [`funnel`], for attribute macros.
pub(crate) fn funnel_attr(
    args: TokenStream,
    item: TokenStream,
    expand: impl FnOnce(
        proc_macro2::TokenStream,
        proc_macro2::TokenStream,
    ) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    match expand(args.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}
