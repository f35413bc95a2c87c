//! The names a module gives to other code of its crate: `use` items, and paths that start with
//! `crate::`, `super::`, `self::` or the name of one of the module's own submodules, in types, expressions, patterns, attribute and macro arguments
//! (the tokens of those arguments are scanned for such paths, since they are not parsed). Test code and
//! visibilities (`pub(super)`) are left out.

use std::collections::BTreeSet;

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{ImplItem, Item, ItemUse, Macro, MetaList, Path, TraitItem, UseTree, Visibility};

use super::tree::{is_test, item_attrs};

/// One path naming something, as written (`super::plan::Plan`).
pub(crate) struct Reference {
    /// The path's segments: `["super", "plan", "Plan"]`.
    pub(crate) segments: Vec<String>,
    /// Line of its first segment.
    pub(crate) line: usize,
}

/// One binding made by a `use` item: `use a::b::{c as d, e::*}` gives `d` -> `a::b::c` and
/// a glob of `a::b::e`.
pub(crate) struct UseEntry {
    /// The path bound, `self` dropped: `use a::{self}` binds `a` to `["a"]`.
    pub(crate) segments: Vec<String>,
    /// The name bound; `None` for a glob.
    pub(crate) name: Option<String>,
    /// Line of the name bound (or of the `*`).
    pub(crate) line: usize,
}

/// Expands a `use` item into its bindings; `use ::x` (an external crate) gives none.
pub(crate) fn use_entries(item: &ItemUse) -> Vec<UseEntry> {
    let mut entries = Vec::new();
    if item.leading_colon.is_none() {
        expand(&item.tree, &mut Vec::new(), &mut entries);
    }
    entries
}

fn expand(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseEntry>) {
    let line = tree.span().start().line;
    let mut bind = |ident: &syn::Ident, name: String| {
        let mut segments = prefix.clone();
        if ident != "self" {
            segments.push(ident.to_string());
        }
        out.push(UseEntry {
            segments,
            name: Some(name),
            line,
        });
    };
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            expand(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned().unwrap_or_default();
            bind(&n.ident, name);
        }
        UseTree::Name(n) => bind(&n.ident, n.ident.to_string()),
        UseTree::Rename(r) => bind(&r.ident, r.rename.to_string()),
        UseTree::Glob(_) => out.push(UseEntry {
            segments: prefix.clone(),
            name: None,
            line,
        }),
        UseTree::Group(g) => g.items.iter().for_each(|t| expand(t, prefix, out)),
    }
}

/// The crate-relative references in `items` (one module's own items; `mod` items skipped),
/// `local` naming the module's submodules.
pub(crate) fn references(items: &[Item], local: &BTreeSet<String>) -> Vec<Reference> {
    let mut visitor = RefVisitor {
        found: Vec::new(),
        local,
    };
    for item in items {
        visitor.visit_item(item);
    }
    visitor.found
}

/// Whether a path starts in this crate, relative to the root, a parent or this module:
/// `crate::`, `super::`, `self::`.
fn is_crate_relative(first: &str) -> bool {
    first == "crate" || first == "super" || first == "self"
}

struct RefVisitor<'a> {
    found: Vec<Reference>,
    /// The module's own submodules: a path starting with one of them is crate-relative too.
    local: &'a BTreeSet<String>,
}

impl RefVisitor<'_> {
    /// Whether a path starting with `first` names something of this crate.
    fn starts_relative(&self, first: &str) -> bool {
        is_crate_relative(first) || self.local.contains(first)
    }

    fn push(&mut self, segments: Vec<String>, line: usize) {
        let relative = segments.first().is_some_and(|s| self.starts_relative(s));
        if relative && segments.len() > 1 {
            self.found.push(Reference { segments, line });
        }
    }

    /// Finds `crate::a::b` / `super::a` / `$crate::a` runs in macro tokens.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut at = 0;
        while at < tokens.len() {
            match &tokens[at] {
                TokenTree::Group(g) => {
                    self.scan_tokens(g.stream());
                    at += 1;
                }
                TokenTree::Ident(i) if self.starts_relative(&i.to_string()) => {
                    let (segments, next) = path_at(&tokens, at);
                    self.push(segments, i.span().start().line);
                    at = next;
                }
                _ => at += 1,
            }
        }
    }
}

/// The path `ident (:: ident)*` starting at `tokens[start]`, and the index after it.
fn path_at(tokens: &[TokenTree], start: usize) -> (Vec<String>, usize) {
    let mut segments = vec![tokens[start].to_string()];
    let mut at = start + 1;
    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(i))) =
        (tokens.get(at), tokens.get(at + 1), tokens.get(at + 2))
    {
        if a.as_char() != ':' || a.spacing() != Spacing::Joint || b.as_char() != ':' {
            break;
        }
        segments.push(i.to_string());
        at += 3;
    }
    (segments, at)
}

impl<'ast> Visit<'ast> for RefVisitor<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !is_test(item_attrs(item)) && !matches!(item, Item::Mod(_)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !matches!(item, ImplItem::Fn(f) if is_test(&f.attrs)) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !matches!(item, TraitItem::Fn(f) if is_test(&f.attrs)) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        for entry in use_entries(item) {
            self.push(entry.segments, entry.line);
        }
    }

    fn visit_path(&mut self, path: &'ast Path) {
        if path.leading_colon.is_none() {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.push(segments, path.span().start().line);
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        self.visit_path(&mac.path);
        self.scan_tokens(mac.tokens.clone());
    }

    /// Attribute arguments are tokens too: `#[arg(value_parser = crate::driver::parse)]`.
    fn visit_meta_list(&mut self, list: &'ast MetaList) {
        self.visit_path(&list.path);
        self.scan_tokens(list.tokens.clone());
    }

    fn visit_visibility(&mut self, _: &'ast Visibility) {}
}
