//! Lengths of files and functions. A function runs from the first token of its signature (`pub`
//! and attributes not counted) to its closing brace; the shipped code and the test code are
//! measured apart. A file's length is its line count less the lines of its test items
//! (`#[cfg(test)] mod tests { … }`, `#[test]` fns, attributes and doc comments included), and a
//! test-only file has none.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, ImplItem, Item, Signature, TraitItem};

use super::tree::{is_test, item_attrs, Crate};

/// One function and its length.
pub(crate) struct Function {
    /// Index into [`Crate::files`].
    pub(crate) file: usize,
    /// Qualified for the reader: `runner::Migrator::run`, `plan::plan::step` for a nested fn.
    pub(crate) name: String,
    /// Line of its signature.
    pub(crate) line: usize,
    /// Lines from signature to closing brace.
    pub(crate) lines: usize,
}

/// Which code a measure takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// What the crate ships: test items are skipped.
    Shipped,
    /// Test code only: test-only modules and files, `#[test]` fns, and everything within them.
    Test,
}

/// Every function of `krate` in `code`: free fns, methods, trait default methods, nested fns.
pub(crate) fn functions(krate: &Crate, code: Code) -> Vec<Function> {
    let mut found = Vec::new();
    let modules = krate.modules.iter();
    for module in modules.filter(|m| code == Code::Test || !m.test_only) {
        let mut visitor = FnVisitor {
            file: module.file,
            scope: module.path.clone(),
            code,
            in_test: module.test_only,
            found: &mut found,
        };
        for item in &module.items {
            visitor.visit_item(item);
        }
    }
    found
}

/// Non-test line count of every file that is not test-only, as `(file index, lines)`.
pub(crate) fn file_lengths(krate: &Crate) -> Vec<(usize, usize)> {
    let mut test_lines = vec![0; krate.files.len()];
    for module in krate.modules.iter().filter(|m| !m.test_only) {
        let mut visitor = TestSpans { lines: 0 };
        for item in &module.items {
            visitor.visit_item(item);
        }
        test_lines[module.file] += visitor.lines;
    }
    krate
        .files
        .iter()
        .enumerate()
        .filter(|(_, file)| !krate.modules[file.module].test_only)
        .map(|(index, file)| (index, file.lines - test_lines[index]))
        .collect()
}

/// Lines covered by `span`, both ends included.
fn line_count(span: Span) -> usize {
    span.end().line - span.start().line + 1
}

/// Collects the functions of one `code`; does not enter `mod` items (each module is visited
/// on its own). Test items are skipped when measuring shipped code, and entered (setting
/// `in_test`) when measuring test code, where only what lies within them is recorded.
struct FnVisitor<'a> {
    file: usize,
    scope: Vec<String>,
    code: Code,
    in_test: bool,
    found: &'a mut Vec<Function>,
}

impl FnVisitor<'_> {
    fn record(&mut self, sig: &Signature, block: &Block) {
        if self.in_test != (self.code == Code::Test) {
            return;
        }
        let line = sig.span().start().line;
        let last = block.brace_token.span.close().start().line;
        let mut name = self.scope.clone();
        name.push(sig.ident.to_string());
        self.found.push(Function {
            file: self.file,
            name: name.join("::"),
            line,
            lines: last - line + 1,
        });
    }

    fn within(&mut self, scope: String, visit: impl FnOnce(&mut Self)) {
        self.scope.push(scope);
        visit(self);
        self.scope.pop();
    }

    /// Visits an item with attributes `attrs` through `visit`, unless it is test code and
    /// shipped code is measured; within it, `in_test` says whether it is test code.
    fn item(&mut self, attrs: &[Attribute], visit: impl FnOnce(&mut Self)) {
        let test = self.in_test || is_test(attrs);
        if test && self.code == Code::Shipped {
            return;
        }
        let outer = std::mem::replace(&mut self.in_test, test);
        visit(self);
        self.in_test = outer;
    }

    /// Records a function with a body and looks for functions nested in it.
    fn function(&mut self, sig: &Signature, block: &Block) {
        self.record(sig, block);
        self.within(sig.ident.to_string(), |v| v.visit_block(block));
    }
}

impl<'ast> Visit<'ast> for FnVisitor<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        self.item(item_attrs(item), |v| match item {
            Item::Mod(_) => {}
            Item::Fn(f) => v.function(&f.sig, &f.block),
            Item::Impl(imp) => {
                let name = match &*imp.self_ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                let name = name.unwrap_or_else(|| "<impl>".to_owned());
                v.within(name, |v| visit::visit_item_impl(v, imp));
            }
            Item::Trait(t) => v.within(t.ident.to_string(), |v| visit::visit_item_trait(v, t)),
            _ => visit::visit_item(v, item),
        });
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        match item {
            ImplItem::Fn(f) => self.item(&f.attrs, |v| v.function(&f.sig, &f.block)),
            _ => visit::visit_impl_item(self, item),
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        match item {
            TraitItem::Fn(f) => self.item(&f.attrs, |v| {
                if let Some(block) = &f.default {
                    v.function(&f.sig, block);
                }
            }),
            _ => visit::visit_trait_item(self, item),
        }
    }
}

/// Adds up the lines of outermost test items, attributes included.
struct TestSpans {
    lines: usize,
}

impl<'ast> Visit<'ast> for TestSpans {
    fn visit_item(&mut self, item: &'ast Item) {
        if is_test(item_attrs(item)) {
            self.lines += line_count(item.span());
        } else if !matches!(item, Item::Mod(_)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        match item {
            ImplItem::Fn(f) if is_test(&f.attrs) => self.lines += line_count(item.span()),
            _ => visit::visit_impl_item(self, item),
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        match item {
            TraitItem::Fn(f) if is_test(&f.attrs) => self.lines += line_count(item.span()),
            _ => visit::visit_trait_item(self, item),
        }
    }
}
