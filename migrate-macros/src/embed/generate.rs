//! Generating the `'static` migration set. Generated code names `::migrate_core` paths only and
//! contains nothing that can fail at run time: it is a constant expression.

use std::path::Path;

use migrate_core::{
    Dialect, Direction, Directives, MigrationSet, Reversibility, Script, TransactionMode,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The tokens of a `MigrationSet` expression for `set`, whose scripts live under `root`.
///
/// Each script array is its own `const` item: a reference to a temporary with a destructor is
/// only extended to `'static` when it is the outermost value of a constant.
pub(crate) fn migration_set(set: &MigrationSet, root: &Path) -> Result<TokenStream, String> {
    let root_str = utf8(root)?;
    let mut items = Vec::new();
    let mut migrations = Vec::new();
    for m in set.migrations() {
        let version = m.version().get();
        let description = m.description();
        let up_name = format_ident!("__MIGRATE_V{}_UP", version);
        let down_name = format_ident!("__MIGRATE_V{}_DOWN", version);
        let up = scripts(m.scripts(Direction::Up), root)?;
        let down = scripts(m.scripts(Direction::Down), root)?;
        items.push(quote! {
            const #up_name: &[::migrate_core::Script] = &[#(#up),*];
            const #down_name: &[::migrate_core::Script] = &[#(#down),*];
        });
        migrations.push(quote! {
            ::migrate_core::Migration::__embedded(
                ::migrate_core::Version::__embedded(#version),
                #description,
                #up_name,
                #down_name,
            )
        });
    }
    let dialects = set.dialects().iter().map(|d| dialect(*d));
    Ok(quote! {{
        #(#items)*
        const __MIGRATE_MIGRATIONS: &[::migrate_core::Migration] = &[#(#migrations),*];
        const __MIGRATE_EMBEDDED: ::migrate_core::MigrationSet =
            ::migrate_core::MigrationSet::__embedded(
                __MIGRATE_MIGRATIONS,
                &[#(#dialects),*],
                if cfg!(debug_assertions) {
                    ::core::option::Option::Some(#root_str)
                } else {
                    ::core::option::Option::None
                },
            );
        __MIGRATE_EMBEDDED
    }})
}

fn scripts(scripts: &[Script], root: &Path) -> Result<Vec<TokenStream>, String> {
    scripts.iter().map(|s| script(s, root)).collect()
}

fn script(s: &Script, root: &Path) -> Result<TokenStream, String> {
    let file = root.join(s.path());
    let file = utf8(&file)?;
    let rel = s.path();
    let dialect = match s.dialect() {
        Some(d) => {
            let d = dialect(d);
            quote!(::core::option::Option::Some(#d))
        }
        None => quote!(::core::option::Option::None),
    };
    let digest = s.checksum().digest().to_vec();
    let directives = directives(s.directives());
    Ok(quote! {
        ::migrate_core::Script::__embedded(
            #dialect,
            #rel,
            ::core::include_str!(#file),
            ::migrate_core::Checksum::__embedded([#(#digest),*]),
            #directives,
        )
    })
}

fn directives(d: Directives) -> TokenStream {
    let transaction = match d.transaction {
        TransactionMode::Transactional => quote!(Transactional),
        TransactionMode::NoTransaction => quote!(NoTransaction),
    };
    let reversibility = match d.reversibility {
        Reversibility::Reversible => quote!(Reversible),
        Reversibility::Irreversible => quote!(Irreversible),
    };
    quote! {
        ::migrate_core::Directives {
            transaction: ::migrate_core::TransactionMode::#transaction,
            reversibility: ::migrate_core::Reversibility::#reversibility,
        }
    }
}

fn dialect(d: Dialect) -> TokenStream {
    match d {
        Dialect::MySql => quote!(::migrate_core::Dialect::MySql),
        Dialect::Postgres => quote!(::migrate_core::Dialect::Postgres),
        Dialect::Sqlite => quote!(::migrate_core::Dialect::Sqlite),
    }
}

fn utf8(path: &Path) -> Result<&str, String> {
    path.to_str().ok_or_else(|| {
        format!(
            "the path `{}` is not UTF-8, which include_str! needs",
            path.display()
        )
    })
}
