//! The checks run on small in-memory crates, to show each catches what it claims and leaves
//! test code alone.

use super::cycles::{circle_reports, circles, file_graph};
use super::lengths::{file_lengths, Code};
use super::tree::{Crate, Sources};
use crate::{long_files, long_functions};

fn demo(files: &[(&str, &str)]) -> Crate {
    let sources: Sources = files
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();
    Crate::load("demo/src", &sources, "lib.rs").unwrap_or_else(|e| panic!("{e}"))
}

/// `fn name() { … }` spanning exactly `lines` lines, `prefix` (e.g. `#[test]\n`) before it.
fn function(prefix: &str, name: &str, lines: usize) -> String {
    let body = "    let _ = 1;\n".repeat(lines - 2);
    format!("{prefix}fn {name}() {{\n{body}}}\n")
}

#[test]
fn an_81_line_function_is_reported_and_an_80_line_one_is_not() {
    let a = function("", "long", 81) + &function("", "short", 80);
    let krate = demo(&[("lib.rs", "mod a;"), ("a.rs", &a)]);
    assert_eq!(
        long_functions(&krate, Code::Shipped, 80),
        ["demo/src/a.rs:1: fn a::long has 81 lines (limit 80)"]
    );
}

#[test]
fn methods_trait_defaults_and_nested_functions_are_measured() {
    let method = format!("struct S;\nimpl S {{\n{}}}\n", function("", "method", 81));
    let default = format!("trait T {{\n{}}}\n", function("", "provided", 81));
    let nested = format!("fn outer() {{\n{}}}\n", function("", "inner", 81));
    let a = method + &default + &nested;
    let krate = demo(&[("lib.rs", "mod a;"), ("a.rs", &a)]);
    assert_eq!(
        long_functions(&krate, Code::Shipped, 80),
        [
            "demo/src/a.rs:3: fn a::S::method has 81 lines (limit 80)",
            "demo/src/a.rs:86: fn a::T::provided has 81 lines (limit 80)",
            "demo/src/a.rs:168: fn a::outer has 83 lines (limit 80)",
            "demo/src/a.rs:169: fn a::outer::inner has 81 lines (limit 80)",
        ]
    );
}

#[test]
fn test_functions_and_test_modules_are_not_measured() {
    let unit = function("#[test]\n", "unit", 100) + &function("#[tokio::test]\nasync ", "io", 90);
    let tests = format!(
        "#[cfg(test)]\nmod tests {{\n{}}}\n",
        function("", "helper", 90)
    );
    let gated = format!("#[cfg(all(test, unix))]\n{}", function("", "gated", 90));
    let a = unit + &tests + &gated;
    let krate = demo(&[("lib.rs", "mod a;"), ("a.rs", &a)]);
    assert_eq!(
        long_functions(&krate, Code::Shipped, 80),
        Vec::<String>::new()
    );
    let markers = [
        "#[test]\n",
        "#[tokio::test]\n",
        "#[cfg(test)]\n",
        "#[cfg(all(test, unix))]\n",
    ];
    let shipped = markers
        .iter()
        .fold(a, |text, marker| text.replace(marker, ""));
    let krate = demo(&[("lib.rs", "mod a;"), ("a.rs", &shipped)]);
    assert_eq!(long_functions(&krate, Code::Shipped, 80).len(), 4);
}

#[test]
fn test_code_mode_measures_test_functions_and_test_modules_only() {
    let unit = function("#[test]\n", "unit", 81) + &function("#[tokio::test]\nasync ", "io", 81);
    let tests = format!(
        "#[cfg(test)]\nmod tests {{\n{}}}\n",
        function("", "helper", 81)
    );
    let a = unit + &tests + &function("", "shipped", 81) + &function("#[test]\n", "short", 80);
    let krate = demo(&[("lib.rs", "mod a;"), ("a.rs", &a)]);
    assert_eq!(
        long_functions(&krate, Code::Test, 80),
        [
            "demo/src/a.rs:2: fn a::unit has 81 lines (limit 80)",
            "demo/src/a.rs:84: fn a::io has 81 lines (limit 80)",
            "demo/src/a.rs:167: fn a::tests::helper has 81 lines (limit 80)",
        ]
    );
    assert_eq!(
        long_functions(&krate, Code::Shipped, 80),
        ["demo/src/a.rs:249: fn a::shipped has 81 lines (limit 80)"]
    );
}

/// A file of a `tests/` folder is read alone: all of it is test code, and its `mod x;` items
/// (often `#[path]`, which a module tree refuses) are left to the files they name.
#[test]
fn a_test_folder_file_read_alone_is_all_test_code() {
    let text = format!(
        "#[path = \"support/child.rs\"]\nmod child;\n{}",
        function("", "scenario", 81)
    );
    let krate = Crate::load_alone("demo/tests", "cli.rs", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        long_functions(&krate, Code::Test, 80),
        ["demo/tests/cli.rs:3: fn scenario has 81 lines (limit 80)"]
    );
}

#[test]
fn a_701_line_file_is_reported_and_a_700_line_one_is_not() {
    let lines = |n: usize| "// a line\n".repeat(n);
    let krate = demo(&[
        ("lib.rs", "mod a;\nmod b;"),
        ("a.rs", &lines(701)),
        ("b.rs", &lines(700)),
    ]);
    assert_eq!(
        long_files(&krate, 700),
        ["demo/src/a.rs: 701 lines without its tests (limit 700)"]
    );
}

#[test]
fn test_modules_and_test_files_do_not_count_toward_a_file() {
    let code = "// code\n".repeat(649);
    let inline = format!("#[cfg(test)]\nmod tests {{\n{}}}\n", "// test\n".repeat(98));
    let a = format!("{code}mod inner;\n#[cfg(test)]\nmod more;\n{inline}");
    let more = "// test\n".repeat(900);
    let inner = format!("#![cfg(test)]\n{}", function("", "helper", 900));
    let krate = demo(&[
        ("lib.rs", "mod a;"),
        ("a.rs", &a),
        ("a/more.rs", &more),
        ("a/inner.rs", &inner),
    ]);
    let lengths: Vec<(String, usize)> = file_lengths(&krate)
        .into_iter()
        .map(|(file, lines)| (krate.files[file].path.clone(), lines))
        .collect();
    assert_eq!(
        lengths,
        [("lib.rs".to_owned(), 1), ("a.rs".to_owned(), 650)]
    );
    assert_eq!(long_files(&krate, 700), Vec::<String>::new());
    assert_eq!(
        long_functions(&krate, Code::Shipped, 80),
        Vec::<String>::new()
    );
}

#[test]
fn a_circle_through_a_re_export_is_reported_with_its_edges() {
    let krate = demo(&[
        ("lib.rs", "mod a;\nmod b;\npub use b::*;"),
        ("a.rs", "pub struct Alpha;\npub fn f(_: crate::Beta) {}"),
        (
            "b.rs",
            "pub struct Beta;\n\npub fn g(_: super::a::Alpha) {}",
        ),
    ]);
    assert_eq!(
        circle_reports(&krate),
        [
            "import circle of 2 files: demo/src/a.rs, demo/src/b.rs\n    \
          a.rs -> b.rs  (a.rs:2 `crate::Beta`)\n    \
          b.rs -> a.rs  (b.rs:3 `super::a::Alpha`)"
        ]
    );
}

#[test]
fn paths_in_macro_and_attribute_arguments_make_edges() {
    let krate = demo(&[
        ("lib.rs", "mod a;\nmod b;"),
        (
            "a.rs",
            "pub fn f() -> String { format!(\"{}\", crate::b::g()) }",
        ),
        (
            "b.rs",
            "pub fn g() -> u8 { 1 }\n#[arg(parser = super::a::f)]\nstruct S;",
        ),
    ]);
    assert_eq!(
        circle_reports(&krate),
        [
            "import circle of 2 files: demo/src/a.rs, demo/src/b.rs\n    \
          a.rs -> b.rs  (a.rs:1 `crate::b::g`)\n    \
          b.rs -> a.rs  (b.rs:2 `super::a::f`)"
        ]
    );
}

#[test]
fn a_parent_naming_its_children_is_no_circle_while_they_do_not_name_it() {
    let runner = "mod model;\nmod step;\npub use self::step::Step;\npub use model::Migrator;\n\
                  fn run(_: Step) { step::helper() }";
    let step = "use super::model::Migrator;\npub struct Step;\npub fn helper() {}\n\
                fn f(_: Migrator) {}";
    let krate = demo(&[
        ("lib.rs", "mod runner;\npub use runner::Migrator;"),
        ("runner.rs", runner),
        ("runner/model.rs", "pub struct Migrator;"),
        ("runner/step.rs", step),
    ]);
    assert_eq!(circle_reports(&krate), Vec::<String>::new());
    let (edges, unresolved) = file_graph(&krate);
    let named = |e: &super::cycles::Edge| (krate.files[e.from].path.clone(), e.path.clone());
    let edges: Vec<_> = edges.iter().map(named).collect();
    let edge = |from: &str, path: &str| (from.to_owned(), path.to_owned());
    assert_eq!(
        edges,
        [
            edge("lib.rs", "runner::Migrator"),
            edge("runner.rs", "model::Migrator"),
            edge("runner.rs", "self::step::Step"),
            edge("runner/step.rs", "super::model::Migrator"),
        ]
    );
    assert!(unresolved.is_empty());
}

/// A parent and a child that name each other are a circle however the names are written: a
/// `use` of the child, a plain `child::item` path in code, `super::` from the child.
#[test]
fn a_child_naming_its_parents_item_is_a_circle_with_it() {
    let runner = "mod step;\npub use self::step::Step;\npub struct Migrator;\n\
                  fn run(_: Step) { step::helper() }";
    let step = "use super::Migrator;\npub struct Step;\npub fn helper() {}\nfn f(_: Migrator) {}";
    let krate = demo(&[
        ("lib.rs", "mod runner;\npub use runner::Migrator;"),
        ("runner.rs", runner),
        ("runner/step.rs", step),
    ]);
    assert_eq!(
        circle_reports(&krate),
        [
            "import circle of 2 files: demo/src/runner.rs, demo/src/runner/step.rs\n    \
          runner.rs -> runner/step.rs  (runner.rs:2 `self::step::Step`)\n    \
          runner/step.rs -> runner.rs  (runner/step.rs:1 `super::Migrator`)"
        ]
    );
    let code_only = runner.replace("pub use self::step::Step;\n", "");
    let code_only = code_only.replace("_: Step", "");
    let krate = demo(&[
        ("lib.rs", "mod runner;\npub use runner::Migrator;"),
        ("runner.rs", &code_only),
        ("runner/step.rs", step),
    ]);
    assert_eq!(
        circle_reports(&krate).len(),
        1,
        "a plain `step::helper()` is an edge"
    );
}

#[test]
fn test_code_makes_no_edge() {
    let a = "pub struct Alpha;\n#[cfg(test)]\nmod tests {\n    use crate::b::Beta;\n}";
    let krate = demo(&[
        ("lib.rs", "mod a;\nmod b;"),
        ("a.rs", a),
        ("b.rs", "pub struct Beta;\nfn g(_: crate::a::Alpha) {}"),
    ]);
    assert_eq!(circle_reports(&krate), Vec::<String>::new());
    let shipped = a.replace("#[cfg(test)]\n", "");
    let krate = demo(&[
        ("lib.rs", "mod a;\nmod b;"),
        ("a.rs", &shipped),
        ("b.rs", "pub struct Beta;\nfn g(_: crate::a::Alpha) {}"),
    ]);
    assert_eq!(circle_reports(&krate).len(), 1);
}

#[test]
fn a_path_to_nowhere_is_reported_unresolved() {
    let krate = demo(&[
        ("lib.rs", "mod a;"),
        ("a.rs", "fn f() { crate::gone::g() }"),
    ]);
    let (_, unresolved) = file_graph(&krate);
    let found: Vec<_> = unresolved
        .iter()
        .map(|u| (u.line, u.path.clone()))
        .collect();
    assert_eq!(found, [(1, "crate::gone::g".to_owned())]);
}

#[test]
fn every_strongly_connected_component_of_two_or_more_is_a_circle() {
    let edges = [
        (0, 1),
        (1, 2),
        (2, 0),
        (2, 3),
        (3, 4),
        (4, 3),
        (5, 5),
        (6, 0),
    ];
    assert_eq!(circles(7, &edges), [vec![3, 4], vec![0, 1, 2]]);
    assert_eq!(circles(3, &[(0, 1), (1, 2)]), Vec::<Vec<usize>>::new());
}
