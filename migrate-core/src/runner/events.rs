//! The runner's `tracing` events that operators and services rely on: each statement at
//! debug level as it is about to run (`RUST_LOG=migrate_core=debug`), and a failed command as
//! one `error` event carrying the whole error chain, so that a service that logs through
//! `tracing` records why its start-up migration failed.

use std::fmt::Debug;

use crate::plan::Step;
use crate::Error;

/// The target of the failure event. The CLI's default filter turns it off: the CLI prints
/// the same error itself.
pub(crate) const FAILURE_TARGET: &str = "migrate_core::failure";

/// Logs, at debug level, each statement `step` is about to run, with its number and line.
pub(super) fn statements(step: &Step<'_>) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    for (index, statement) in step.statements.iter().enumerate().skip(step.start) {
        tracing::debug!(
            statement = index + 1,
            line = statement.line,
            sql = statement.sql,
            "statement"
        );
    }
}

/// Reports that `command` failed with `error`, as one `error` event whose `error` field holds
/// the message and every cause after it.
pub(super) fn failed(command: &impl Debug, error: &Error) {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(target: FAILURE_TARGET, command = ?command, error = %chain, "migration failed");
}
