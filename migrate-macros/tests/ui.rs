//! Compile-time behaviour of `embed_migrations!`: every broken tree is a compile error on the
//! path literal naming the file (`tests/ui/*.rs` with committed `.stderr`), and a valid tree
//! embeds (`tests/pass`).

#[test]
fn ui() {
    // trybuild compiles each case in a crate under `target/`; point the macro at this crate.
    std::env::set_var(
        "MIGRATE_MACROS_TEST_MANIFEST_DIR",
        env!("CARGO_MANIFEST_DIR"),
    );
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
