//! `#[migrate_macros::test]`: one test per backend, each on its own fresh database at a chosen
//! schema version.
//!
//! ```ignore
//! #[migrate_macros::test(migrations = db::MIGRATIONS, version = 1)]
//! async fn v1_reads_apps(db: migrate_core::testing::TestDatabase) { /* … */ }
//! ```
//!
//! expands to a module `v1_reads_apps` holding the function and the tests `sqlite`, `mariadb`
//! and `postgres` (or those named by `backends = [sqlite, mysql, postgres]`). Each is one call
//! of `migrate_core::testing::attribute::run`, which holds all the run-time logic: creating and
//! migrating the database, building the argument, failing on `Err`, announcing skips, not
//! running a backend the tree has no scripts for (unless named). `version = latest` (the
//! default) migrates fully, `version = 0` leaves it empty.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, Expr, Ident, ItemFn, LitInt, Token};

/// The attribute's arguments.
struct Args {
    migrations: Expr,
    version: Option<u32>,
    /// Named in `backends = […]`, or `None` for those the migrations support.
    backends: Option<Vec<Ident>>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let mut migrations = None;
        let mut version = None;
        let mut backends = None;
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            if key == "migrations" {
                migrations = Some(input.parse::<Expr>()?);
            } else if key == "version" {
                if input.peek(Ident) {
                    let word: Ident = input.parse()?;
                    if word != "latest" {
                        return Err(syn::Error::new_spanned(
                            word,
                            "expected a version number or `latest`",
                        ));
                    }
                } else {
                    version = Some(input.parse::<LitInt>()?.base10_parse::<u32>()?);
                }
            } else if key == "backends" {
                let list;
                bracketed!(list in input);
                let names: Punctuated<Ident, Token![,]> =
                    list.parse_terminated(Ident::parse, Token![,])?;
                let named: Vec<Ident> = names.into_iter().collect();
                for name in &named {
                    if !["sqlite", "mysql", "postgres"].contains(&name.to_string().as_str()) {
                        return Err(syn::Error::new_spanned(
                            name,
                            "expected sqlite, mysql or postgres",
                        ));
                    }
                }
                backends = Some(named);
            } else {
                return Err(syn::Error::new_spanned(
                    key,
                    "expected `migrations`, `version` or `backends`",
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let migrations = migrations
            .ok_or_else(|| input.error("missing `migrations = <MigrationSet static>`"))?;
        Ok(Args {
            migrations,
            version,
            backends,
        })
    }
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(args)?;
    let function: ItemFn = syn::parse2(item)?;
    if function.sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            function.sig.fn_token,
            "the test function must be `async`",
        ));
    }
    if function.sig.inputs.len() != 1 {
        return Err(syn::Error::new_spanned(
            &function.sig.inputs,
            "the test function takes one argument: a `migrate_core::testing::TestDatabase`, a `migrate_core::driver::AnyDriver` or an `sqlx::AnyPool`",
        ));
    }
    let name = &function.sig.ident;
    let migrations = &args.migrations;
    let target = match args.version {
        None => quote!(::migrate_core::Target::Latest),
        Some(0) => quote!(::migrate_core::Target::Empty),
        Some(n) => quote!(::migrate_core::Target::Version(::migrate_core::Version::__embedded(#n))),
    };
    let (selection, backends) = match &args.backends {
        Some(named) => (quote!(Named), named.iter().map(Ident::to_string).collect()),
        None => (
            quote!(Supported),
            vec![
                "sqlite".to_owned(),
                "mysql".to_owned(),
                "postgres".to_owned(),
            ],
        ),
    };
    let tests = backends.iter().map(|backend| {
        let (test, variant) = match backend.as_str() {
            "sqlite" => (format_ident!("sqlite"), quote!(Sqlite)),
            "mysql" => (format_ident!("mariadb"), quote!(MySql)),
            _ => (format_ident!("postgres"), quote!(Postgres)),
        };
        quote! {
            #[::tokio::test]
            async fn #test() {
                ::migrate_core::testing::attribute::run(
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#test)),
                    ::migrate_core::testing::Backend::#variant,
                    ::migrate_core::testing::attribute::Selection::#selection,
                    &#migrations,
                    #target,
                    #name,
                )
                .await;
            }
        }
    });
    Ok(quote! {
        #[allow(non_snake_case)]
        mod #name {
            #[allow(unused_imports)]
            use super::*;

            #function

            #(#tests)*
        }
    })
}
