//! The runner's `tracing` events that operators and services rely on: each statement at
//! debug level as it is about to run (`RUST_LOG=migrate_core=debug`), a failed command as
//! one `error` event carrying the whole error chain, so that a service that logs through
//! `tracing` records why its start-up migration failed, and a `warn` event naming the
//! versions newer than the binary that a command ignored.

use std::fmt::Debug;

use crate::plan::Step;
use crate::{Error, Version};

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

/// Warns, once per command, that the history holds `unknown`, versions newer than the newest
/// one the binary embeds (`latest_known`), which were left alone; nothing when there are none.
pub(super) fn unknown_ignored(unknown: &[Version], latest_known: Option<Version>) {
    if unknown.is_empty() {
        return;
    }
    let list: Vec<String> = unknown.iter().map(Version::to_string).collect();
    let list = list.join(", ");
    let latest = latest_known.map_or_else(|| "none".to_owned(), |v| v.to_string());
    let which = match unknown.len() {
        1 => format!("version {list} is"),
        _ => format!("versions {list} are"),
    };
    tracing::warn!(
        unknown_versions = %list,
        latest_known = %latest,
        "the database is newer than the migrations this run has: {which} applied but unknown \
         here (they go up to {latest}); ignored as configured, so nothing at or after them is \
         applied or reverted"
    );
}
