//! What one run of a command binary did, and the checks on it: shared by the end-to-end tests
//! of the standalone `migrate` binary (`migrate-cli/tests/cli.rs`) and of the operator commands
//! (`db/tests/cli.rs`), which include this file with `#[path]`.

// A test file that includes this uses only some of the checks.
#![allow(dead_code)]

use std::process::Output;

use serde_json::Value;

/// What one run of a command binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The run that left `output`; the process must have exited, not been killed.
    pub(crate) fn of(output: &Output) -> Run {
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit status, showing both outputs when it differs.
    #[track_caller]
    pub(crate) fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that standard output contains `text`.
    #[track_caller]
    pub(crate) fn says(self, text: &str) -> Run {
        assert!(
            self.stdout.contains(text),
            "expected {text:?} in\n{}",
            self.stdout
        );
        self
    }

    /// Standard output as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }
}
