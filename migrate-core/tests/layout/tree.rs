//! A crate's module tree read from its sources: which file holds which module, which modules
//! are test-only, and the items of each. Files are found the way rustc finds them, from the
//! crate root through `mod x;` to `x.rs` or `x/mod.rs`; `#[path]` is refused rather than guessed.

use std::collections::BTreeMap;
use std::path::Path;

use syn::punctuated::Punctuated;
use syn::{Attribute, Item, Meta, Token};

/// A crate's source files: path relative to `src/` (`runner/lock.rs`, `/`-separated) -> text.
pub(crate) type Sources = BTreeMap<String, String>;

/// Reads every `.rs` file under `dir`, recursively, each keyed `{prefix}{path under dir}`.
pub(crate) fn read_dir(dir: &Path, prefix: &str) -> Sources {
    let mut sources = Sources::new();
    read_into(dir, prefix, &mut sources);
    sources
}

fn read_into(dir: &Path, prefix: &str, sources: &mut Sources) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            read_into(&path, &format!("{rel}/"), sources);
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            sources.insert(rel, text);
        }
    }
}

/// One module: a whole file or an inline `mod x { … }`.
pub(crate) struct Module {
    /// Path from the crate root: `["runner", "lock"]`; empty for the root.
    pub(crate) path: Vec<String>,
    /// Index into [`Crate::files`] of the file that holds the module.
    pub(crate) file: usize,
    /// The enclosing module; `None` for the root.
    pub(crate) parent: Option<usize>,
    /// Under `#[cfg(test)]` (or inside such a module): not part of the shipped code.
    pub(crate) test_only: bool,
    /// Submodules by name.
    pub(crate) children: BTreeMap<String, usize>,
    /// The module's own items, `mod` items included.
    pub(crate) items: Vec<Item>,
}

/// One parsed source file.
pub(crate) struct SourceFile {
    /// Path relative to the source directory (`runner/lock.rs`).
    pub(crate) path: String,
    /// Number of lines.
    pub(crate) lines: usize,
    /// The module this file is (the module a `mod x;` declared).
    pub(crate) module: usize,
}

/// A crate: its files and modules. Module 0 is the root (`lib.rs`), file 0 its file.
pub(crate) struct Crate {
    /// A label for messages (`migrate-core/src`).
    pub(crate) label: String,
    /// Every file reached from the root, in the order reached.
    pub(crate) files: Vec<SourceFile>,
    /// Every module, inline ones included, parents before their children.
    pub(crate) modules: Vec<Module>,
    /// Source files no `mod` declaration reaches.
    pub(crate) orphans: Vec<String>,
}

impl Crate {
    /// Parses the module tree rooted at file `root` (`lib.rs`) in `sources`.
    pub(crate) fn load(label: &str, sources: &Sources, root: &str) -> Result<Crate, String> {
        let mut krate = Crate {
            label: label.to_owned(),
            files: Vec::new(),
            modules: Vec::new(),
            orphans: Vec::new(),
        };
        krate.load_file(sources, root, Vec::new(), None, false)?;
        krate.orphans = sources
            .keys()
            .filter(|path| krate.files.iter().all(|f| &f.path != *path))
            .cloned()
            .collect();
        Ok(krate)
    }

    /// Parses the file `path` alone, as test code, with its inline modules but without
    /// following its `mod x;` items. Test folders are read this way, file by file: their crates
    /// share files through `#[path]`, which [`Crate::load`] refuses.
    pub(crate) fn load_alone(label: &str, path: &str, text: &str) -> Result<Crate, String> {
        let mut krate = Crate {
            label: label.to_owned(),
            files: Vec::new(),
            modules: Vec::new(),
            orphans: Vec::new(),
        };
        let mut ast = krate.parse(path, text)?;
        drop_outlined_modules(&mut ast.items);
        krate.files.push(SourceFile {
            path: path.to_owned(),
            lines: text.lines().count(),
            module: 0,
        });
        krate.add_module(&Sources::new(), Vec::new(), 0, None, true, ast.items)?;
        Ok(krate)
    }

    /// Parses `text`, the file `path`; the error names the file, line and column.
    fn parse(&self, path: &str, text: &str) -> Result<syn::File, String> {
        syn::parse_file(text).map_err(|e| {
            let at = e.span().start();
            format!("{}/{path}:{}:{}: {e}", self.label, at.line, at.column + 1)
        })
    }

    /// Parses `path` as module `module_path` and, through its `mod` items, its descendants.
    fn load_file(
        &mut self,
        sources: &Sources,
        path: &str,
        module_path: Vec<String>,
        parent: Option<usize>,
        test_only: bool,
    ) -> Result<usize, String> {
        let text = sources.get(path).ok_or_else(|| {
            format!(
                "{}/{path}: declared by a `mod` item but missing",
                self.label
            )
        })?;
        let ast = self.parse(path, text)?;
        let file = self.files.len();
        let module = self.modules.len();
        self.files.push(SourceFile {
            path: path.to_owned(),
            lines: text.lines().count(),
            module,
        });
        let test_only = test_only || is_test(&ast.attrs);
        self.add_module(sources, module_path, file, parent, test_only, ast.items)
    }

    /// Adds one module with `items`, then its submodules: `mod x;` in module `a::b` is the file
    /// `a/b/x.rs` or `a/b/x/mod.rs`, whether `a::b` is a file or inline.
    fn add_module(
        &mut self,
        sources: &Sources,
        path: Vec<String>,
        file: usize,
        parent: Option<usize>,
        test_only: bool,
        items: Vec<Item>,
    ) -> Result<usize, String> {
        let id = self.modules.len();
        self.modules.push(Module {
            path: path.clone(),
            file,
            parent,
            test_only,
            children: BTreeMap::new(),
            items: items.clone(),
        });
        for item in items {
            let Item::Mod(decl) = item else { continue };
            let name = decl.ident.to_string();
            if decl.attrs.iter().any(|a| a.path().is_ident("path")) {
                let at = self.files[file].path.clone();
                return Err(format!("{}/{at}: `mod {name}` uses #[path]", self.label));
            }
            let child_test = test_only || is_test(&decl.attrs);
            let mut child_path = path.clone();
            child_path.push(name.clone());
            let child_dir = child_path.join("/");
            let child = match decl.content {
                Some((_, inner)) => {
                    self.add_module(sources, child_path, file, Some(id), child_test, inner)?
                }
                None => {
                    let flat = format!("{child_dir}.rs");
                    let nested = format!("{child_dir}/mod.rs");
                    let child_file = if sources.contains_key(&flat) {
                        flat
                    } else {
                        nested
                    };
                    self.load_file(sources, &child_file, child_path, Some(id), child_test)?
                }
            };
            self.modules[id].children.insert(name, child);
        }
        Ok(id)
    }

    /// The label and path of file `file`, for messages: `migrate-core/src/runner/lock.rs`.
    pub(crate) fn file_name(&self, file: usize) -> String {
        format!("{}/{}", self.label, self.files[file].path)
    }
}

/// Removes every `mod x;` item from `items` and their inline modules, keeping `mod x { … }`.
fn drop_outlined_modules(items: &mut Vec<Item>) {
    items.retain(|item| !matches!(item, Item::Mod(decl) if decl.content.is_none()));
    for item in items {
        if let Item::Mod(decl) = item {
            if let Some((_, inner)) = &mut decl.content {
                drop_outlined_modules(inner);
            }
        }
    }
}

/// Whether `attrs` mark test code: `#[test]`, `#[tokio::test]` and the like, `#[cfg(test)]`,
/// or `#[cfg(all(…, test, …))]` (outer attributes, or a file's inner `#![cfg(test)]`).
pub(crate) fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        if attr.path().is_ident("cfg") {
            attr.parse_args::<Meta>()
                .is_ok_and(|meta| cfg_requires_test(&meta))
        } else {
            attr.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "test")
        }
    })
}

fn cfg_requires_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .is_ok_and(|all| all.iter().any(cfg_requires_test)),
        _ => false,
    }
}

/// The outer attributes of an item (none for `Verbatim`).
pub(crate) fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}
