//! Where the example binaries are, for the tests that run them as separate processes
//! (`cli.rs`, `urls.rs`, which include this file with `#[path]`).

use std::path::{Path, PathBuf};

/// `target/<profile>/examples/<name>`, next to `target/<profile>/deps/<this test>`; fails
/// saying how to build it when it is missing (`cargo test -p db --test X` alone does not build
/// the examples).
pub(crate) fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "the `{name}` example is not built ({} is missing): run `cargo test -p db`, which builds \
         the examples, or `cargo build -p db --examples` before `cargo test -p db --test <file>`",
        binary.display()
    );
    binary
}
