//! For the tests whose binary is its own child process: the parent re-executes the test binary
//! to run only its `child` test, passing what the child needs in environment variables, and
//! the child applies a tree and exits with a status the parent reads.
//!
//! Included by each such test file with `#[path = "support/child.rs"] mod child;`.

use std::future::Future;
use std::process::{Command, Stdio};

use migrate_core::{Error, Report};

/// This test binary, set to run only its `child` test, output captured; the caller adds the
/// child's environment and spawns it.
pub(crate) fn command() -> Command {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "child",
            "--nocapture",
            "--test-threads=1",
            "--quiet",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs the child's migration `up` on a new runtime and exits the process: status 0 after
/// printing `applied N`, or status 2 after printing `child error: …` on standard error.
pub(crate) fn exit_with(up: impl Future<Output = Result<Report, Error>>) -> ! {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let code = match rt.block_on(up) {
        Ok(report) => {
            println!("applied {}", report.steps.len());
            0
        }
        Err(e) => {
            eprintln!("child error: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// Writes `files` (path in the tree, text) to a new temporary folder.
pub(crate) fn write_tree(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}
