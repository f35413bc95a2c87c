//! Name resolution over a crate's module tree, enough to find the file that defines what a path
//! names: `crate::Error` re-exported by `lib.rs` resolves to `error.rs`, `super::Plan` to the
//! file where `Plan` is declared, whichever chain of `use` and glob re-exports leads there.
//! Each module's table holds its submodules, the items it declares and its `use` bindings.

use std::collections::{BTreeMap, BTreeSet};

use syn::Item;

use super::refs::use_entries;
use super::tree::Crate;

/// Re-export chains longer than this are taken for a loop and left unresolved.
const MAX_DEPTH: usize = 32;

/// What a path names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Resolved {
    /// A module itself (`crate::runner`).
    Module(usize),
    /// An item declared in this module (`crate::runner::Migrator`, or a variant or associated
    /// item below it).
    Item(usize),
}

impl Resolved {
    /// The module whose file holds what the path names.
    pub(crate) fn module(self) -> usize {
        match self {
            Resolved::Module(m) | Resolved::Item(m) => m,
        }
    }
}

/// One module's names.
#[derive(Default)]
struct Table {
    /// Items declared here (types, fns, traits, consts, statics, `macro_rules!`).
    declared: BTreeSet<String>,
    /// `use` bindings: name -> path as written.
    imports: BTreeMap<String, Vec<String>>,
    /// `use path::*` paths.
    globs: Vec<Vec<String>>,
}

/// The name tables of a crate.
pub(crate) struct Resolver<'a> {
    krate: &'a Crate,
    tables: Vec<Table>,
}

impl<'a> Resolver<'a> {
    /// Builds the table of every module.
    pub(crate) fn new(krate: &'a Crate) -> Self {
        let tables = krate.modules.iter().map(|m| table(&m.items)).collect();
        Resolver { krate, tables }
    }

    /// Resolves `segments` as written in module `from`. `None` for an external path (`std::…`,
    /// a dependency) or one this resolver cannot follow.
    pub(crate) fn resolve(&self, from: usize, segments: &[String]) -> Option<Resolved> {
        self.resolve_at(from, segments, 0)
    }

    fn resolve_at(&self, from: usize, segments: &[String], depth: usize) -> Option<Resolved> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (mut module, mut rest) = match segments.split_first()? {
            (first, rest) if first == "crate" => (0, rest),
            (first, rest) if first == "self" => (from, rest),
            _ => (from, segments),
        };
        while let Some((first, after)) = rest.split_first() {
            if first != "super" {
                break;
            }
            module = self.krate.modules[module].parent?;
            rest = after;
        }
        self.walk(module, rest, depth)
    }

    /// Follows `segments` down from `module`; an item ends the walk (what follows is a variant
    /// or an associated item).
    fn walk(&self, module: usize, segments: &[String], depth: usize) -> Option<Resolved> {
        let Some((first, rest)) = segments.split_first() else {
            return Some(Resolved::Module(module));
        };
        match self.lookup(module, first, depth)? {
            Resolved::Module(child) => self.walk(child, rest, depth),
            item => Some(item),
        }
    }

    /// `name` in `module`'s scope: a submodule, a declared item, a `use` binding, or a name
    /// brought in by a glob.
    fn lookup(&self, module: usize, name: &str, depth: usize) -> Option<Resolved> {
        if let Some(&child) = self.krate.modules[module].children.get(name) {
            return Some(Resolved::Module(child));
        }
        let table = &self.tables[module];
        if table.declared.contains(name) {
            return Some(Resolved::Item(module));
        }
        if let Some(path) = table.imports.get(name) {
            return self.resolve_at(module, path, depth + 1);
        }
        table
            .globs
            .iter()
            .find_map(|glob| match self.resolve_at(module, glob, depth + 1)? {
                Resolved::Module(source) => self.lookup(source, name, depth + 1),
                Resolved::Item(_) => None,
            })
    }
}

/// The names `items` (one module's own) declare and import.
fn table(items: &[Item]) -> Table {
    let mut table = Table::default();
    for item in items {
        let declared = match item {
            Item::Const(i) => &i.ident,
            Item::Enum(i) => &i.ident,
            Item::Fn(i) => &i.sig.ident,
            Item::Static(i) => &i.ident,
            Item::Struct(i) => &i.ident,
            Item::Trait(i) => &i.ident,
            Item::TraitAlias(i) => &i.ident,
            Item::Type(i) => &i.ident,
            Item::Union(i) => &i.ident,
            Item::Macro(i) => match &i.ident {
                Some(ident) => ident,
                None => continue,
            },
            Item::Use(u) => {
                for entry in use_entries(u) {
                    match entry.name {
                        Some(name) => drop(table.imports.insert(name, entry.segments)),
                        None => table.globs.push(entry.segments),
                    }
                }
                continue;
            }
            _ => continue,
        };
        table.declared.insert(declared.to_string());
    }
    table
}
