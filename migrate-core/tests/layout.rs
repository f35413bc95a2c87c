//! The workspace's layout rules, checked on its own sources (issue 22): no source file over
//! 700 lines, no function over 80 lines, no import circle between files. Test code does not
//! count for these: `#[cfg(test)]` modules and files, `#[test]` functions. Each file of
//! migrate-core's and migrate-macros' `src/`, and of this test, is parsed with `syn`. Test code
//! has a rule of its own: no function over 80 lines either, in any crate's `tests/` folder or
//! its `src/` test modules. `layout/selftest.rs` shows on small crates that each check catches
//! what it claims.

/// The scanner; a crate root's `mod x;` would look beside this file, an inline module's
/// under `layout/`.
mod layout {
    pub(crate) mod cycles;
    pub(crate) mod lengths;
    mod refs;
    mod resolve;
    mod selftest;
    pub(crate) mod tree;
}

use std::path::Path;

use layout::lengths::Code;
use layout::tree::{read_dir, Crate};
use layout::{cycles, lengths};

/// Most lines a source file may have, test code not counted.
const FILE_LIMIT: usize = 700;
/// Most lines a function may have, signature to closing brace.
const FN_LIMIT: usize = 80;

/// A crate checked: `label` for messages; its root file `root` in directory `dir` (relative to
/// this crate's manifest), whose `.rs` files under `tree` are its sources.
struct Root {
    label: &'static str,
    dir: &'static str,
    root: &'static str,
    tree: &'static str,
}

/// The crates checked. This test is the third: the analysis is held to the rules it checks.
const ROOTS: [Root; 6] = [
    Root {
        label: "migrate-core/src",
        dir: "src",
        root: "lib.rs",
        tree: "",
    },
    Root {
        label: "migrate-macros/src",
        dir: "../migrate-macros/src",
        root: "lib.rs",
        tree: "",
    },
    Root {
        label: "migrate-core/tests",
        dir: "tests",
        root: "layout.rs",
        tree: "layout",
    },
    Root {
        label: "migrate-cli/src",
        dir: "../migrate-cli/src",
        root: "main.rs",
        tree: "",
    },
    Root {
        label: "db/src",
        dir: "../db/src",
        root: "lib.rs",
        tree: "",
    },
    Root {
        label: "bench/src",
        dir: "../bench/src",
        root: "main.rs",
        tree: "",
    },
];

/// The workspace's crates, as directories beside this crate's, each with its crate root in
/// `src/`. (The examples are `db`'s, outside its `src/`, and hold no test code.)
const TESTED: [(&str, &str); 5] = [
    ("migrate-core", "lib.rs"),
    ("migrate-macros", "lib.rs"),
    ("migrate-cli", "main.rs"),
    ("db", "lib.rs"),
    ("bench", "main.rs"),
];

/// The test code of every crate of [`TESTED`]: its `src/` module tree, whose test modules are
/// measured, and each file of its `tests/` folder on its own, all of it test code.
fn test_code() -> Vec<Crate> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut crates = Vec::new();
    for (name, root) in TESTED {
        let dir = workspace.join(name);
        let src = read_dir(&dir.join("src"), "");
        let label = format!("{name}/src");
        crates.push(Crate::load(&label, &src, root).unwrap_or_else(|e| panic!("{e}")));
        let tests = dir.join("tests");
        if tests.is_dir() {
            let label = format!("{name}/tests");
            for (path, text) in read_dir(&tests, "") {
                let krate = Crate::load_alone(&label, &path, &text);
                crates.push(krate.unwrap_or_else(|e| panic!("{e}")));
            }
        }
    }
    crates
}

/// Loads every checked crate; a source tree that is missing or does not parse fails the test.
fn crates() -> Vec<Crate> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    ROOTS
        .iter()
        .map(|root| {
            let dir = manifest.join(root.dir);
            let prefix = if root.tree.is_empty() {
                String::new()
            } else {
                format!("{}/", root.tree)
            };
            let mut sources = read_dir(&dir.join(root.tree), &prefix);
            let root_file = dir.join(root.root);
            let text = std::fs::read_to_string(&root_file)
                .unwrap_or_else(|e| panic!("{}: {e}", root_file.display()));
            sources.insert(root.root.to_owned(), text);
            Crate::load(root.label, &sources, root.root).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// One message per file over `limit` non-test lines.
pub(crate) fn long_files(krate: &Crate, limit: usize) -> Vec<String> {
    lengths::file_lengths(krate)
        .into_iter()
        .filter(|&(_, lines)| lines > limit)
        .map(|(file, lines)| {
            let name = krate.file_name(file);
            format!("{name}: {lines} lines without its tests (limit {limit})")
        })
        .collect()
}

/// One message per function of `code` over `limit` lines.
pub(crate) fn long_functions(krate: &Crate, code: Code, limit: usize) -> Vec<String> {
    lengths::functions(krate, code)
        .into_iter()
        .filter(|f| f.lines > limit)
        .map(|f| {
            let (name, file, line, lines) = (&f.name, krate.file_name(f.file), f.line, f.lines);
            format!("{file}:{line}: fn {name} has {lines} lines (limit {limit})")
        })
        .collect()
}

/// Fails with every message of every crate, one a line.
fn assert_none(check: &str, find: impl Fn(&Crate) -> Vec<String>) {
    let found: Vec<String> = crates().iter().flat_map(find).collect();
    assert!(found.is_empty(), "{check}:\n  {}", found.join("\n  "));
}

#[test]
fn no_source_file_over_700_lines() {
    assert_none("files too long", |krate| long_files(krate, FILE_LIMIT));
}

#[test]
fn no_function_over_80_lines() {
    assert_none("functions too long", |krate| {
        long_functions(krate, Code::Shipped, FN_LIMIT)
    });
}

/// Tests are read like code: a long scenario reads better as named steps or table cases. A
/// `src/` file outside its module tree would escape the measure, so it fails too.
#[test]
fn no_test_function_over_80_lines() {
    let found: Vec<String> = test_code()
        .iter()
        .flat_map(|krate| {
            let orphans = krate.orphans.iter();
            let unread =
                orphans.map(|path| format!("{}/{path}: no `mod` declares it", krate.label));
            long_functions(krate, Code::Test, FN_LIMIT)
                .into_iter()
                .chain(unread)
        })
        .collect();
    assert!(
        found.is_empty(),
        "test functions too long:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn no_import_circle_between_files() {
    assert_none("import circles", cycles::circle_reports);
}

/// The circle check sees only what it can resolve: a `crate::`/`super::` path it cannot follow
/// would be a blind spot, so there must be none.
#[test]
fn every_crate_relative_path_resolves() {
    assert_none("unresolved paths", |krate| {
        let (_, unresolved) = cycles::file_graph(krate);
        let name = |file| krate.file_name(file);
        let at = |u: &cycles::Unresolved| format!("{}:{} `{}`", name(u.file), u.line, u.path);
        unresolved.iter().map(at).collect()
    });
}

/// Every source file is reached from the crate root, so none escapes the checks above.
#[test]
fn every_source_file_is_in_the_module_tree() {
    assert_none("files no `mod` declares", |krate| {
        let orphan = |path: &String| format!("{}/{path}", krate.label);
        krate.orphans.iter().map(orphan).collect()
    });
}
