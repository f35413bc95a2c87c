//! What the commands print: tables and SQL for people, JSON for machines (the shapes are
//! documented in the `cli` module docs and built only here).

use std::io::{self, Write};

use serde::Serialize;

use crate::history::AppliedMigration;
use crate::implicit_commit::commits_implicitly;
use crate::plan::{Plan, PlanWarning};
use crate::schema::{SchemaCheck, SchemaDiff, SchemaObject};
use crate::status::{ChecksumState, VersionState, VersionStatus};
use crate::verify::{RoundTrip, RoundTripProblem, VerifyReport};
use crate::{Dialect, Direction, Error, Script, Version};

/// Where the command ran, for headers and JSON.
#[derive(Debug)]
pub(super) struct Database<'a> {
    /// The URL with its password hidden.
    pub(super) url: &'a str,
    pub(super) dialect: Dialect,
    pub(super) history_table: &'a str,
}

/// One thing `validate` found wrong.
#[derive(Debug, Serialize)]
pub(super) struct Problem {
    pub(super) version: Option<u32>,
    pub(super) kind: &'static str,
    pub(super) message: String,
}

impl Problem {
    pub(super) fn new(version: Option<Version>, error: &Error) -> Problem {
        let kind = match error {
            Error::ChecksumMismatch { .. } => "checksum_changed",
            Error::DownChecksumMismatch { .. } => "down_checksum_changed",
            Error::UnknownVersion { .. } => "not_embedded",
            Error::FailedMigration { .. } => "failed",
            Error::OutOfOrder { .. } => "out_of_order",
            Error::MissingDialectScript { .. } => "missing_script",
            Error::StaleBinary { .. } => "stale_binary",
            Error::SchemaDrift { .. } => "schema_drift",
            _ => "other",
        };
        Problem {
            version: version.map(Version::get),
            kind,
            message: error.to_string(),
        }
    }
}

fn json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

// ---------------------------------------------------------------------------------------------
// status

#[derive(Serialize)]
struct StatusJson<'a> {
    database: &'a str,
    dialect: &'static str,
    history_table: &'a str,
    current: Option<u32>,
    latest: Option<u32>,
    pending: Vec<u32>,
    versions: Vec<VersionJson<'a>>,
    schema: SchemaJson,
}

#[derive(Serialize)]
struct SchemaJson {
    state: &'static str,
    version: Option<u32>,
    recorded: Option<String>,
    live: Option<String>,
    diff: Option<DiffJson>,
}

impl SchemaJson {
    fn new(check: &SchemaCheck) -> SchemaJson {
        let (state, version, recorded, live, diff) = match check {
            SchemaCheck::NothingApplied => ("nothing_applied", None, None, None, None),
            SchemaCheck::NotRecorded { version } => {
                ("not_recorded", Some(*version), None, None, None)
            }
            SchemaCheck::Interrupted { version } => {
                ("interrupted", Some(*version), None, None, None)
            }
            SchemaCheck::Matches {
                version,
                fingerprint,
            } => (
                "matches",
                Some(*version),
                Some(fingerprint.to_string()),
                Some(fingerprint.to_string()),
                None,
            ),
            SchemaCheck::Drifted(drift) => (
                "drift",
                Some(drift.version),
                Some(drift.recorded.to_string()),
                Some(drift.live.to_string()),
                drift.diff.as_ref().map(DiffJson::new),
            ),
        };
        SchemaJson {
            state,
            version: version.map(Version::get),
            recorded,
            live,
            diff,
        }
    }
}

#[derive(Serialize)]
struct DiffJson {
    added: Vec<ObjectJson>,
    removed: Vec<ObjectJson>,
    changed: Vec<ChangedJson>,
}

#[derive(Serialize)]
struct ObjectJson {
    kind: &'static str,
    name: String,
    definition: String,
}

#[derive(Serialize)]
struct ChangedJson {
    kind: &'static str,
    name: String,
    before: String,
    after: String,
}

impl DiffJson {
    fn new(diff: &SchemaDiff) -> DiffJson {
        let object = |o: &SchemaObject| ObjectJson {
            kind: o.kind.as_str(),
            name: o.name.clone(),
            definition: o.definition.clone(),
        };
        DiffJson {
            added: diff.added.iter().map(object).collect(),
            removed: diff.removed.iter().map(object).collect(),
            changed: diff
                .changed
                .iter()
                .map(|c| ChangedJson {
                    kind: c.kind.as_str(),
                    name: c.name.clone(),
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct VersionJson<'a> {
    version: u32,
    description: &'a str,
    state: &'static str,
    checksum: Option<&'static str>,
    script: Option<&'a str>,
    applied_at: Option<&'a str>,
    applied_by: Option<&'a str>,
    duration_ms: Option<u64>,
    statements_done: Option<u32>,
    statements_total: Option<u32>,
    error: Option<&'a str>,
}

fn checksum_json(state: ChecksumState) -> Option<&'static str> {
    match state {
        ChecksumState::Ok => Some("ok"),
        ChecksumState::Changed => Some("changed"),
        ChecksumState::DownChanged => Some("down_changed"),
        ChecksumState::NotEmbedded => Some("not_embedded"),
        ChecksumState::NotApplied => None,
    }
}

fn pending(lines: &[VersionStatus]) -> Vec<u32> {
    lines
        .iter()
        .filter(|l| l.state == VersionState::Pending)
        .map(|l| l.version.get())
        .collect()
}

/// The newest version the history records.
pub(super) fn current(applied: &[AppliedMigration]) -> Option<Version> {
    applied.iter().map(|r| r.version).max()
}

pub(super) fn status_json(
    out: &mut impl Write,
    db: &Database<'_>,
    lines: &[VersionStatus],
    schema: &SchemaCheck,
    latest: Option<Version>,
) -> io::Result<()> {
    let versions = lines
        .iter()
        .map(|line| {
            let row = line.applied.as_ref();
            VersionJson {
                version: line.version.get(),
                description: &line.description,
                state: line.state.as_str(),
                checksum: checksum_json(line.checksum),
                script: row.map(|r| r.script.as_str()),
                applied_at: row.map(|r| r.applied_at.as_str()),
                applied_by: row.map(|r| r.applied_by.as_str()),
                duration_ms: row.map(|r| r.execution_ms),
                statements_done: row.map(|r| r.statements_done),
                statements_total: row.map(|r| r.statements_total),
                error: row.and_then(|r| r.error.as_deref()),
            }
        })
        .collect();
    let recorded: Vec<AppliedMigration> = lines.iter().filter_map(|l| l.applied.clone()).collect();
    json(
        out,
        &StatusJson {
            database: db.url,
            dialect: db.dialect.tag(),
            history_table: db.history_table,
            current: current(&recorded).map(Version::get),
            latest: latest.map(Version::get),
            pending: pending(lines),
            versions,
            schema: SchemaJson::new(schema),
        },
    )
}

/// The status table, then what to do about failed rows, then where the database stands.
pub(super) fn status_table(
    out: &mut impl Write,
    db: &Database<'_>,
    lines: &[VersionStatus],
    failures: &[(Version, Error)],
    latest: Option<Version>,
) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}), history table {}\n",
        db.url, db.dialect, db.history_table
    )?;
    let header = [
        "version",
        "description",
        "state",
        "applied at",
        "applied by",
        "duration",
        "checksum",
    ];
    let rows: Vec<[String; 7]> = lines.iter().map(status_row).collect();
    write_columns(out, header, &rows)?;
    if lines.is_empty() {
        writeln!(out, "(no versions)")?;
    }
    for (version, error) in failures {
        writeln!(out, "\nversion {version}: {error}")?;
    }
    let recorded: Vec<AppliedMigration> = lines.iter().filter_map(|l| l.applied.clone()).collect();
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        standing(current(&recorded), latest, &pending(lines))
    )
}

/// The cells of one version's line of the status table.
fn status_row(line: &VersionStatus) -> [String; 7] {
    let row = line.applied.as_ref();
    let state = match (line.state, row) {
        (VersionState::Failed, Some(r)) if r.statements_done >= r.statements_total => {
            format!("failed after all {}", r.statements_total)
        }
        (VersionState::Failed, Some(r)) => format!(
            "failed at {} of {}",
            r.statements_done + 1,
            r.statements_total
        ),
        (state, _) => state.as_str().to_owned(),
    };
    [
        line.version.to_string(),
        line.description.clone(),
        state,
        row.map_or("-".to_owned(), |r| r.applied_at.clone()),
        row.map_or("-".to_owned(), |r| r.applied_by.clone()),
        row.map_or("-".to_owned(), |r| format!("{} ms", r.execution_ms)),
        line.checksum.as_str().to_owned(),
    ]
}

/// The header and rows, each column as wide as its widest cell (the last one unpadded).
fn write_columns<const N: usize>(
    out: &mut impl Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print_row = |out: &mut dyn Write, cells: [&str; N]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    print_row(out, header)?;
    for row in rows {
        print_row(out, row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

/// `at version 2 of 3; pending: 3`.
pub(super) fn standing(
    current: Option<Version>,
    latest: Option<Version>,
    pending: &[u32],
) -> String {
    let at = current.map_or("empty (no version applied)".to_owned(), |v| {
        format!("at version {v}")
    });
    let latest = latest.map_or("this binary has no versions".to_owned(), |v| {
        format!("this binary's newest is {v}")
    });
    if pending.is_empty() {
        format!("database {at}; {latest}; nothing pending")
    } else {
        let list: Vec<String> = pending.iter().map(u32::to_string).collect();
        format!(
            "database {at}; {latest}; pending: {} (run `up`)",
            list.join(", ")
        )
    }
}

// ---------------------------------------------------------------------------------------------
// plan

#[derive(Serialize)]
struct PlanJson<'a> {
    database: &'a str,
    dialect: &'static str,
    direction: &'static str,
    steps: Vec<StepJson<'a>>,
    warnings: Vec<WarningJson>,
}

/// One [`PlanWarning`] in `plan --json`.
#[derive(Serialize)]
struct WarningJson {
    version: u32,
    kind: &'static str,
    direction: &'static str,
    script: String,
    message: String,
}

impl WarningJson {
    fn new(warning: &PlanWarning) -> WarningJson {
        let message = warning.to_string();
        match warning {
            PlanWarning::NoOpScript {
                version,
                direction,
                script,
            } => WarningJson {
                version: version.get(),
                kind: "no_op_script",
                direction: direction.stem(),
                script: script.clone(),
                message,
            },
        }
    }
}

#[derive(Serialize)]
struct StepJson<'a> {
    version: u32,
    description: &'a str,
    direction: &'static str,
    script: &'a str,
    transaction: &'static str,
    statements: Vec<StatementJson<'a>>,
}

#[derive(Serialize)]
struct StatementJson<'a> {
    number: usize,
    line: u32,
    sql: &'a str,
    implicit_commit: Option<bool>,
}

/// `atomic` or `journaled`, as the runner decides it.
fn transaction(dialect: Dialect, script: &Script) -> &'static str {
    crate::plan::execution(dialect, script).as_str()
}

fn implicit_commit(dialect: Dialect, sql: &str) -> Option<bool> {
    dialect.journals().then(|| commits_implicitly(sql))
}

pub(super) fn plan_json(
    out: &mut impl Write,
    db: &Database<'_>,
    direction: Direction,
    plan: &Plan<'_>,
) -> io::Result<()> {
    let steps = plan
        .steps
        .iter()
        .map(|step| StepJson {
            version: step.migration.version().get(),
            description: step.migration.description(),
            direction: step.direction.stem(),
            script: step.script.path(),
            transaction: transaction(db.dialect, step.script),
            statements: step
                .statements
                .iter()
                .enumerate()
                .skip(step.start)
                .map(|(i, s)| StatementJson {
                    number: i + 1,
                    line: s.line,
                    sql: s.sql,
                    implicit_commit: implicit_commit(db.dialect, s.sql),
                })
                .collect(),
        })
        .collect();
    json(
        out,
        &PlanJson {
            database: db.url,
            dialect: db.dialect.tag(),
            direction: direction.stem(),
            steps,
            warnings: plan.warnings().iter().map(WarningJson::new).collect(),
        },
    )
}

/// The plan as an SQL script an operator can read (or run by hand): every statement, with its
/// file and line in a comment before it.
pub(super) fn plan_text(
    out: &mut impl Write,
    db: &Database<'_>,
    direction: Direction,
    plan: &Plan<'_>,
) -> io::Result<()> {
    let verb = match direction {
        Direction::Up => "apply",
        Direction::Down => "revert",
    };
    if plan.is_empty() {
        return writeln!(out, "-- nothing to {verb} on {} ({})", db.url, db.dialect);
    }
    let count = plan.steps.len();
    let noun = if count == 1 {
        "migration"
    } else {
        "migrations"
    };
    writeln!(
        out,
        "-- plan: {verb} {count} {noun} on {} ({}); nothing has run",
        db.url, db.dialect
    )?;
    if db.dialect.journals() {
        writeln!(
            out,
            "-- [implicit commit]: the server commits this statement at once; a failure after it cannot roll it back"
        )?;
    }
    for warning in plan.warnings() {
        writeln!(out, "-- warning: {warning}")?;
    }
    for step in &plan.steps {
        let statements = step.statements.len().saturating_sub(step.start);
        let description = step.migration.description();
        writeln!(
            out,
            "\n-- V{} {description}: {}, {} statements, {}",
            step.migration.version(),
            step.direction,
            statements,
            transaction(db.dialect, step.script),
        )?;
        for statement in step.statements.iter().skip(step.start) {
            let mark = match implicit_commit(db.dialect, statement.sql) {
                Some(true) => " [implicit commit]",
                _ => "",
            };
            writeln!(
                out,
                "-- {}:{}{mark}\n{};",
                step.script.path(),
                statement.line,
                statement.sql
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// validate

#[derive(Serialize)]
struct ValidateJson<'a> {
    database: &'a str,
    dialect: &'static str,
    ok: bool,
    problems: &'a [Problem],
    pending: &'a [u32],
}

pub(super) fn validate_json(
    out: &mut impl Write,
    db: &Database<'_>,
    problems: &[Problem],
    pending: &[u32],
) -> io::Result<()> {
    json(
        out,
        &ValidateJson {
            database: db.url,
            dialect: db.dialect.tag(),
            ok: problems.is_empty(),
            problems,
            pending,
        },
    )
}

pub(super) fn validate_text(
    out: &mut impl Write,
    db: &Database<'_>,
    problems: &[Problem],
    standing: &str,
) -> io::Result<()> {
    if problems.is_empty() {
        writeln!(out, "ok: the history of {} matches this binary", db.url)?;
    } else {
        let noun = if problems.len() == 1 {
            "problem"
        } else {
            "problems"
        };
        writeln!(
            out,
            "{} {noun} in the history of {}:",
            problems.len(),
            db.url
        )?;
        for problem in problems {
            writeln!(out, "- {}", problem.message)?;
        }
    }
    writeln!(out, "{standing}")
}

// ---------------------------------------------------------------------------------------------
// verify

#[derive(Serialize)]
struct VerifyJson<'a> {
    server: &'a str,
    dialect: &'static str,
    ok: bool,
    duration_ms: u64,
    versions: Vec<VersionCheckJson<'a>>,
    not_checked: Vec<u32>,
}

#[derive(Serialize)]
struct VersionCheckJson<'a> {
    version: u32,
    description: &'a str,
    round_trip: &'static str,
    ok: bool,
    duration_ms: u64,
    problems: Vec<RoundTripJson<'a>>,
}

#[derive(Serialize)]
struct RoundTripJson<'a> {
    kind: &'static str,
    step: Option<String>,
    error: Option<&'a str>,
    diff: Option<DiffJson>,
}

pub(super) fn verify_json(
    out: &mut impl Write,
    server: &str,
    report: &VerifyReport,
) -> io::Result<()> {
    let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let versions = report
        .versions
        .iter()
        .map(|check| VersionCheckJson {
            version: check.version.get(),
            description: &check.description,
            round_trip: match check.round_trip {
                RoundTrip::Checked => "checked",
                RoundTrip::Irreversible => "irreversible",
            },
            ok: check.is_ok(),
            duration_ms: millis(check.duration),
            problems: check
                .problems
                .iter()
                .map(|problem| match problem {
                    RoundTripProblem::DownDoesNotRestore { diff } => RoundTripJson {
                        kind: "down_does_not_restore",
                        step: None,
                        error: None,
                        diff: Some(DiffJson::new(diff)),
                    },
                    RoundTripProblem::UpNotRepeatable { diff } => RoundTripJson {
                        kind: "up_not_repeatable",
                        step: None,
                        error: None,
                        diff: Some(DiffJson::new(diff)),
                    },
                    RoundTripProblem::Failed { step, error } => RoundTripJson {
                        kind: "failed",
                        step: Some(step.to_string()),
                        error: Some(error),
                        diff: None,
                    },
                })
                .collect(),
        })
        .collect();
    json(
        out,
        &VerifyJson {
            server,
            dialect: report.dialect.tag(),
            ok: report.is_ok(),
            duration_ms: millis(report.duration),
            versions,
            not_checked: report.not_checked.iter().map(|v| v.get()).collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_names_pending_versions_and_the_action() {
        let v = |n| Version::new(n);
        assert_eq!(
            standing(v(1), v(3), &[2, 3]),
            "database at version 1; this binary's newest is 3; pending: 2, 3 (run `up`)"
        );
        assert_eq!(
            standing(None, v(1), &[1]),
            "database empty (no version applied); this binary's newest is 1; pending: 1 (run `up`)"
        );
        assert_eq!(
            standing(v(2), v(2), &[]),
            "database at version 2; this binary's newest is 2; nothing pending"
        );
    }
}
