//! Parsing `embed_migrations!("path")` and `embed_migrations!("path", dialects = [mysql, …])`.

use migrate_core::Dialect;
use syn::parse::{Parse, ParseStream};
use syn::{bracketed, Ident, LitStr, Token};

/// The macro's arguments.
pub(crate) struct EmbedInput {
    /// The versions folder, relative to the calling crate's manifest.
    pub(crate) path: LitStr,
    /// The dialects shared scripts are checked against (all of them unless named).
    pub(crate) dialects: Vec<Dialect>,
}

impl Parse for EmbedInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<EmbedInput> {
        let path: LitStr = input.parse()?;
        let mut dialects = Dialect::ALL.to_vec();
        if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "dialects" {
                return Err(syn::Error::new_spanned(
                    key,
                    "expected `dialects = [mysql, postgres, sqlite]`",
                ));
            }
            input.parse::<Token![=]>()?;
            let list;
            bracketed!(list in input);
            let names = list.parse_terminated(Ident::parse, Token![,])?;
            dialects.clear();
            for name in names {
                let dialect = Dialect::from_tag(&name.to_string()).ok_or_else(|| {
                    syn::Error::new_spanned(
                        &name,
                        "unknown dialect; expected mysql, postgres or sqlite",
                    )
                })?;
                if !dialects.contains(&dialect) {
                    dialects.push(dialect);
                }
            }
            if dialects.is_empty() {
                return Err(syn::Error::new(list.span(), "name at least one dialect"));
            }
            input.parse::<Option<Token![,]>>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the migrations path"));
        }
        Ok(EmbedInput { path, dialects })
    }
}
