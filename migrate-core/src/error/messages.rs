//! The texts of the longer [`Error`](super::Error) messages: what happened, where, and what
//! to do next.

use super::JournalStop;
use crate::{Direction, Version};

/// The newest embedded version, or `none`.
pub(super) fn known(latest: Option<Version>) -> String {
    latest.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

pub(super) fn failed_message(
    version: Version,
    direction: Direction,
    script: &str,
    statement: u32,
    total: u32,
    line: Option<u32>,
    error: Option<&str>,
) -> String {
    let verb = match direction {
        Direction::Up => "applying",
        Direction::Down => "reverting",
    };
    let script = match line {
        Some(line) => format!("`{script}` line {line}"),
        None => format!("`{script}`"),
    };
    if statement > total {
        let record = closing_record(direction);
        let cause = error.map(|e| format!(": {e}")).unwrap_or_default();
        return format!(
            "{verb} version {version} did not finish: all {total} statements of {script} \
             completed, but the history was not updated{cause}; run `resume`, which runs no \
             statement and {record}"
        );
    }
    match error {
        Some(error) => format!(
            "{verb} version {version} failed at statement {statement} of {total} in {script}: {error}; \
             fix the cause and run `resume`, or undo statements 1 to {} by hand and run `repair`",
            statement.saturating_sub(1)
        ),
        None => format!(
            "{verb} version {version} was interrupted: the process stopped while statement \
             {statement} of {total} in {script} was in flight, and whether that statement took \
             effect is unknown (statements before it completed); check it, then run \
             `resume --rerun` (or `resume --skip` if it did complete), or undo by hand and run \
             `repair`"
        ),
    }
}

pub(super) fn statement_failed_message(
    version: Version,
    direction: Direction,
    script: &str,
    statement: u32,
    line: u32,
    atomic: bool,
) -> String {
    let verb = match direction {
        Direction::Up => "applying",
        Direction::Down => "reverting",
    };
    let aftermath = if atomic {
        "the migration was rolled back and the history is unchanged; fix the script and run again"
    } else {
        "the earlier statements stay applied and the history row is marked failed; fix the cause and run `resume`, or undo by hand and run `repair`"
    };
    format!("{verb} version {version} failed at statement {statement} (`{script}` line {line}); {aftermath}")
}

/// The fields of [`Error::JournalFailed`](super::Error::JournalFailed) its message reads.
pub(super) struct JournalFailure<'a> {
    pub(super) version: Version,
    pub(super) direction: Direction,
    pub(super) script: &'a str,
    pub(super) total: u32,
    pub(super) line: Option<u32>,
    pub(super) stop: JournalStop,
    pub(super) doing: &'a str,
    pub(super) recorded: bool,
}

/// The end of a [`JournalStop::Before`] or [`JournalStop::RolledBack`] message when the history
/// row could not be brought to say where the step stopped.
const UNRECORDED: &str = "The history row could not be updated either (run `status`): it may \
                          show an earlier statement as in flight, which completed \
                          (`resume --skip`), or not exist if the step had not started (run the \
                          same command again)";

impl JournalFailure<'_> {
    /// What the step was doing.
    fn verb(&self) -> &'static str {
        match self.direction {
            Direction::Up => "applying",
            Direction::Down => "reverting",
        }
    }

    /// Statement `n`, with its line when known.
    fn at(&self, n: u32) -> String {
        let (total, script) = (self.total, self.script);
        match self.line {
            Some(line) => format!("statement {n} of {total} (`{script}` line {line})"),
            None => format!("statement {n} of {total} in `{script}`"),
        }
    }
}

pub(super) fn journal_failed_message(f: &JournalFailure<'_>) -> String {
    let JournalFailure {
        version,
        direction,
        script,
        total,
        stop,
        doing,
        ..
    } = *f;
    let verb = f.verb();
    match stop {
        JournalStop::NotStarted => format!(
            "{verb} version {version} did not start: database error while {doing}, so no \
             statement ran in this run and the history is as it was before it; fix the cause \
             and run the same command again"
        ),
        JournalStop::Before(n) => {
            let row = match f.recorded {
                true => format!(
                    "The history row is marked failed at statement {n}: fix the cause and run \
                     `resume`, or undo statements 1 to {} by hand and run `repair`",
                    n - 1
                ),
                false => UNRECORDED.to_owned(),
            };
            format!(
                "{verb} version {version} stopped before {}: database error while {doing}; \
                 statements 1 to {} completed. {row}",
                f.at(n),
                n - 1
            )
        }
        JournalStop::RolledBack(n) => {
            let row = match f.recorded {
                true => "The history row is marked failed at it: fix the cause and run \
                         `resume`, which runs it again, or undo the statements before it by hand \
                         and run `repair`"
                    .to_owned(),
                false => UNRECORDED.to_owned(),
            };
            format!(
                "{verb} version {version} stopped at {}: the statement ran, but database error \
                 while {doing}, so it was rolled back with that write. {row}",
                f.at(n)
            )
        }
        JournalStop::Unknown(n) => format!(
            "{verb} version {version} stopped at {}: the statement ran, but database error \
             while {doing}, so whether it and its record committed is unknown. The history row \
             shows what did: if it marks statement {n} done, run `resume --rerun` (the next \
             statement had not started); otherwise check \
             whether the statement took effect, then run `resume --skip` if it did or \
             `resume --rerun` if it did not, or undo by hand and run `repair`",
            f.at(n)
        ),
        JournalStop::AllDone => {
            let record = closing_record(direction);
            let row = match f.recorded {
                true => format!(
                    "The history row is marked failed with every statement done: fix the cause \
                     and run `resume`, which runs no statement and {record}"
                ),
                false => format!(
                    "The history row could not be updated either (run `status`): if it shows \
                     the last statement as in flight, run `resume --skip` (it completed), else \
                     `resume`; either runs no statement and {record}"
                ),
            };
            format!(
                "{verb} version {version} did not finish: all {total} statements of `{script}` \
                 completed, but database error while {doing}. {row}"
            )
        }
    }
}

pub(super) fn connection_lost_message(
    version: Version,
    direction: Direction,
    script: &str,
    atomic: bool,
) -> String {
    let verb = match direction {
        Direction::Up => "applying",
        Direction::Down => "reverting",
    };
    let next = if atomic {
        "it ran in one transaction, so it committed only if `status` shows it done; \
         otherwise it was rolled back: run the same command again"
    } else {
        "the history row says which statements completed and which one was in flight: check \
         that one, then run `resume --skip` if it took effect or `resume --rerun` if it did not"
    };
    format!(
        "the connection to the database was lost while {verb} version {version} (`{script}`): \
         the outcome of the statement in flight is unknown, and the client's error may name \
         an earlier one; run `status` to see where it stopped: {next}"
    )
}

/// What `resume` does for a step whose statements all completed.
fn closing_record(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "records the version as applied",
        Direction::Down => "removes the version from the history",
    }
}

pub(super) fn stale_message(dir: &str, not_embedded: &[String], not_on_disk: &[Version]) -> String {
    let mut parts = Vec::new();
    if !not_embedded.is_empty() {
        parts.push(format!(
            "folders not embedded in this binary: {}",
            not_embedded.join(", ")
        ));
    }
    if !not_on_disk.is_empty() {
        let versions: Vec<String> = not_on_disk.iter().map(|v| v.to_string()).collect();
        parts.push(format!(
            "embedded versions no longer on disk: {}",
            versions.join(", ")
        ));
    }
    format!(
        "the binary's migrations are stale against `{dir}` ({}); rebuild, and add `println!(\"cargo:rerun-if-changed=<versions folder>\")` to the crate's build.rs so new folders trigger a rebuild",
        parts.join("; ")
    )
}
